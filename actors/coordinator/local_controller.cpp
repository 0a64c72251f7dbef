#include "actors/coordinator/local_controller.hpp"

#include <filesystem>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_state.hpp"

namespace cafka {

namespace {

struct controller_state {
  cluster_config cfg;
  node_id id;
  std::string path;  // <node dir>/metadata.dat
  metadata_state md;
  std::map<node_id, broker_actor> brokers;
  static inline const char* name = "local_controller";
};

using controller_self = controller_actor::stateful_pointer<controller_state>;

// Persists `next` and makes it current, then pushes it to every broker.
caf::error commit(controller_self self, metadata_state next) {
  auto& st = self->state;
  if (auto err = next.save(st.path))
    return err;
  st.md = std::move(next);
  for (auto& kv : st.brokers)
    self->send(kv.second, md_update_atom::value, st.md.current());
  return {};
}

controller_actor::behavior_type controller_behavior(controller_self self, cluster_config cfg,
                                                    node_id id) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.id = id;
  std::error_code ec;
  std::filesystem::create_directories(st.cfg.node_dir(id), ec);
  st.path = st.cfg.node_dir(id) + "/metadata.dat";
  if (auto err = st.md.load(st.path)) {
    spdlog::error("controller: {}", describe(err));
    self->quit(err); // the node supervisor treats this as fatal
  }
  // Brokers are alive only once they register in this incarnation.
  for (auto& b : st.md.current().brokers)
    st.md.set_broker_alive(b.id, false);
  st.md.set_controller(id);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    for (auto i = st.brokers.begin(); i != st.brokers.end(); ++i)
      if (i->second.address() == dm.source) {
        auto next = st.md;
        next.set_broker_alive(i->first, false);
        st.brokers.erase(i);
        if (auto err = commit(self, std::move(next)))
          spdlog::error("controller: {}", describe(err));
        return;
      }
  });
  return {
    [=](register_atom, broker_metadata b, broker_actor hdl) -> caf::result<cluster_metadata> {
      auto& st = self->state;
      b.alive = true;
      auto next = st.md;
      next.register_broker(b);
      st.brokers[b.id] = hdl;
      self->monitor(hdl);
      if (auto err = commit(self, std::move(next)))
        return err;
      return st.md.current();
    },
    [=](create_topic_atom, create_topic_request req) -> caf::result<topic_metadata> {
      auto& st = self->state;
      if (req.partitions < 0)
        req.partitions = st.cfg.defaults.num_partitions;
      if (req.replication_factor < 0)
        req.replication_factor = st.cfg.defaults.default_replication_factor;
      auto next = st.md;
      auto t = next.create_topic(req);
      if (!t)
        return std::move(t.error());
      if (auto err = commit(self, std::move(next)))
        return err;
      spdlog::info("controller: created topic {} ({} partitions, RF {})", req.name,
                   req.partitions, req.replication_factor);
      return std::move(*t);
    },
    [=](delete_topic_atom, delete_topic_request& req) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto next = st.md;
      if (auto err = next.delete_topic(req.name))
        return err;
      if (auto err = commit(self, std::move(next)))
        return err;
      spdlog::info("controller: deleted topic {}", req.name);
      return caf::ok_atom::value;
    },
    [=](metadata_atom) { return self->state.md.current(); },
    [=](stop_atom) {
      self->quit();
      return caf::ok_atom::value;
    },
  };
}

} // namespace

controller_actor spawn_local_controller(caf::actor_system& sys, cluster_config cfg,
                                        node_id self_id) {
  return sys.spawn(controller_behavior, std::move(cfg), self_id);
}

} // namespace cafka
