#include "actors/node/node_supervisor.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/broker/broker.hpp"
#include "actors/chaos/chaos_agent.hpp"
#include "actors/controller/controller_member.hpp"
#include "actors/node/authorization.hpp"
#include "actors/node/network_dialer.hpp"
#include "actors/node/same_proxy.hpp"
#include "runtime/base/entropy.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"
#include "runtime/chaos/rule_check.hpp"
#include "runtime/raft/disk_persistence.hpp"

namespace cafka {

namespace {

constexpr auto discovery_timeout = std::chrono::seconds{2};
constexpr auto discovery_retry = std::chrono::milliseconds{300};

struct supervisor_state {
  cluster_config cfg;
  node_id id;
  controller_member_actor controller;  // null without the controller role
  broker_actor broker;                 // null without the broker role
  node_io io;                          // the node's fault table and disk
  chaos_agent_actor chaos;             // edits io.faults; null unless chaos-enable=true
  // Links to the other nodes' supervisors. Invariant: this node opens the connection only to
  // nodes with a higher id (dials); a lower-id node opens it to us and says hello.
  std::map<node_id, node_actor> links;
  std::map<node_id, caf::actor_addr> peers;  // discovered controllers of other nodes
  std::set<node_id> discovering;  // dials in flight
  std::set<node_id> asking;       // controller_atom requests in flight
  bool stopping = false;
  // Why the node stops on its own (its broker or controller died); empty otherwise.
  // Invariant: set => stopping.
  caf::error failure;
  refusal_log refusals;  // messages refused by sender (actors/node/authorization.hpp)
  static inline const char* name = "node_supervisor";

