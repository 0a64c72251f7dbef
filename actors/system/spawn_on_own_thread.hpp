// Spawning an actor on a thread of its own (CAF's detached), for actors that must not wait
// behind the scheduler's threads. Any thread; called where the actor is spawned.
#pragma once

#include <utility>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/spawn_options.hpp>

namespace cafka {

// Spawns `fun` detached, except under CAF's "testing" scheduler (the deterministic
// simulation), whose one thread runs every actor itself.
template <class F, class... Ts>
auto spawn_on_own_thread(caf::actor_system& sys, F fun, Ts&&... xs) {
  if (caf::get_or(sys.config(), "scheduler.policy", caf::atom("stealing"))
      == caf::atom("testing"))
    return sys.spawn(fun, std::forward<Ts>(xs)...);
  return sys.spawn<caf::detached>(fun, std::forward<Ts>(xs)...);
}

} // namespace cafka
