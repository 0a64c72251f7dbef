// What a controller quorum member shows of itself: its status (cafka cluster status), its
// node's quorum and controller metrics, and the events the active controller logs as it
// applies commands. Private to actors/controller; the controller's own actor context.
#pragma once

#include <utility>
#include <vector>

#include "actors/controller/controller_state.hpp"

namespace cafka {

// What the active controller compares across one applied command: the partitions whose
// leader or ISR the command may change, and every broker's liveness, as they were before.
struct apply_watch {
  struct partition_view {
    topic_partition tp;
    node_id leader;
    std::vector<node_id> isr;
  };
  std::vector<partition_view> partitions;
  std::vector<std::pair<node_id, bool>> alive;  // (broker, alive)
};

// The member's view of the quorum; the members' lag only on the leader.
quorum_status make_status(const controller_state& st);

// After every drive: the quorum series (role, term, commit and applied index, metadata
// version). Cheap stores; the role series change only with the role.
void publish_quorum(controller_self self);

// Every tick: the member's mailbox depth and, on the leader, each member's lag (entries
// behind, as make_status counts them).
void publish_tick(controller_self self);

// Leader, after its metadata changed: cafka_controller_brokers{state}, the offline and the
// under-replicated partition counts.
void publish_controller(controller_self self);

// This member became the controller: controller_active 1 and a "controller_elected" event.
void on_elected(controller_self self);

// This member is no longer the controller: controller_active 0, the leader-only series gone
// (lag, brokers) or 0 (partition counts).
void on_deposed(controller_self self);

// Leader: what record_apply needs to compare against after `cmd` applies; empty on a
// follower, and for commands that change no leader, ISR or broker (topics, access, configs,
// producer ids): an ISR change looks at its partition only.
apply_watch watch_apply(const controller_state& st, const metadata_command& cmd);

// Leader, after `cmd` applied without error: counts the partitions whose leader changed
// (controller_leader_elections) and logs the events: broker_registered, broker_fenced,
// broker_unfenced, leader_election, isr_shrink, isr_expand.
void record_apply(controller_self self, const metadata_command& cmd, const apply_watch& before);

} // namespace cafka
