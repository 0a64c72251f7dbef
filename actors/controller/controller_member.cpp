// The controller quorum member's behaviour: the requests only the leader answers (forwarded
// by followers, see leader_only in controller_state.hpp), Raft traffic, broker heartbeats and
// the member's own tick. Actor context of one controller_member_actor.
#include "actors/controller/controller_member.hpp"

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/chaos/node_send.hpp"
#include "actors/controller/controller_metrics.hpp"
#include "actors/node/authorization.hpp"
#include "actors/node/same_proxy.hpp"
#include "actors/system/spawn_on_own_thread.hpp"
#include "runtime/base/entropy.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"

namespace cafka {

namespace {

constexpr auto resend_interval = std::chrono::seconds{1};

// A cluster id in Kafka's form: 16 random bytes, URL-safe base64 without padding (22 chars).
std::string new_cluster_id() {
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint64_t bits[2] = {random_u64(), random_u64()};
  for (int i = 0; i < 22; ++i) {
    auto& word = bits[i < 11 ? 0 : 1];
    out += alphabet[word & 63];
    word >>= 6;
  }
  return out;
}

// -- who may send what (docs/security.md) --------------------------------------------------

sender_identity sender_of(controller_self self) {
  return identify(self->current_sender());
}

// Refuses `what` from `who` (counted, logged rate-limited): the error a request answers.
caf::error refused(controller_self self, const std::string& what, const sender_identity& who,
                   const std::string& why) {
  return refuse(self->state.refusals, self->state.owner(), what, who, why);
}

// Requests any client may make, also through another member or a broker (is_vouched_for).
caf::error check_vouched_for(controller_self self, const char* what) {
  auto who = sender_of(self);
  if (is_vouched_for(who))
    return {};
  return refused(self, what, who, "only a sender with an identity may ask");
}

// A broker's own message (register, heartbeat, shutdown): only that broker's node may send
// it, with a handle of its own (none for shutdown).
caf::error check_broker(controller_self self, const char* what, node_id id,
                        const caf::strong_actor_ptr* hdl) {
  auto who = sender_of(self);
  if (!may_act_as_node(who, id))
    return refused(self, what, who, "it may not speak for broker " + to_string(id));
  if (hdl != nullptr && !owns_handle(self->current_sender(), *hdl))
    return refused(self, what, who, "the broker handle is not on the sender's node");
  return {};
}

// -- requests only the leader answers (wrapped in leader_only) ----------------------------------

caf::result<cluster_metadata> on_register(controller_self self, broker_metadata& b,
                                          broker_actor& hdl) {
  auto& st = self->state;
  if (st.brokers.count(b.id) == 0 || !same_proxy(st.brokers[b.id], hdl)) {
    st.brokers[b.id] = hdl;
    self->monitor(hdl);
  }
  st.leases.renew(b.id, b.incarnation, self->clock().now());
  // The view answers; the access metadata follows it (the broker checks its sender against
  // the controller that view names).
  auto rp = self->make_response_promise<cluster_metadata>();
  auto answer = [self, rp, id = b.id, hdl](const caf::error& err) mutable {
    if (err) {
      rp.deliver(err);
      return;
    }
    rp.deliver(self->state.view());
    send_access(self, id, hdl);
  };
  auto known = st.md.current().find_broker(b.id);
  if (known != nullptr && known->alive && known->incarnation == b.incarnation
      && known->host == b.host && known->port == b.port && known->listeners == b.listeners) {
    answer({}); // a retried registration: already committed
    return rp;
  }
  auto cmd = register_broker_cmd{b, unclean_election(self), {}};
  if (st.md.current().cluster_id.empty())
    cmd.cluster_id = new_cluster_id();
  propose(self, cmd, [answer](const apply_result& res) mutable { answer(res.error); });
  return rp;
}

caf::result<topic_metadata> on_create_topic(controller_self self, create_topic_request& req) {
  auto& st = self->state;
  if (req.partitions < 0)
    req.partitions = st.cfg.defaults.num_partitions;
  if (req.replication_factor < 0)
    req.replication_factor = st.cfg.defaults.default_replication_factor;
  // Reject what cannot succeed before it takes a log entry.
  auto trial = st.md;
  if (auto t = trial.create_topic(req); !t)
    return std::move(t.error());
  // The caps are checked here, never when the command is applied: members' configs may
  // differ, and every member must apply the same log the same way. Topics proposed but not
  // yet applied count, so that concurrent creations cannot pass the caps together.
  auto have = count_topics(st.md.current());
  have.topics += st.proposed_topics.topics;
  have.partitions += st.proposed_topics.partitions;
  if (auto err = check_topic_caps(have, req, {st.cfg.max_topics, st.cfg.max_partitions}))
    return err;
  topic_count adds{1, req.partitions};
  st.proposed_topics.topics += adds.topics;
  st.proposed_topics.partitions += adds.partitions;
  auto rp = self->make_response_promise<topic_metadata>();
  propose(self, create_topic_cmd{req}, [self, rp, adds](const apply_result& res) mutable {
    auto& proposed = self->state.proposed_topics;
    proposed.topics -= adds.topics;
    proposed.partitions -= adds.partitions;
    if (res.error)
      rp.deliver(res.error);
    else
      rp.deliver(res.topic);
  });
  return rp;
}

caf::result<caf::ok_atom> on_delete_topic(controller_self self, delete_topic_request& req) {
  if (self->state.md.current().find_topic(req.name) == nullptr)
    return make_error(errc::unknown_topic_or_partition,
                      "topic '" + req.name + "' does not exist");
  return propose_then_answer<caf::ok_atom>(self, delete_topic_cmd{req.name},
                                           [](const apply_result&) { return caf::ok_atom::value; });
}

// A broker's controlled shutdown: fenced at once, its leaderships moved; answered ok even if
// the fence fails (the lease lapses anyway).
caf::result<caf::ok_atom> on_shutdown(controller_self self, node_id id, uint64_t incarnation) {
  auto& st = self->state;
  auto b = st.md.current().find_broker(id);
  if (b == nullptr || !b->alive || b->incarnation != incarnation)
    return caf::ok_atom::value; // already fenced or gone
  st.brokers.erase(id);
  st.leases.drop(id);
  spdlog::info("controller: controlled shutdown of broker {}", id);
  auto rp = self->make_response_promise<caf::ok_atom>();
  auto cmd = fence_broker_cmd{id, incarnation, true, unclean_election(self)};
  // The moved leaderships go out before the answer, not paced to the next tick: the broker
  // may be on this controller's node, which stops right after it.
  propose(self, cmd, [=](const apply_result&) mutable {
    push_if_due(self);
    rp.deliver(caf::ok_atom::value);
  });
  return rp;
}

// Only the partition's leader in the active controller's metadata may ask (every member
// refuses non-members first, see check_alter_isr). Validated when applied, not before:
// only the state after every earlier entry can say whether the epochs still match.
caf::result<partition_metadata> on_alter_isr(controller_self self, alter_isr_request& req) {
  auto who = sender_of(self);
  auto p = self->state.md.current().find_partition(req.tp);
  auto leader = p != nullptr ? p->leader : req.leader;
  if (!may_act_as_node(who, leader))
    return refused(self, "alter_isr", who,
                   "only the leader of " + to_string(req.tp) + " (node " + to_string(leader)
                     + ") may change its ISR");
  return propose_then_answer<partition_metadata>(
    self, alter_isr_cmd{req}, [](const apply_result& res) { return res.partition; });
}

caf::result<producer_id> on_init_pid(controller_self self) {
  return propose_then_answer<producer_id>(self, allocate_producer_id_cmd{},
                                          [](const apply_result& res) { return res.producer_id; });
}

// The leader answers from its own state only while it holds the quorum lease (the read is
// then not stale); a follower forwards to the leader, a leader without the lease answers
// not_controller.
caf::result<cluster_metadata> on_metadata(controller_self self) {
  if (auto err = check_vouched_for(self, "metadata"))
    return err;
  auto& st = self->state;
  if (st.is_leader() && st.raft->has_quorum_lease())
    return st.view();
  return forward_to_leader<cluster_metadata>(self, metadata_atom::value);
}

// -- quorum, brokers and timers ----------------------------------------------------------------

// Only node id itself (or this process) may hand over node id's handle, and only one on
// its own node.
void on_peer(controller_self self, node_id id, caf::strong_actor_ptr& ptr) {
  auto& st = self->state;
  if (id == st.cfg.self || !ptr)
    return;
  auto who = sender_of(self);
  if (!may_act_as_node(who, id) || !owns_handle(self->current_sender(), ptr)) {
    refused(self, "peer", who, "only node " + to_string(id) + " may hand over its handle");
    return;
  }
  auto hdl = caf::actor_cast<caf::actor>(ptr);
  auto i = st.peers.find(id);
  if (i != st.peers.end() && same_proxy(i->second, ptr))
    return; // the same proxy (a reconnected one has the same address)
  st.peers[id] = hdl;
  self->monitor(hdl);
}

// Leader: a broker's handle as of its latest heartbeat, pushing the metadata (and the access
// metadata) to a broker it did not know or that missed a push.
void track_broker(controller_self self, node_id id, uint64_t version, uint64_t access_version,
                  broker_actor& hdl) {
  auto& st = self->state;
  auto i = st.brokers.find(id);
  if (i == st.brokers.end() || !same_proxy(i->second, hdl)) {
    // A broker this controller has not talked to (e.g. after a leader change).
    st.brokers[id] = hdl;
    self->monitor(hdl);
    push_to(self, id, hdl);
  } else if (version < st.md.current().version && !st.push_due) {
    // The broker missed a push (messages can be lost): send the current state again (unless
    // the next tick pushes it anyway, or a push newer than its version left less than
    // resend_interval ago and may still be on its way).
    auto p = st.pushed.find(id);
    if (p != st.pushed.end() && p->second.version > version
        && self->clock().now() - p->second.at < resend_interval)
      return;
    push_to(self, id, hdl);
  } else if (access_version == access_not_loaded || access_version < st.md.access().version) {
    // It missed an access push only.
    send_access(self, id, hdl);
  }
}

void on_heartbeat(controller_self self, node_id id, uint64_t incarnation, uint64_t version,
                  uint64_t access_version, broker_actor& hdl) {
  auto ptr = caf::actor_cast<caf::strong_actor_ptr>(hdl);
  if (check_broker(self, "heartbeat", id, &ptr))
    return; // refused: dropped
  auto& st = self->state;
  auto b = st.md.current().find_broker(id);
  if (b == nullptr || b->incarnation != incarnation)
    return; // unknown or stale incarnation: it must register (again)
  st.leases.renew(id, incarnation, self->clock().now());
  auto w = st.watched.find(id);
  if (w == st.watched.end() || !same_proxy(w->second, hdl)) {
    st.watched[id] = hdl;
    self->monitor(hdl);
  }
  if (!st.is_leader())
    return; // a follower only keeps the lease, for when it becomes the controller
  track_broker(self, id, version, access_version, hdl);
  if (!b->alive)
    propose(self, unfence_broker_cmd{id, incarnation, unclean_election(self)},
            [](const apply_result&) {});
}

// The Raft clock; the leader also fences brokers whose lease lapsed and checks leader balance.
void on_tick(controller_self self) {
  auto& st = self->state;
  st.raft->tick();
  if (st.is_leader()) {
    for (auto& [id, inc] : st.leases.lapsed(self->clock().now())) {
      auto b = st.md.current().find_broker(id);
      if (b != nullptr && b->alive && b->incarnation == inc)
        fence(self, id, inc, false);
    }
    maybe_elect_preferred(self);
  }
  drive(self);
  push_if_due(self);
  publish_tick(self);
  self->delayed_send(self, st.cfg.tick, caf::tick_atom::value);
}

caf::result<quorum_status> status(controller_self self) {
  if (auto err = check_vouched_for(self, "status"))
    return err;
  return make_status(self->state);
}

// A monitored peer, watched broker or registered broker went away. A registered broker's
// process is gone (CAF noticed): the leader fences it at once instead of waiting for its lease.
void on_down(controller_self self, caf::down_msg& dm) {
  auto& st = self->state;
  for (auto i = st.peers.begin(); i != st.peers.end(); ++i)
    if (same_proxy(i->second, dm.source)) {
      st.peers.erase(i);
      return;
    }
  for (auto i = st.watched.begin(); i != st.watched.end(); ++i)
    if (same_proxy(i->second, dm.source)) {
      auto b = st.md.current().find_broker(i->first);
      if (b != nullptr)
        st.leases.gone(i->first, b->incarnation);
      st.watched.erase(i);
      break;
    }
  for (auto i = st.brokers.begin(); i != st.brokers.end(); ++i)
    if (same_proxy(i->second, dm.source)) {
      auto id = i->first;
      st.brokers.erase(i);
      auto b = st.md.current().find_broker(id);
      if (st.is_leader() && b != nullptr && b->alive)
        fence(self, id, b->incarnation, false);
      return;
    }
}

// -- the checks every member runs before it answers or forwards ---------------------------------

caf::error check_register(controller_self self, broker_metadata& b, broker_actor& hdl) {
  auto ptr = caf::actor_cast<caf::strong_actor_ptr>(hdl);
  return check_broker(self, "register", b.id, &ptr);
}

caf::error check_shutdown(controller_self self, node_id& id, uint64_t&) {
  return check_broker(self, "shutdown", id, nullptr);
}

// Only cluster members change ISRs; the active controller checks that the sender leads the
// partition (on_alter_isr).
caf::error check_alter_isr(controller_self self, alter_isr_request& req) {
  auto who = sender_of(self);
  if (is_cluster_member(who))
    return {};
  return refused(self, "alter_isr", who,
                 "only the leader of " + to_string(req.tp) + " may change its ISR");
}

template <const char* What, class... Ts>
caf::error check_vouched_for_as(controller_self self, Ts&...) {
  return check_vouched_for(self, What);
}

constexpr char create_topic_name[] = "create_topic";
constexpr char delete_topic_name[] = "delete_topic";
constexpr char init_pid_name[] = "init_pid";
constexpr char alter_configs_name[] = "alter_topic_configs";
constexpr char create_partitions_name[] = "create_partitions";
constexpr char reassign_name[] = "alter_reassignments";
constexpr char decommission_name[] = "decommission";
constexpr char upsert_credential_name[] = "upsert_credential";
constexpr char delete_credential_name[] = "delete_credential";
constexpr char list_users_name[] = "list_users";
constexpr char create_acls_name[] = "create_acls";
constexpr char delete_acls_name[] = "delete_acls";
constexpr char describe_acls_name[] = "describe_acls";

// leader_only's handler (controller_state.hpp) behind `check`, which the member that
// receives the request runs before it answers or forwards it.
template <class Atom, class Result, class... Ts>
auto checked(controller_self self, caf::error (*check)(controller_self, std::decay_t<Ts>&...),
             caf::result<Result> (*answer)(controller_self, Ts...)) {
  auto handler = leader_only<Atom>(self, answer);
  return [=](Atom atom, std::decay_t<Ts>&... xs) -> caf::result<Result> {
    if (auto err = check(self, xs...))
      return err;
    return handler(atom, xs...);
  };
}

// Loads the Raft state and the snapshot and builds the Raft core; quits on a storage error.
void start(controller_self self, controller_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.leases = broker_leases{st.cfg.broker_session_timeout};
  raft::persisted_state ps;
  if (auto err = st.cfg.storage->load(ps)) {
    spdlog::critical("controller {}: cannot load raft state: {}", st.cfg.self, describe(err));
    self->quit(err);
  }
  if (ps.snp) {
    if (auto err = st.md.from_bytes(ps.snp->data)) {
      spdlog::critical("controller {}: bad snapshot: {}", st.cfg.self, describe(err));
      self->quit(err);
    }
    st.applied = ps.snp->desc.index;
    st.last_snapshot = st.applied;
  }
  // A snapshot from the leader is persisted only if it decodes as the metadata state: a
  // stored one that does not would stop this member at every restart.
  st.cfg.raft.check_snapshot = [](const std::string& bytes) {
    return metadata_state{}.from_bytes(bytes);
  };
  st.raft = std::make_unique<raft::fsm>(st.cfg.self, st.cfg.members, std::move(ps),
                                        st.cfg.raft);
}

controller_timers_actor::behavior_type controller_behavior(controller_self self,
                                                           controller_config cfg) {
  start(self, std::move(cfg));
  self->delayed_send(self, self->state.cfg.tick, caf::tick_atom::value);
  // An error message from a peer (e.g. a message it could not handle) must not take the
  // quorum member down: CAF's default error handler would quit.
  self->set_error_handler([=](caf::error& err) {
    spdlog::warn("controller {}: ignoring error message: {}", self->state.cfg.self,
                 self->system().render(err));
  });
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  // Raft traffic only from the member it says it is from.
  auto step = [=](node_id from, const raft::message& m) {
    auto who = sender_of(self);
    if (!may_act_as_node(who, from)) {
      refused(self, "raft", who, "it may not speak for member " + to_string(from));
      return;
    }
    self->state.raft->step(from, m);
    drive(self);
  };
  return {
    checked<register_atom>(self, check_register, on_register),
    checked<create_topic_atom>(self, check_vouched_for_as<create_topic_name,
                                                            create_topic_request>,
                               on_create_topic),
    checked<delete_topic_atom>(self, check_vouched_for_as<delete_topic_name,
                                                            delete_topic_request>,
                               on_delete_topic),
    checked<alter_configs_atom>(
      self, check_vouched_for_as<alter_configs_name, alter_topic_configs_request>,
      on_alter_topic_configs),
    checked<create_partitions_atom>(
      self, check_vouched_for_as<create_partitions_name, create_partitions_request>,
      on_create_partitions),
    checked<reassign_atom>(
      self, check_vouched_for_as<reassign_name, alter_reassignments_request>,
      on_alter_reassignments),
    checked<decommission_atom>(
      self, check_vouched_for_as<decommission_name, decommission_request>, on_decommission),
    [=](metadata_atom) { return on_metadata(self); },
    checked<shutdown_atom>(self, check_shutdown, on_shutdown),
    [=](stop_atom) -> caf::result<caf::ok_atom> {
      if (auto err = require_local(self, self->state.refusals, self->state.owner(), "stop",
                                   "only this process may stop the controller"))
        return err;
      fail_pending(self);
      self->quit();
      return caf::ok_atom::value;
    },
    [=](raft_atom, node_id from, raft::vote_request& m) { step(from, m); },
    [=](raft_atom, node_id from, raft::vote_reply& m) { step(from, m); },
    [=](raft_atom, node_id from, raft::append_request& m) { step(from, m); },
    [=](raft_atom, node_id from, raft::append_reply& m) { step(from, m); },
    [=](raft_atom, node_id from, raft::install_snapshot& m) { step(from, m); },
    [=](raft_atom, node_id from, raft::snapshot_reply& m) { step(from, m); },
    [=](peer_atom, node_id id, caf::strong_actor_ptr& ptr) { on_peer(self, id, ptr); },
    [=](caf::tick_atom) {
      if (own_timer(self, self->state.refusals, self->state.owner(), "tick"))
        on_tick(self);
    },
    [=](heartbeat_atom, node_id id, uint64_t incarnation, uint64_t version,
        uint64_t access_version, broker_actor& hdl) {
      on_heartbeat(self, id, incarnation, version, access_version, hdl);
    },
    checked<alter_isr_atom>(self, check_alter_isr, on_alter_isr),
    checked<init_pid_atom>(self, check_vouched_for_as<init_pid_name>, on_init_pid),
    [=](status_atom) { return status(self); },
    // Access metadata (controller_access.cpp).
    checked<upsert_credential_atom>(
      self, check_vouched_for_as<upsert_credential_name, scram_credential>,
      on_upsert_credential),
    checked<delete_credential_atom>(
      self, check_vouched_for_as<delete_credential_name, credential_name>,
      on_delete_credential),
    checked<list_users_atom>(self, check_vouched_for_as<list_users_name>, on_list_users),
    checked<create_acls_atom>(
      self, check_vouched_for_as<create_acls_name, std::vector<acl_binding>>, on_create_acls),
    checked<delete_acls_atom>(
      self, check_vouched_for_as<delete_acls_name, std::vector<acl_filter>>, on_delete_acls),
    checked<describe_acls_atom>(self, check_vouched_for_as<describe_acls_name, acl_filter>,
                                on_describe_acls),
  };
}

} // namespace

controller_member_actor spawn_controller_member(caf::actor_system& sys, controller_config cfg) {
  if (cfg.metrics == nullptr)
    cfg.metrics = std::make_shared<metrics::node_metrics>();
  // On a thread of its own: Raft's timers and votes must not wait behind the node's data
  // path (thousands of replicas opening their logs would hold it for seconds).
  return spawn_on_own_thread(sys, controller_behavior, std::move(cfg));
}

} // namespace cafka
