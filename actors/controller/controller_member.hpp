// A controller: one member of the metadata quorum. Drives the Raft core (runtime/raft/fsm)
// with timer ticks and peer messages, persists its output, applies committed commands to the
// metadata state machine; its Raft leader is the active controller (brokers register and
// heartbeat there; it fences brokers whose lease lapses and pushes metadata). Actor context.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/controller/controller_interface.hpp"
#include "runtime/chaos/fault_table.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/raft/fsm.hpp"
#include "runtime/raft/persistence.hpp"

namespace cafka {

struct controller_config {
  node_id self;
  std::vector<node_id> members;                  // every controller, self included
  std::shared_ptr<raft::persistence> storage;    // loaded at start
  raft::fsm_config raft;
  std::chrono::milliseconds tick{50};
  std::chrono::milliseconds broker_session_timeout{600};
  // Topic defaults for create_topic; unclean-leader-election-enable for fence / register /
  // unfence proposals; auto-leader-rebalance-enable and leader-imbalance-check-interval-ms.
  broker_defaults defaults;
  // [limits] max-topics and max-partitions, checked when a topic is proposed (never when a
  // command is applied: members' configs may differ).
  int32_t max_topics = 2000;
  int32_t max_partitions = 10000;
  uint64_t snapshot_every = 1000;                // applied entries between snapshots
  std::shared_ptr<fault_table> faults;           // the node's, for node_send; null: none
  // The node's metrics and event log (quorum and controller series, elections, fencing);
  // null: a fresh set of the member's own.
  std::shared_ptr<metrics::node_metrics> metrics;
};

controller_member_actor spawn_controller_member(caf::actor_system& sys, controller_config cfg);

} // namespace cafka
