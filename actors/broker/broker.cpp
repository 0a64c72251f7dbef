#include "actors/broker/broker.hpp"

#include <random>

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/broker/broker_state.hpp"
#include "actors/node/same_proxy.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/entropy.hpp"
#include "runtime/group/group_records.hpp"

namespace cafka {

namespace {

uint64_t new_incarnation() {
  uint64_t x = random_u64();
  return x == 0 ? 1 : x;
}

constexpr auto admin_timeout = std::chrono::seconds{30};

// Answers the creates waiting for their topic to appear (all visible ones; with `force`, also
// `name`'s waiters whether or not the topic is visible).
void deliver_visible_topics(broker_self self, const std::string& name, bool force) {
  auto& st = self->state;
  for (auto i = st.awaiting_topics.begin(); i != st.awaiting_topics.end();) {
    auto t = st.md.find_topic(i->first);
    if (t != nullptr) {
      i->second.deliver(*t);
    } else if (force && i->first == name) {
      i->second.deliver(make_error(errc::request_timed_out,
                                   "topic '" + name + "' was created but is not visible yet"));
    } else {
      ++i;
      continue;
    }
    i = st.awaiting_topics.erase(i);
  }
}

broker_timers_actor::behavior_type broker_behavior(broker_self self, cluster_config cfg,
                                                   node_id id, node_io io) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.id = id;
  st.io = std::move(io);
  st.incarnation = new_incarnation();
  self->set_error_handler([=](caf::error& err) {
    spdlog::warn("broker {}: ignoring error message: {}", self->state.id.value,
                 self->system().render(err));
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    for (auto i = st.controllers.begin(); i != st.controllers.end(); ++i)
      if (same_proxy(i->second, dm.source)) {
        st.controllers.erase(i); // the node supervisor rediscovers it
        return;
      }
    if (on_peer_broker_down(self, dm))
      return;
    if (on_group_coordinator_down(self, dm))
      return;
    on_replica_down(self, dm);
  });
  self->delayed_send(self, std::chrono::milliseconds{st.cfg.defaults.broker_heartbeat_interval_ms},
                     caf::tick_atom::value);
  start_group_coordinator(self);
  auto internal = [](const topic_partition& tp) {
    return make_error(errc::invalid_request,
                      "topic '" + tp.topic + "' is internal: only brokers write it");
  };
  return {
    [=](produce_atom, produce_request& req) -> caf::result<produce_response> {
      if (internal_from_remote(self, req.tp))
        return internal(req.tp);
      auto r = route(self, req.tp);
      if (!r)
        return std::move(r.error());
      return self->delegate(*r, produce_atom::value, std::move(req));
    },
    [=](fetch_atom, fetch_request& req) -> caf::result<fetch_response> {
      if (req.to_log_end && self->current_sender() != nullptr
          && self->current_sender()->node() != self->node())
        return make_error(errc::invalid_request, "fetch to the log end is for brokers only");
      auto r = route(self, req.tp);
      if (!r)
        return std::move(r.error());
      return self->delegate(*r, fetch_atom::value, std::move(req));
    },
    [=](list_offsets_atom, list_offsets_request& req) -> caf::result<list_offsets_response> {
      auto r = route(self, req.tp);
      if (!r)
        return std::move(r.error());
      return self->delegate(*r, list_offsets_atom::value, std::move(req));
    },
    [=](metadata_atom, metadata_request& req) -> caf::result<cluster_metadata> {
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
    },
    [=](create_topic_atom, create_topic_request& req) -> caf::result<topic_metadata> {
      auto target = admin_target(self);
      if (!target)
        return make_error(errc::not_controller, "no controller quorum member reachable");
      // Answer once this broker's metadata shows the topic, so the client's next request
      // through this broker finds it.
      auto rp = self->make_response_promise<topic_metadata>();
      auto name = req.name;
      self->request(*target, admin_timeout, create_topic_atom::value, std::move(req))
        .then(
          [=](topic_metadata& t) mutable {
            auto& st = self->state;
            if (st.md.find_topic(name) != nullptr) {
              rp.deliver(std::move(t));
              return;
            }
            st.awaiting_topics.emplace(name, rp);
            self->delayed_send(self, admin_timeout, expire_atom::value, name);
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](expire_atom, std::string& name) {
      // The push never came (e.g. the controller moved): answer with what is known.
      deliver_visible_topics(self, name, true);
    },
    [=](delete_topic_atom, delete_topic_request& req) -> caf::result<caf::ok_atom> {
      if (req.name == group::offsets_topic)
        return make_error(errc::invalid_request, "topic '" + req.name
                                                   + "' is internal and cannot be deleted");
      auto target = admin_target(self);
      if (!target)
        return make_error(errc::not_controller, "no controller quorum member reachable");
      return self->delegate(*target, delete_topic_atom::value, std::move(req));
    },
    [=](replica_fetch_atom, replica_fetch_request& req) -> caf::result<replica_fetch_response> {
      auto r = route_local(self, req.tp);
      if (!r)
        return std::move(r.error());
      return self->delegate(*r, replica_fetch_atom::value, std::move(req));
    },
    [=](alter_isr_atom, alter_isr_request& req) -> caf::result<partition_metadata> {
      auto& st = self->state;
      if (st.md.controller != node_id{-1}
          && st.io.faults->exchange_lost(st.id, st.md.controller))
        return make_error(errc::request_timed_out,
                          "the controller is unreachable (fault injection)");
      auto target = admin_target(self);
      if (!target)
        return make_error(errc::not_controller, "no controller quorum member reachable");
      return self->delegate(*target, alter_isr_atom::value, std::move(req));
    },
    [=](init_pid_atom) -> caf::result<producer_id> {
      auto target = admin_target(self);
      if (!target)
        return make_error(errc::not_controller, "no controller quorum member reachable");
      return self->delegate(*target, init_pid_atom::value);
    },
    [=](find_coordinator_atom, std::string& group) -> caf::result<node_id> {
      return find_coordinator(self, group);
    },
    [=](group_heartbeat_atom, group_heartbeat_request& req)
      -> caf::result<group_heartbeat_response> {
      return self->delegate(self->state.groups, group_heartbeat_atom::value, std::move(req));
    },
    [=](commit_atom, offset_commit_request& req) -> caf::result<caf::ok_atom> {
      return self->delegate(self->state.groups, commit_atom::value, std::move(req));
    },
    [=](offset_fetch_atom, offset_fetch_request& req)
      -> caf::result<std::vector<partition_offset>> {
      return self->delegate(self->state.groups, offset_fetch_atom::value, std::move(req));
    },
    [=](describe_group_atom, std::string& group) -> caf::result<group_description> {
      return self->delegate(self->state.groups, describe_group_atom::value, std::move(group));
    },
    [=](list_groups_atom) -> caf::result<std::vector<std::string>> {
      return self->delegate(self->state.groups, list_groups_atom::value);
    },
    [=](classic_atom, classic_group_request& req) -> caf::result<classic_group_response> {
      return self->delegate(self->state.groups, classic_atom::value, std::move(req));
    },
    [=](md_update_atom, cluster_metadata& md) {
      apply_metadata(self, std::move(md));
      if (!self->state.awaiting_topics.empty())
        deliver_visible_topics(self, {}, false);
    },
    [=](restart_atom, topic_partition& tp) {
      auto& st = self->state;
      auto p = st.md.find_partition(tp);
      bool hosted = p != nullptr
                    && std::find(p->replicas.begin(), p->replicas.end(), st.id)
                         != p->replicas.end();
      if (!st.stopping && hosted && st.replicas.count(tp) == 0)
        start_replica(self, tp);
    },
    [=](peer_atom, node_id controller, caf::strong_actor_ptr& ptr) {
      auto& st = self->state;
      if (!ptr)
        return;
      auto hdl = caf::actor_cast<controller_actor>(ptr);
      auto i = st.controllers.find(controller);
      if (i != st.controllers.end() && same_proxy(i->second, ptr))
        return; // the same proxy (a reconnected one has the same address)
      st.controllers[controller] = hdl;
      self->monitor(hdl);
      if (!st.registered)
        try_register(self);
    },
    [=](node_link_atom, node_id node, caf::strong_actor_ptr& ptr) {
      if (ptr)
        add_node_link(self, node, caf::actor_cast<node_actor>(ptr));
    },
    [=](register_atom) { try_register(self); },
    [=](caf::tick_atom) {
      auto& st = self->state;
      if (st.stopping || st.leaving)
        return;
      send_heartbeats(self);
      if (!st.registered)
        try_register(self);
      connect_missing_peers(self);
      self->delayed_send(self,
                         std::chrono::milliseconds{st.cfg.defaults.broker_heartbeat_interval_ms},
                         caf::tick_atom::value);
    },
    [=](stop_atom) -> caf::result<caf::ok_atom> {
      auto rp = self->make_response_promise<caf::ok_atom>();
      // A heartbeat after the fence would unfence this broker again.
      self->state.leaving = true;
      // Leaderships move first (controlled shutdown), then every log is flushed and closed.
      controlled_shutdown(self, [=]() mutable {
        auto& st = self->state;
        st.stopping = true;
        // Group managers stop before the logs they write close.
        self->demonitor(st.groups.address());
        self->request(st.groups, replica_stop_timeout, stop_atom::value)
          .then([](caf::ok_atom) {}, [](caf::error&) {});
        auto remaining = std::make_shared<size_t>(st.replicas.size());
        if (*remaining == 0) {
          rp.deliver(caf::ok_atom::value);
          self->quit();
          return;
        }
        for (auto& kv : st.replicas) {
          auto tp = kv.first;
          auto done = [=]() mutable {
            if (--*remaining == 0) {
              rp.deliver(caf::ok_atom::value);
              self->quit();
            }
          };
          self->request(kv.second, replica_stop_timeout, stop_atom::value, false)
            .then([=](caf::ok_atom) mutable { done(); },
                  [=](caf::error& err) mutable {
                    spdlog::error("broker: stopping replica {} failed: {}", to_string(tp),
                                  describe(err));
                    done();
                  });
        }
        st.replicas.clear();
        st.by_addr.clear();
      });
      return rp;
    },
  };
}

} // namespace

broker_actor spawn_broker(caf::actor_system& sys, cluster_config cfg, node_id self_id,
                          node_io io) {
  return sys.spawn(broker_behavior, std::move(cfg), self_id, std::move(io));
}

} // namespace cafka
