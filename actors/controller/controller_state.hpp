// The controller actor's state and its Raft driver functions (persist, send, apply;
// proposals; fencing). Private to actors/controller; used only from the controller's
// own actor context.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <caf/typed_event_based_actor.hpp>

#include "actors/controller/controller_member.hpp"
#include "actors/node/refusal_log.hpp"
#include "runtime/cluster/broker_leases.hpp"
#include "runtime/cluster/metadata_state.hpp"
#include "runtime/cluster/topic_caps.hpp"

namespace cafka {

using controller_clock = std::chrono::steady_clock;

// A proposal of this member waiting for its entry to be applied.
struct pending_op {
  raft_term term;
  std::function<void(const apply_result&)> done;
};

// The metric series a member keeps handles on (controller_metrics.cpp): the role it shows,
// and on the leader the members' lag and the broker counts (none elsewhere).
struct controller_series {
  std::optional<raft::role> role;  // the role cafka_quorum_role shows; none yet
  std::map<node_id, metrics::gauge> member_lag;
  metrics::gauge brokers_alive;
  metrics::gauge brokers_fenced;
};

struct controller_state {
  // Invariant: cfg.metrics is not null (spawn_controller_member makes one if need be).
  controller_config cfg;
  std::unique_ptr<raft::fsm> raft;
  metadata_state md;
  raft_index applied{0};
  raft_index last_snapshot{0};
  std::map<node_id, caf::actor> peers;
  std::map<raft_index, pending_op> pending;
  std::map<node_id, broker_actor> brokers;  // leader: brokers to push metadata to
  // Every member: the brokers whose heartbeats it gets, monitored, so that a follower knows
  // which broker processes died before it became the controller.
  std::map<node_id, broker_actor> watched;
  broker_leases leases{std::chrono::milliseconds{600}};
  bool leading = false;
  // Leader: the access metadata version last pushed to every broker (push_metadata).
  uint64_t pushed_access_version = 0;
  // Leader: when the metadata was last pushed to every broker, and whether a change since
  // waits for the next tick (push_changes: at most one push per tick under a burst).
  controller_clock::time_point last_push{};
  bool push_due = false;
  // Leader: the metadata version last pushed to each broker, and when (push_to). A
  // heartbeat shows the version of the broker's last tick, which trails a push on its way:
  // track_broker sends again only a push that a second did not bring.
  struct sent_push {
    uint64_t version = 0;
    controller_clock::time_point at{};
  };
  std::map<node_id, sent_push> pushed;
  // Leader: preferred-leader election (auto-leader-rebalance-enable). At most one
  // elect_preferred proposal in flight; the next imbalance check is due at this time.
  bool preferred_in_flight = false;
  // Leader: topics and partitions of its create_topic proposals not yet applied (or failed),
  // which the [limits] caps count beside the applied metadata (on_create_topic).
  topic_count proposed_topics;
  controller_clock::time_point next_imbalance_check{};
  refusal_log refusals;  // messages refused by sender (actors/node/authorization.hpp)
  controller_series shown;
  static inline const char* name = "controller";

  bool is_leader() const { return raft->current_role() == raft::role::leader; }
  std::string owner() const { return "controller " + std::to_string(cfg.self.value); }

