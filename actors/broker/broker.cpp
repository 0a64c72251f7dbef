#include "actors/broker/broker.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/broker/partition_replica.hpp"
#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

constexpr auto controller_timeout = std::chrono::seconds{30};
constexpr auto replica_stop_timeout = std::chrono::seconds{30};

// Restart backoff for a replica that keeps dying: 100 ms doubling to 30 s; a replica that
// ran for a minute starts over at 100 ms.
constexpr auto restart_backoff_min = std::chrono::milliseconds{100};
constexpr auto restart_backoff_max = std::chrono::milliseconds{30000};
constexpr auto restart_backoff_reset = std::chrono::seconds{60};

struct restart_info {
  std::chrono::steady_clock::time_point started;
  std::chrono::milliseconds backoff{0};
};

struct broker_state {
  cluster_config cfg;
  node_id id;
  controller_actor controller;
  cluster_metadata md;
  bool registered = false;
  bool stopping = false;
  std::map<topic_partition, replica_actor> replicas;
  std::map<caf::actor_addr, topic_partition> by_addr;
  std::map<topic_partition, restart_info> restarts;
  static inline const char* name = "broker";

  std::string partition_dir(const topic_partition& tp) const {
    return cfg.node_dir(id) + "/" + tp.topic + "-" + std::to_string(tp.partition.value);
  }
};

using broker_self = broker_actor::stateful_pointer<broker_state>;

void start_replica(broker_self self, const topic_partition& tp) {
  auto& st = self->state;
  auto p = st.md.find_partition(tp);
  replica_config rc{tp, st.partition_dir(tp), st.cfg.defaults, self->address(),
                    p != nullptr ? p->epoch : leader_epoch{0}};
  st.restarts[tp].started = std::chrono::steady_clock::now();
  auto r = spawn_partition_replica(self->system(), std::move(rc));
  self->monitor(r);
  st.by_addr[r.address()] = tp;
  st.replicas[tp] = r;
}

void stop_replica(broker_self self, const topic_partition& tp, bool delete_data) {
  auto& st = self->state;
  auto i = st.replicas.find(tp);
  if (i == st.replicas.end())
    return;
  auto r = i->second;
  self->demonitor(r.address());
  st.by_addr.erase(r.address());
  st.replicas.erase(i);
  st.restarts.erase(tp);
  self->request(r, replica_stop_timeout, stop_atom::value, delete_data)
    .then([](caf::ok_atom) {},
          [tp](caf::error& err) {
            spdlog::error("broker: stopping replica {} failed: {}", to_string(tp),
                          describe(err));
          });
}

// Starts replicas for partitions this broker hosts and stops (and deletes) the others.
void apply_metadata(broker_self self, cluster_metadata md) {
  auto& st = self->state;
  if (st.registered && md.version <= st.md.version)
    return; // stale or duplicate push
  bool first = !st.registered;
  st.md = std::move(md);
  st.registered = true;
  std::set<topic_partition> wanted;
  for (auto& t : st.md.topics)
    for (auto& p : t.partitions)
      if (std::find(p.replicas.begin(), p.replicas.end(), st.id) != p.replicas.end())
        wanted.insert(topic_partition{t.name, p.id});
  std::vector<topic_partition> gone;
  for (auto& kv : st.replicas)
    if (wanted.count(kv.first) == 0)
      gone.push_back(kv.first);
  for (auto& tp : gone) {
    spdlog::info("broker: topic partition {} deleted; removing its log", to_string(tp));
    stop_replica(self, tp, true);
  }
  for (auto& tp : wanted)
    if (st.replicas.count(tp) == 0)
      start_replica(self, tp);
  if (first) {
    // Directories the metadata does not know are left alone: data is never deleted on a
    // guess (a lost metadata file must not wipe the logs). Deletes go through the controller.
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(st.cfg.node_dir(st.id), ec)) {
      if (!e.is_directory())
        continue;
      bool known = false;
      for (auto& tp : wanted)
        known = known || e.path() == st.partition_dir(tp);
      if (!known)
        spdlog::warn("broker: {} belongs to no known topic partition; leaving it in place",
                     e.path().string());
    }
  }
}

