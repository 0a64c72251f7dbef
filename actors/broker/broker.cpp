// The broker's behaviour: the client endpoint's data path (produce, fetch, list offsets and
// followers' fetches, routed to the partition replicas) and metadata reads, with the admin,
// group, session and replica handlers of the split files (see broker_state.hpp). Broker
// actor context.
#include "actors/broker/broker.hpp"

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/broker/broker_state.hpp"
#include "actors/node/authorization.hpp"
#include "runtime/base/entropy.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"

namespace cafka {

namespace {

constexpr auto keeper_stop_timeout = std::chrono::seconds{2};

uint64_t new_incarnation() {
  uint64_t x = random_u64();
  return x == 0 ? 1 : x;
}

// -- data path: routed to the partition's replica on this broker ----------------------------

using request_clock = native_request_metrics::clock;

// The request handed to the replica `r`, answered with the replica's answer once it comes
// (the broker measures the request's latency up to it), or r's error at once (counted by
// routed()). No timeout, as with a delegation: the replica answers every request it takes
// (produce and long-poll fetch have their own timeouts), or it dies, which fails the request.
// The replica then sees the broker as the sender: the broker's own checks (internal topics,
// fetches to the log end) run before.
template <class Result, class Atom, class Req>
caf::result<Result> to_replica(broker_self self, native_api api, request_clock::time_point start,
                               caf::expected<replica_actor> r, Atom atom, Req& req) {
  if (!r)
    return std::move(r.error());
  auto rp = self->make_response_promise<Result>();
  self->request(*r, caf::infinite, atom, std::move(req))
    .then(
      [=](Result& x) mutable {
        self->state.requests.answered(api, start, caf::error{});
        rp.deliver(std::move(x));
      },
      [=](caf::error& err) mutable {
        self->state.requests.answered(api, start, err);
        rp.deliver(std::move(err));
      });
  return rp;
}

// Runs a data path handler `f(start)`: its errors answered at once are counted here, the
// replica's answers by to_replica.
template <class F>
auto routed(broker_self self, native_api api, F f) {
  auto start = request_clock::now();
  auto r = f(start);
  if (r.flag == caf::rt_error)
    self->state.requests.answered(api, start, r.err);
  return r;
}

// Runs any other request handler `f()` and counts what it returned (broker_requests.hpp).
template <class F>
auto measured(broker_self self, native_api api, F f) {
  auto start = request_clock::now();
  auto r = f();
  self->state.requests.returned(api, start, r);
  return r;
}

caf::result<produce_response> on_produce(broker_self self, produce_request& req,
                                         request_clock::time_point start) {
  if (internal_from_remote(self, req.tp))
    return make_error(errc::invalid_request,
                      "topic '" + req.tp.topic + "' is internal: only brokers write it");
  return to_replica<produce_response>(self, native_api::produce, start, route(self, req.tp),
                                      produce_atom::value, req);
}

caf::result<fetch_response> on_fetch(broker_self self, fetch_request& req,
                                     request_clock::time_point start) {
  if (req.to_log_end && identify(self->current_sender()).kind != sender_kind::local)
    return make_error(errc::invalid_request, "fetch to the log end is for brokers only");
  return to_replica<fetch_response>(self, native_api::fetch, start, route(self, req.tp),
                                    fetch_atom::value, req);
}

// A follower's fetch goes to this broker's replica whatever its role (it checks epochs), if
// the sender may speak for the follower (the replica checks again: delegation keeps the
// sender).
caf::result<replica_fetch_response> on_replica_fetch(broker_self self,
                                                     replica_fetch_request& req) {
  auto who = identify(self->current_sender());
  if (!may_act_as_node(who, req.follower))
    return refuse(self->state.refusals, self->state.owner(), "replica_fetch", who,
                  "it may not fetch as follower " + to_string(req.follower));
  // Delegated (the hot path of replication: no extra hop): counted, without a latency.
  auto r = route_local(self, req.tp);
  if (!r)
    return std::move(r.error());
  return self->delegate(*r, replica_fetch_atom::value, std::move(req));
}

// -- metadata -----------------------------------------------------------------------------

// The latest pushed metadata, cut down to the topics asked for (all if none).
caf::result<cluster_metadata> on_metadata(broker_self self, const metadata_request& req) {
  auto& st = self->state;
  if (!st.registered)
    return make_error(errc::broker_not_available, "broker is starting");
  if (req.topics.empty())
    return st.md;
  auto out = st.md;
  out.topics.clear();
  for (auto& name : req.topics)
    if (auto t = st.md.find_topic(name))
      out.topics.push_back(*t);
  return out;
}

// -- lifecycle ----------------------------------------------------------------------------

// The lease keeper (lease_keeper.hpp), monitored: another starts if it dies.
void start_keeper(broker_self self) {
  auto& st = self->state;
  lease_keeper_config kc;
  kc.self = st.id;
  kc.broker = caf::actor_cast<broker_actor>(self);
  kc.faults = st.io.faults;
  kc.interval_ms = st.cfg.defaults.broker_heartbeat_interval_ms;
  kc.stale_after_ms = keeper_stale_after_ms(kc.interval_ms);
  st.keeper = spawn_lease_keeper(self->system(), std::move(kc));
  self->monitor(st.keeper);
}

// The lease keeper's view, registration retries and missing peers, every heartbeat interval.
void on_tick(broker_self self) {
  auto& st = self->state;
  if (st.stopping || st.leaving)
    return;
  report_to_keeper(self);
  if (!st.registered)
    try_register(self);
  connect_missing_peers(self);
  if (auto depth = st.io.metrics->mailbox_depth.with({"broker"}))
    depth->set(static_cast<double>(self->mailbox().size()));
  self->delayed_send(self,
                     std::chrono::milliseconds{st.cfg.defaults.broker_heartbeat_interval_ms},
                     caf::tick_atom::value);
}

// Leaderships move first (controlled shutdown), then the group managers stop, then every
// log is flushed and closed; the broker quits once every replica has stopped.
caf::result<caf::ok_atom> on_stop(broker_self self) {
  if (auto err = require_local(self, self->state.refusals, self->state.owner(), "stop",
                               "only this process may stop the broker"))
    return err;
  auto rp = self->make_response_promise<caf::ok_atom>();
  self->state.leaving = true;
  auto shut_down = [=]() mutable {
    controlled_shutdown(self, [=]() mutable {
      auto& st = self->state;
      st.stopping = true;
      // Group managers stop before the logs they write close.
      self->demonitor(st.groups.address());
      self->request(st.groups, replica_stop_timeout, stop_atom::value)
        .then([](caf::ok_atom) {}, [](caf::error&) {});
      stop_all_replicas(self, [=]() mutable {
        rp.deliver(caf::ok_atom::value);
        self->quit();
      });
    });
  };
  // A heartbeat after the fence would unfence this broker again: the keeper stops before
  // the controller hears of the shutdown (its answer follows every heartbeat it sent).
  self->request(self->state.keeper, keeper_stop_timeout, stop_atom::value)
    .then([=](caf::ok_atom) mutable { shut_down(); },
          [=](caf::error&) mutable {
            // Unresponsive: killed; a heartbeat it still had on its way may reach the
            // controller after the shutdown, and the next lease check fences again.
            self->send_exit(self->state.keeper, caf::exit_reason::kill);
            shut_down();
          });
  return rp;
}

void on_down(broker_self self, caf::down_msg& dm) {
  auto& st = self->state;
  if (dm.source == st.keeper.address()) {
    if (!st.leaving && !st.stopping) {
      spdlog::warn("broker {}: lease keeper stopped ({}); starting another", st.id,
                   self->system().render(dm.reason));
      start_keeper(self);
    }
    return;
  }
  if (on_controller_down(self, dm))
    return;
  if (on_peer_broker_down(self, dm))
    return;
  if (on_group_coordinator_down(self, dm))
    return;
  on_replica_down(self, dm);
}

// A handle of node `id` (a quorum member's, or its supervisor's) from its own node or from
// this process; anything else is refused (dropped).
bool handle_from_owner(broker_self self, const char* what, node_id id,
                       const caf::strong_actor_ptr& ptr) {
  auto who = identify(self->current_sender());
  if (may_act_as_node(who, id) && owns_handle(self->current_sender(), ptr))
    return true;
  refuse(self->state.refusals, self->state.owner(), what, who,
         "only node " + to_string(id) + " may hand over its handle");
  return false;
}

// The broker's own timers: only its delayed_send(self, ...) may deliver them.
bool own(broker_self self, const char* what) {
  return own_timer(self, self->state.refusals, self->state.owner(), what);
}

// A group's own request, handed to this broker's group coordinator (which answers it).
// Counted, without a latency: the coordinator answers.
template <class Atom, class... Ts>
auto to_groups(broker_self self, native_api api, Atom atom, Ts&... xs) {
  self->state.requests.delegated(api);
  return self->delegate(self->state.groups, atom, std::move(xs)...);
}

// A new incarnation of the broker: its state, handlers, first tick and group coordinator.
void start(broker_self self, cluster_config cfg, node_id id, node_io io,
           std::shared_ptr<access_cache> access) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.cleaning = std::make_shared<cleaner_slots>(st.cfg.defaults.log_cleaner_threads);
  st.id = id;
  st.io = std::move(io);
  st.requests = native_request_metrics{st.io.metrics};
  st.access = access != nullptr ? std::move(access) : std::make_shared<access_cache>();
  st.incarnation = new_incarnation();
  self->set_error_handler([=](caf::error& err) {
    spdlog::warn("broker {}: ignoring error message: {}", self->state.id,
                 self->system().render(err));
  });
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  start_keeper(self);
  self->delayed_send(self, std::chrono::milliseconds{st.cfg.defaults.broker_heartbeat_interval_ms},
                     caf::tick_atom::value);
  start_group_coordinator(self);
}

broker_timers_actor::behavior_type broker_behavior(broker_self self, cluster_config cfg,
                                                   node_id id, node_io io,
                                                   std::shared_ptr<access_cache> access) {
  start(self, std::move(cfg), id, std::move(io), std::move(access));
  return {
    // The data path and metadata (this file).
    [=](produce_atom, produce_request& req) {
      return routed(self, native_api::produce, [&](auto t) { return on_produce(self, req, t); });
    },
    [=](fetch_atom, fetch_request& req) {
      return routed(self, native_api::fetch, [&](auto t) { return on_fetch(self, req, t); });
    },
    [=](list_offsets_atom a, list_offsets_request& req) {
      return routed(self, native_api::list_offsets, [&](auto t) {
        return to_replica<list_offsets_response>(self, native_api::list_offsets, t,
                                                 route(self, req.tp), a, req);
      });
    },
    [=](replica_fetch_atom, replica_fetch_request& req) {
      return measured(self, native_api::replica_fetch, [&] { return on_replica_fetch(self, req); });
    },
    [=](metadata_atom, metadata_request& req) {
      return measured(self, native_api::metadata, [&] { return on_metadata(self, req); });
    },
    [=](md_update_atom, cluster_metadata& md) { on_md_push(self, md); },
    [=](access_update_atom, access_metadata& a) { on_access_push(self, a); },
    // Admin requests (broker_admin.cpp).
    [=](create_topic_atom, create_topic_request& req) {
      return measured(self, native_api::create_topic, [&] { return on_create_topic(self, req); });
    },
    [=](expire_atom, std::string& name) {
      if (own(self, "expire"))
        deliver_visible_topics(self, name, true);
    },
    [=](delete_topic_atom, delete_topic_request& req) {
      return measured(self, native_api::delete_topic, [&] { return on_delete_topic(self, req); });
    },
    [=](alter_configs_atom, alter_topic_configs_request& req) {
      return measured(self, native_api::alter_configs,
                      [&] { return on_alter_topic_configs(self, req); });
    },
    [=](create_partitions_atom, create_partitions_request& req) {
      return measured(self, native_api::create_partitions,
                      [&] { return on_create_partitions(self, req); });
    },
    [=](reassign_atom, alter_reassignments_request& req) {
      return measured(self, native_api::reassign,
                      [&] { return on_alter_reassignments(self, req); });
    },
    [=](decommission_atom, decommission_request& req) {
      return measured(self, native_api::decommission, [&] { return on_decommission(self, req); });
    },
    [=](alter_isr_atom, alter_isr_request& req) -> caf::result<partition_metadata> {
      if (auto err = require_local(self, self->state.refusals, self->state.owner(), "alter_isr",
                                   "only this broker's replicas may change an ISR through it"))
        return err;
      return on_alter_isr(self, req);
    },
    [=](init_pid_atom) {
      return measured(self, native_api::init_pid, [&] { return on_init_pid(self); });
    },
    [=](upsert_credential_atom, scram_credential& c) {
      return measured(self, native_api::upsert_credential,
                      [&] { return on_upsert_credential(self, c); });
    },
    [=](delete_credential_atom, credential_name& n) {
      return measured(self, native_api::delete_credential,
                      [&] { return on_delete_credential(self, n); });
    },
    [=](list_users_atom) {
      return measured(self, native_api::list_users, [&] { return on_list_users(self); });
    },
    [=](create_acls_atom, std::vector<acl_binding>& bs) {
      return measured(self, native_api::create_acls, [&] { return on_create_acls(self, bs); });
    },
    [=](delete_acls_atom, std::vector<acl_filter>& fs) {
      return measured(self, native_api::delete_acls, [&] { return on_delete_acls(self, fs); });
    },
    [=](describe_acls_atom, acl_filter& f) {
      return measured(self, native_api::describe_acls, [&] { return on_describe_acls(self, f); });
    },
    // Consumer groups (broker_groups.cpp, then the group coordinator).
    [=](find_coordinator_atom, std::string& group) {
      return measured(self, native_api::find_coordinator,
                      [&] { return find_coordinator(self, group); });
    },
    [=](group_heartbeat_atom a, group_heartbeat_request& req) {
      return to_groups(self, native_api::group_heartbeat, a, req);
    },
    [=](commit_atom a, offset_commit_request& req) {
      return to_groups(self, native_api::commit, a, req);
    },
    [=](offset_fetch_atom a, offset_fetch_request& req) {
      return to_groups(self, native_api::offset_fetch, a, req);
    },
    [=](describe_group_atom a, std::string& group) {
      return to_groups(self, native_api::describe_group, a, group);
    },
    [=](list_groups_atom a) { return to_groups(self, native_api::list_groups, a); },
    [=](classic_atom a, classic_group_request& req) {
      return to_groups(self, native_api::classic, a, req);
    },
    [=](group_admin_atom a, group_admin_request& req) {
      return to_groups(self, native_api::group_admin, a, req);
    },
    // The controller session and peers (broker_session.cpp, broker_peers.cpp).
    [=](peer_atom, node_id controller, caf::strong_actor_ptr& ptr) {
      if (ptr && handle_from_owner(self, "peer", controller, ptr))
        add_controller(self, controller, ptr);
    },
    [=](node_link_atom, node_id node, caf::strong_actor_ptr& ptr) {
      if (ptr && handle_from_owner(self, "node_link", node, ptr))
        add_node_link(self, node, caf::actor_cast<node_actor>(ptr));
    },
    [=](register_atom) {
      if (own(self, "register retry"))
        try_register(self);
    },
    [=](caf::tick_atom) {
      if (own(self, "tick"))
        on_tick(self);
    },
    // Replica lifecycle (broker_replicas.cpp) and the broker's own stop.
    [=](restart_atom, topic_partition& tp) {
      if (own(self, "restart"))
        restart_replica(self, tp);
    },
    [=](stop_atom) { return on_stop(self); },
  };
}

} // namespace

broker_actor spawn_broker(caf::actor_system& sys, cluster_config cfg, node_id self_id,
                          node_io io, std::shared_ptr<access_cache> access) {
  return sys.spawn(broker_behavior, std::move(cfg), self_id, std::move(io), std::move(access));
}

} // namespace cafka