  // The metadata as clients see it: with the current controller filled in.
  cluster_metadata view() const {
    auto out = md.current();
    out.controller = raft->leader();
    return out;
  }
};

// The member's published interface plus its own Raft clock tick (a self-message only).
using controller_timers_actor = controller_member_actor::extend<caf::reacts_to<caf::tick_atom>>;

using controller_self = controller_timers_actor::stateful_pointer<controller_state>;

// errc::not_controller naming the leader if known.
caf::error not_controller(controller_self self);
// Sends the current metadata to every broker this controller knows, then the access metadata
// to each if its version changed since the last such push (or this member just became the
// controller).
void push_metadata(controller_self self);
// Leader: the metadata changed. Pushes it now unless a push went out less than a tick ago;
// then the tick pushes it (push_if_due), so a burst of changes (a 10,000-partition create,
// ISR changes) costs one push of the whole metadata per tick, not one per change.
void push_changes(controller_self self);
// From the tick: pushes a change push_changes deferred.
void push_if_due(controller_self self);
// Sends the current metadata and then the access metadata to one broker (it learns who the
// controller is from the first before the second arrives, which it checks against that).
void push_to(controller_self self, node_id id, const broker_actor& hdl);
// Sends the access metadata to one broker.
void send_access(controller_self self, node_id id, const broker_actor& hdl);
// Answers every waiting proposal with not_controller (leadership lost, or stopping).
void fail_pending(controller_self self);
// Persist, send, apply: the driver loop of the Raft core (see runtime/raft/fsm.hpp).
void drive(controller_self self);
// Leader only: proposes cmd; done runs once the entry is applied (or leadership is lost).
void propose(controller_self self, const metadata_command& cmd,
             std::function<void(const apply_result&)> done);
// The leader's handle, if this member knows it and is not the leader itself.
std::optional<controller_member_actor> leader_handle(controller_self self);

// A request this member does not answer itself goes to the leader: delegated (the leader
// answers the requester directly, within the requester's own timeout: delegation adds no
// hop of its own to wait for), or not_controller if no other member is known to lead.
template <class Result, class... Ts>
caf::result<Result> forward_to_leader(controller_self self, Ts&&... xs) {
  if (auto l = leader_handle(self))
    return self->delegate(*l, std::forward<Ts>(xs)...);
  return not_controller(self);
}

// The handler of a request only the leader answers: on the leader, `answer(self, xs...)`; on
// a follower, the message as received is forwarded (forward_to_leader).
template <class Atom, class Result, class... Ts>
auto leader_only(controller_self self, caf::result<Result> (*answer)(controller_self, Ts...)) {
  return [=](Atom atom, std::decay_t<Ts>&... xs) -> caf::result<Result> {
    if (!self->state.is_leader())
      return forward_to_leader<Result>(self, atom, std::move(xs)...);
    return answer(self, xs...);
  };
}
// Proposes cmd and answers the request once its entry is applied: with the apply error, or
// with what `pick` takes from the result.
template <class T, class Pick>
caf::result<T> propose_then_answer(controller_self self, const metadata_command& cmd,
                                   Pick pick) {
  auto rp = self->make_response_promise<T>();
  propose(self, cmd, [=](const apply_result& res) mutable {
    if (res.error)
      rp.deliver(res.error);
    else
      rp.deliver(pick(res));
  });
  return rp;
}

// -- access metadata (controller_access.cpp): requests only the leader answers; each is
// refused before it is proposed if it cannot apply.
caf::result<caf::ok_atom> on_upsert_credential(controller_self self, scram_credential& c);
caf::result<caf::ok_atom> on_delete_credential(controller_self self, credential_name& n);
// Answered from the leader's state while it holds the quorum lease (else not_controller).
caf::result<std::vector<scram_user>> on_list_users(controller_self self);
// Per binding: none if it is stored now, or why not. The valid ones go in one proposal.
caf::result<std::vector<caf::error>> on_create_acls(controller_self self,
                                                    std::vector<acl_binding>& bs);
// Per filter: the bindings it matched and removed. invalid_request for too many filters.
caf::result<std::vector<std::vector<acl_binding>>>
on_delete_acls(controller_self self, std::vector<acl_filter>& fs);
// Answered from the leader's state while it holds the quorum lease (else not_controller).
caf::result<std::vector<acl_binding>> on_describe_acls(controller_self self, acl_filter& f);

// -- topics (controller_topics.cpp): refused before they are proposed if they cannot apply
// to the leader's state; validate_only requests are answered from that check alone.
caf::result<caf::ok_atom> on_alter_topic_configs(controller_self self,
                                                 alter_topic_configs_request& req);
// The topic after the change; the [limits] max-partitions cap counts proposals in flight.
caf::result<topic_metadata> on_create_partitions(controller_self self,
                                                 create_partitions_request& req);

// -- moves (controller_moves.cpp): partitions that cannot move now get their error at once;
// the others go in one proposal, which checks each again as it applies.
caf::result<std::vector<reassignment_result>>
on_alter_reassignments(controller_self self, alter_reassignments_request& req);
caf::result<caf::ok_atom> on_decommission(controller_self self, decommission_request& req);

// Proposes fencing a broker (lease lapsed, process gone, or controlled shutdown).
void fence(controller_self self, node_id id, uint64_t incarnation, bool controlled);
// The unclean flag of fence / register / unfence proposals: unclean-leader-election-enable.
bool unclean_election(controller_self self);
// Leader, every tick: every leader-imbalance-check-interval-ms, if auto-leader-rebalance-enable
// and some partition's preferred replica could lead, proposes elect_preferred (one at a time).
void maybe_elect_preferred(controller_self self);

} // namespace cafka
