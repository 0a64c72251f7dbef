// The lease keeper (lease_keeper.hpp): a heartbeat to every known quorum member each
// interval, carrying the broker's last reported view.
#include "actors/broker/lease_keeper.hpp"

#include <chrono>
#include <optional>

#include <caf/typed_event_based_actor.hpp>

#include "actors/chaos/node_send.hpp"
#include "actors/node/authorization.hpp"
#include "actors/system/spawn_on_own_thread.hpp"

namespace cafka {

namespace {

struct broker_view {
  uint64_t incarnation = 0;
  uint64_t md_version = 0;
  uint64_t access_version = 0;
  std::map<node_id, controller_actor> controllers;
  caf::actor_clock::time_point reported{};
};

struct lease_keeper_state {
  lease_keeper_config cfg;
  std::optional<broker_view> view;  // none before the broker's first tick
  bool stopped = false;             // the broker leaves: nothing more goes out
  refusal_log refusals;             // messages refused by sender (authorization.hpp)
  static inline const char* name = "lease_keeper";
  std::string owner() const { return "lease keeper of broker " + to_string(cfg.self); }
};

using lease_keeper_timers = lease_keeper_actor::extend<caf::reacts_to<caf::tick_atom>>;
using keeper_self = lease_keeper_timers::stateful_pointer<lease_keeper_state>;

void beat(keeper_self self) {
  auto& st = self->state;
  if (st.stopped)
    return;
  auto every = std::chrono::milliseconds{st.cfg.interval_ms};
  self->delayed_send(self, every, caf::tick_atom::value);
  if (!st.view)
    return;
  auto age = self->clock().now() - st.view->reported;
  if (age > std::chrono::milliseconds{st.cfg.stale_after_ms})
    return;  // the broker actor is hung: let the lease lapse
  auto& v = *st.view;
  for (auto& kv : v.controllers)
    node_send(self, st.cfg.faults.get(), st.cfg.self, kv.first,
              caf::actor_cast<controller_member_actor>(kv.second), heartbeat_atom::value,
              st.cfg.self, v.incarnation, v.md_version, v.access_version, st.cfg.broker);
}

lease_keeper_timers::behavior_type keeper_behavior(keeper_self self, lease_keeper_config cfg) {
  self->state.cfg = std::move(cfg);
  // The broker's down message goes ahead of a queued tick (urgent queue): no heartbeat
  // leaves once the keeper could know the broker is gone.
  self->monitor<caf::message_priority::high>(self->state.cfg.broker);
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.source == self->state.cfg.broker.address())
      self->quit();
  });
  beat(self);
  return {
    [=](heartbeat_atom, uint64_t incarnation, uint64_t md_version, uint64_t access_version,
        std::map<node_id, controller_actor>& controllers) {
      auto& st = self->state;
      if (require_local(self, st.refusals, st.owner(), "heartbeat",
                        "only the broker's process reports its view"))
        return;
      self->state.view = broker_view{incarnation, md_version, access_version,
                                     std::move(controllers), self->clock().now()};
    },
    [=](stop_atom) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      if (auto err = require_local(self, st.refusals, st.owner(), "stop",
                                   "only the broker's process may stop its lease"))
        return err;
      st.stopped = true;
      self->quit();
      return caf::ok_atom::value;
    },
    [=](caf::tick_atom) {
      auto& st = self->state;
      if (own_timer(self, st.refusals, st.owner(), "tick"))
        beat(self);
    },
  };
}

} // namespace

lease_keeper_actor spawn_lease_keeper(caf::actor_system& sys, lease_keeper_config cfg) {
  return spawn_on_own_thread(sys, keeper_behavior, std::move(cfg));
}

} // namespace cafka