// The replica leading `tp` on this broker, or the error to reply.
caf::expected<replica_actor> route(broker_self self, const topic_partition& tp) {
  auto& st = self->state;
  auto p = st.md.find_partition(tp);
  if (p == nullptr)
    return make_error(errc::unknown_topic_or_partition,
                      "topic partition " + to_string(tp) + " does not exist");
  if (p->leader != st.id)
    return make_error(errc::not_leader_for_partition,
                      "broker " + std::to_string(st.id.value) + " does not lead "
                        + to_string(tp));
  auto i = st.replicas.find(tp);
  if (i == st.replicas.end())
    return make_error(errc::broker_not_available,
                      "replica of " + to_string(tp) + " is not running");
  return i->second;
}

broker_actor::behavior_type broker_behavior(broker_self self, cluster_config cfg, node_id id,
                                            controller_actor controller) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.id = id;
  st.controller = controller;
  auto me = st.cfg.find(id);
  broker_metadata bm{id, me ? me->host : "", me ? me->port : uint16_t{0}, true};
  self->request(controller, controller_timeout, register_atom::value, bm,
                caf::actor_cast<broker_actor>(self))
    .then([=](cluster_metadata& md) { apply_metadata(self, std::move(md)); },
          [=](caf::error& err) {
            spdlog::error("broker: registration with the controller failed: {}",
                          describe(err));
            self->quit(err);
          });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto i = st.by_addr.find(dm.source);
    if (i == st.by_addr.end() || st.stopping)
      return;
    auto tp = i->second;
    st.by_addr.erase(i);
    st.replicas.erase(tp);
    auto& ri = st.restarts[tp];
    if (std::chrono::steady_clock::now() - ri.started >= restart_backoff_reset)
      ri.backoff = std::chrono::milliseconds{0};
    ri.backoff = std::min(restart_backoff_max, std::max(restart_backoff_min, ri.backoff * 2));
    spdlog::error("broker: replica {} died ({}); restarting it in {} ms", to_string(tp),
                  self->system().render(dm.reason), ri.backoff.count());
    self->delayed_send(self, ri.backoff, restart_atom::value, tp);
  });
  return {
    [=](produce_atom, produce_request& req) -> caf::result<produce_response> {
      auto r = route(self, req.tp);
      if (!r)
        return std::move(r.error());
      return self->delegate(*r, produce_atom::value, std::move(req));
    },
    [=](fetch_atom, fetch_request& req) -> caf::result<fetch_response> {
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
      return self->delegate(self->state.controller, create_topic_atom::value, std::move(req));
    },
    [=](delete_topic_atom, delete_topic_request& req) -> caf::result<caf::ok_atom> {
      return self->delegate(self->state.controller, delete_topic_atom::value, std::move(req));
    },
    [=](md_update_atom, cluster_metadata& md) { apply_metadata(self, std::move(md)); },
    [=](restart_atom, topic_partition& tp) {
      auto& st = self->state;
      auto p = st.md.find_partition(tp);
      bool hosted = p != nullptr
                    && std::find(p->replicas.begin(), p->replicas.end(), st.id)
                         != p->replicas.end();
      if (!st.stopping && hosted && st.replicas.count(tp) == 0)
        start_replica(self, tp);
    },
    [=](stop_atom) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      st.stopping = true;
      auto remaining = std::make_shared<size_t>(st.replicas.size());
      if (*remaining == 0) {
        self->quit();
        return caf::ok_atom::value;
      }
      // Only now: a response promise marks the request answered, so a returned value is lost.
      auto rp = self->make_response_promise<caf::ok_atom>();
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
      return rp;
    },
  };
}

} // namespace

broker_actor spawn_broker(caf::actor_system& sys, cluster_config cfg, node_id self_id,
                          controller_actor controller) {
  return sys.spawn(broker_behavior, std::move(cfg), self_id, std::move(controller));
}

} // namespace cafka
