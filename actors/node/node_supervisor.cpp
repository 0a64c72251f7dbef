#include "actors/node/node_supervisor.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/broker/broker.hpp"
#include "actors/coordinator/local_controller.hpp"
#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

constexpr auto stop_timeout = std::chrono::seconds{60};

struct supervisor_state {
  controller_actor controller;
  broker_actor broker;
  bool stopping = false;
  static inline const char* name = "node_supervisor";
};

using supervisor_self = node_actor::stateful_pointer<supervisor_state>;

node_actor::behavior_type supervisor_behavior(supervisor_self self, cluster_config cfg,
                                              node_id id, std::function<void()> on_fatal) {
  auto& st = self->state;
  st.controller = spawn_local_controller(self->system(), cfg, id);
  self->monitor(st.controller);
  st.broker = spawn_broker(self->system(), cfg, id, st.controller);
  self->monitor(st.broker);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (st.stopping)
      return;
    const char* who = dm.source == st.broker.address() ? "broker" : "controller";
    spdlog::critical("node: the {} actor died unexpectedly ({}); stopping the node", who,
                     caf::to_string(dm.reason));
    st.stopping = true;
    if (on_fatal)
      on_fatal();
    self->quit(dm.reason);
  });
  return {
    [=](metadata_atom) { return self->state.broker; },
    [=](stop_atom) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      st.stopping = true;
      auto rp = self->make_response_promise<caf::ok_atom>();
      // Reverse order: the broker (flushes and closes every log), then the controller.
      auto stop_controller = [=]() mutable {
        self->request(self->state.controller, stop_timeout, stop_atom::value)
          .then([=](caf::ok_atom) mutable {
                  rp.deliver(caf::ok_atom::value);
                  self->quit();
                },
                [=](caf::error&) mutable {
                  rp.deliver(caf::ok_atom::value);
                  self->quit();
                });
      };
      self->request(st.broker, stop_timeout, stop_atom::value)
        .then([=](caf::ok_atom) mutable { stop_controller(); },
              [=](caf::error& err) mutable {
                spdlog::error("node: broker stop failed: {}", describe(err));
                stop_controller();
              });
      return rp;
    },
  };
}

} // namespace

node_actor spawn_node_supervisor(caf::actor_system& sys, cluster_config cfg, node_id id,
                                 std::function<void()> on_fatal) {
  return sys.spawn(supervisor_behavior, std::move(cfg), id, std::move(on_fatal));
}

} // namespace cafka