  std::string owner() const { return "node " + std::to_string(id.value); }
};

// The node actor's published interface plus its own timer (a self-message only).
using supervisor_timers_actor = node_actor::extend<
  caf::reacts_to<peer_atom, node_id>>;  // discover node N again after a pause

using supervisor_self = supervisor_timers_actor::stateful_pointer<supervisor_state>;

// `entropy` seeds the Raft core's election timeouts together with the node id.
controller_config make_controller_config(const cluster_config& cfg, node_id id,
                                         const node_io& io, uint64_t entropy) {
  controller_config cc;
  cc.self = id;
  for (auto& n : cfg.nodes)
    if (n.controller)
      cc.members.push_back(n.id);
  cc.storage = std::make_shared<raft::disk_persistence>(cfg.node_dir(id) + "/" + raft_dir_name,
                                                        io.raw_disk);
  cc.faults = io.faults;
  cc.metrics = io.metrics;
  auto& d = cfg.defaults;
  cc.tick = std::chrono::milliseconds{d.quorum_tick_ms};
  cc.raft.election_timeout_ticks
    = static_cast<int32_t>(std::max<int64_t>(2, d.quorum_election_timeout_ms / d.quorum_tick_ms));
  cc.raft.heartbeat_ticks = 1;
  cc.raft.seed = static_cast<uint64_t>(id.value) * 0x9e3779b97f4a7c15ull ^ entropy;
  cc.broker_session_timeout = std::chrono::milliseconds{d.broker_session_timeout_ms};
  cc.defaults = d;
  cc.max_topics = cfg.limits.max_topics;
  cc.max_partitions = cfg.limits.max_partitions;
  return cc;
}

// Hands node id's controller quorum member to this node's role actors.
void introduce(supervisor_self self, node_id id, const caf::strong_actor_ptr& member) {
  auto& st = self->state;
  if (st.controller && id != st.id)
    self->send(st.controller, peer_atom::value, id, member);
  if (st.broker)
    self->send(st.broker, peer_atom::value, id, member);
}

// True if this node opens the connection to `peer` (CAF 0.17's BASP can keep a dead route
// for one direction of a link that both sides opened at the same moment: one side then
// loses every message to the other while the connection looks fine).
bool dials(node_id self, node_id peer) {
  return self < peer;
}

void discover(supervisor_self self, node_id id);

// Retries discover(id) after a pause.
void retry_discovery(supervisor_self self, node_id id) {
  self->delayed_send(self, discovery_retry, peer_atom::value, id);
}

// Asks a linked node for its controller and introduces it; retries on failure.
void ask_controller(supervisor_self self, node_id id) {
  auto& st = self->state;
  auto n = st.cfg.find(id);
  auto link = st.links.find(id);
  if (st.stopping || n == nullptr || !n->controller || link == st.links.end()
      || st.peers.count(id) > 0 || st.asking.count(id) > 0)
    return;
  st.asking.insert(id);
  self->request(link->second, discovery_timeout, controller_atom::value)
    .then(
      [=](controller_member_actor& c) {
        auto& st = self->state;
        st.asking.erase(id);
        st.peers[id] = c.address();
        self->monitor(c);
        introduce(self, id, caf::actor_cast<caf::strong_actor_ptr>(c));
      },
      [=](caf::error&) {
        self->state.asking.erase(id);
        retry_discovery(self, id);
      });
}

// A link to node `id` is up (dialled, or its hello arrived): remember and monitor it, hand it
// to the broker, and fetch the node's controller.
void add_link(supervisor_self self, node_id id, node_actor hdl) {
  auto& st = self->state;
  auto i = st.links.find(id);
  if (i != st.links.end() && same_proxy(i->second, hdl))
    return; // the same proxy (a reconnected one has the same address, not the same proxy)
  st.links[id] = hdl;
  self->monitor(hdl);
  if (st.broker)
    self->send(st.broker, node_link_atom::value, id, caf::actor_cast<caf::strong_actor_ptr>(hdl));
  ask_controller(self, id);
}

// Makes sure a link to node `id` exists (dialling it if this node dials) and that its
// controller is known.
void discover(supervisor_self self, node_id id) {
  auto& st = self->state;
  auto n = st.cfg.find(id);
  if (st.stopping || n == nullptr || id == st.id)
    return;
  if (st.links.count(id) > 0) {
    ask_controller(self, id);
    return;
  }
  if (!dials(st.id, id) || st.discovering.count(id) > 0)
    return; // the other node dials us and says hello
  st.discovering.insert(id);
  auto retry = [=] {
    self->state.discovering.erase(id);
    retry_discovery(self, id);
  };
  auto mm = network_dialer(self->system());
  self->request(mm, discovery_timeout, caf::connect_atom::value, n->host, n->port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        if (!ptr)
          return retry();
        // The link counts once the other node has taken the hello.
        auto remote = caf::actor_cast<node_actor>(ptr);
        self->request(remote, discovery_timeout, hello_atom::value, self->state.id,
                      caf::actor_cast<caf::strong_actor_ptr>(self))
          .then(
            [=](caf::ok_atom) {
              self->state.discovering.erase(id);
              add_link(self, id, remote);
            },
            [=](caf::error& err) {
              spdlog::warn("node {}: node {} did not take our hello: {}", self->state.id,
                           id, describe(err));
              retry();
            });
      },
      [=](caf::error&) { retry(); });
}

// The link or controller handle that `source` is, if any, is gone: forget it and find it again.
// Compares the proxies themselves: a reconnected proxy has the same address as its
// predecessor. False if source was neither.
bool on_peer_down(supervisor_self self, const caf::actor_addr& source) {
  auto& st = self->state;
  for (auto i = st.links.begin(); i != st.links.end(); ++i)
    if (same_proxy(i->second, source)) {
      auto id = i->first;
      st.links.erase(i);
      spdlog::info("node {}: link to node {} lost; finding it again", st.id, id);
      retry_discovery(self, id);
      return true;
    }
  for (auto i = st.peers.begin(); i != st.peers.end(); ++i)
    if (same_proxy(i->second, source)) {
      auto id = i->first;
      st.peers.erase(i);
      retry_discovery(self, id);
      return true;
    }
  return false;
}

// Chaos requests: any authenticated sender (not anonymous or unknown); the error to answer
// otherwise.
caf::error check_authenticated(supervisor_self self, const char* what) {
  auto who = identify(self->current_sender());
  if (is_authenticated(who))
    return {};
  return refuse(self->state.refusals, self->state.owner(), what, who,
                "only authenticated senders may ask");
}

// A hello only from node `peer` itself, with a handle on its own node.
caf::error check_hello(supervisor_self self, node_id peer, const caf::strong_actor_ptr& ptr) {
  auto who = identify(self->current_sender());
  if (!may_act_as_node(who, peer))
    return refuse(self->state.refusals, self->state.owner(), "hello", who,
                  "only node " + to_string(peer) + " may say hello as node " + to_string(peer));
  if (!owns_handle(self->current_sender(), ptr))
    return refuse(self->state.refusals, self->state.owner(), "hello", who,
                  "the handle is not on the sender's node");
  return {};
}

// The clean stop, in reverse order: the broker (controlled shutdown, flush and close every
// log), then the controller; then the supervisor quits. `rp` gets ok, or the first role's
// stop error: a role that died during the stop, or did not stop within the timeout.
void stop_roles(supervisor_self self, caf::typed_response_promise<caf::ok_atom> rp) {
  auto done = [=](const caf::error& failed) mutable {
    if (failed)
      rp.deliver(failed);
    else
      rp.deliver(caf::ok_atom::value);
    self->quit();
  };
  auto stop_controller = [=](const caf::error& failed) mutable {
    if (!self->state.controller) {
      done(failed);
      return;
    }
    self->request(self->state.controller, node_role_stop_timeout, stop_atom::value)
      .then([=](caf::ok_atom) mutable { done(failed); },
            [=](caf::error& err) mutable {
              spdlog::error("node: controller stop failed: {}", describe(err));
              done(failed ? failed : err);
            });
  };
  if (!self->state.broker) {
    stop_controller(caf::error{});
    return;
  }
  self->request(self->state.broker, node_role_stop_timeout, stop_atom::value)
    .then([=](caf::ok_atom) mutable { stop_controller(caf::error{}); },
          [=](caf::error& err) mutable {
            spdlog::error("node: broker stop failed: {}", describe(err));
            stop_controller(err);
          });
}

// Spawns the node's chaos agent, which ends with the supervisor whatever the exit reason (a
// link would keep it running after a normal exit and hold up the actor system's shutdown).
void spawn_agent(supervisor_self self) {
  auto& st = self->state;
  std::set<node_id> ids;
  for (auto& n : st.cfg.nodes)
    ids.insert(n.id);
  st.chaos = spawn_chaos_agent(self->system(), st.id, st.io.faults, st.cfg.chaos.limits,
                               std::move(ids), st.io.metrics);
  spdlog::warn("node {}: chaos-enable=true: this node takes fault rules (within the "
               "chaos-max-* caps)", st.id);
  self->attach_functor([agent = st.chaos](const caf::error&) {
    caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
  });
}

supervisor_timers_actor::behavior_type
supervisor_behavior(supervisor_self self, cluster_config cfg, node_id id,
                    std::function<void()> on_fatal, std::shared_ptr<fault_table> faults,
                    std::shared_ptr<access_cache> access,
                    std::shared_ptr<metrics::node_metrics> m) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.id = id;
  if (m == nullptr)
    m = std::make_shared<metrics::node_metrics>(st.cfg.metrics);
  st.io = make_node_io(std::move(faults), std::move(m));
  auto me = st.cfg.find(id);
  if (me != nullptr && me->controller) {
    st.controller = spawn_controller_member(
      self->system(), make_controller_config(st.cfg, id, st.io, random_u64()));
    self->monitor(st.controller);
  }
  if (me != nullptr && me->broker) {
    st.broker = spawn_broker(self->system(), st.cfg, id, st.io,
                             access != nullptr ? std::move(access)
                                               : std::make_shared<access_cache>());
    self->monitor(st.broker);
  }
  if (st.cfg.chaos.enable)
    spawn_agent(self);
  if (st.controller)
    introduce(self, id, caf::actor_cast<caf::strong_actor_ptr>(st.controller));
  for (auto& n : st.cfg.nodes)
    if (n.id != id)
      discover(self, n.id);
  self->set_error_handler([=](caf::error& err) {
    spdlog::warn("node: ignoring error message: {}", self->system().render(err));
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (on_peer_down(self, dm.source))
      return;
    if (dm.source != st.broker.address() && dm.source != st.controller.address())
      return; // an older proxy of a link or controller that has been replaced
    if (st.stopping)
      return;
    const char* who = dm.source == st.broker.address() ? "broker" : "controller";
    spdlog::critical("node: the {} actor died unexpectedly ({}); stopping the node", who,
                     self->system().render(dm.reason));
    st.stopping = true;
    st.failure = make_error(errc::shutting_down, std::string{"node "} + to_string(st.id)
                                                   + " is stopping: its " + who
                                                   + " actor died");
    auto reason = dm.reason;
    auto finish = [=] {
      if (on_fatal)
        on_fatal();
      self->quit(reason);
    };
    // The other role would hold up the actor system's shutdown: stop it first (a broker
    // flushes and closes its logs), then tell the node's main thread.
    auto other = dm.source == st.broker.address() ? caf::actor_cast<caf::actor>(st.controller)
                                                  : caf::actor_cast<caf::actor>(st.broker);
    if (!other) {
      finish();
      return;
    }
    self->request(other, node_role_stop_timeout, stop_atom::value)
      .then([=](caf::ok_atom) { finish(); }, [=](caf::error&) { finish(); });
  });
  return {
    [=](broker_atom) -> caf::result<broker_actor> {
      if (self->state.stopping)
        return make_error(errc::broker_not_available,
                          "node " + to_string(self->state.id) + " is stopping");
      if (!self->state.broker)
        return make_error(errc::broker_not_available,
                          "node " + to_string(self->state.id) + " has no broker role");
      return self->state.broker;
    },
    [=](controller_atom) -> caf::result<controller_member_actor> {
      if (self->state.stopping)
        return make_error(errc::not_controller,
                          "node " + to_string(self->state.id) + " is stopping");
      if (!self->state.controller)
        return make_error(errc::not_controller, "node " + to_string(self->state.id)
                                                  + " has no controller role");
      return self->state.controller;
    },
    [=](peer_atom, node_id peer) {
      if (own_timer(self, self->state.refusals, self->state.owner(), "discovery retry"))
        discover(self, peer);
    },
    [=](hello_atom, node_id peer, caf::strong_actor_ptr& ptr) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      if (st.stopping)
        return make_error(errc::broker_not_available,
                          "node " + to_string(st.id) + " is stopping");
      if (!ptr || st.cfg.find(peer) == nullptr || !dials(peer, st.id))
        return make_error(errc::invalid_request,
                          "node " + to_string(st.id) + " takes hellos only from "
                            "lower node ids of its config, not from node "
                            + to_string(peer));
      if (auto err = check_hello(self, peer, ptr))
        return err;
      add_link(self, peer, caf::actor_cast<node_actor>(ptr));
      return caf::ok_atom::value;
    },
    // Chaos requests go to the agent; without one (chaos-enable=false) they change nothing.
    [=](chaos_atom, fault_rule& rule, int64_t duration_ms) -> caf::result<uint64_t> {
      if (auto err = check_authenticated(self, "chaos"))
        return err;
      if (!self->state.chaos)
        return chaos_disabled_error(self->state.id);
      return self->delegate(self->state.chaos, chaos_atom::value, std::move(rule), duration_ms);
    },
    [=](heal_atom) -> caf::result<caf::ok_atom> {
      if (auto err = check_authenticated(self, "heal"))
        return err;
      if (!self->state.chaos)
        return chaos_disabled_error(self->state.id);
      return self->delegate(self->state.chaos, heal_atom::value);
    },
    [=](chaos_atom) -> caf::result<std::vector<fault_status>> {
      if (auto err = check_authenticated(self, "chaos list"))
        return err;
      if (!self->state.chaos)
        return chaos_disabled_error(self->state.id);
      return self->delegate(self->state.chaos, chaos_atom::value);
    },
    [=](stop_atom) -> caf::result<caf::ok_atom> {
      // Only the node's own process stops it (cafka node on SIGTERM): a remote stop would
      // also pass the broker's and controller's local-only stop, relayed by this actor.
      if (auto err = require_local(self, self->state.refusals, self->state.owner(), "stop",
                                   "only this process may stop the node"))
        return err;
      auto& st = self->state;
      // A node already stopping because a role died finishes that stop and then tells its
      // process (on_fatal); a clean stop's answer would hide the failure from it.
      if (st.failure)
        return st.failure;
      st.stopping = true;
      auto rp = self->make_response_promise<caf::ok_atom>();
      stop_roles(self, rp);
      return rp;
    },
  };
}

} // namespace

node_actor spawn_node_supervisor(caf::actor_system& sys, cluster_config cfg, node_id id,
                                 std::function<void()> on_fatal,
                                 std::shared_ptr<fault_table> faults,
                                 std::shared_ptr<access_cache> access,
                                 std::shared_ptr<metrics::node_metrics> metrics) {
  return sys.spawn(supervisor_behavior, std::move(cfg), id, std::move(on_fatal),
                   std::move(faults), std::move(access), std::move(metrics));
}

} // namespace cafka
