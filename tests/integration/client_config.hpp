// The actor system configuration for a test's own clients (producers, consumers) talking to
// a cluster_process over loopback. Test code only; call before the actor system starts.
#pragma once

#include <chrono>

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#include "actors/messages.hpp"

namespace cafka::testing {

// cafka's message types, the middleman, no console log, and a 200 ms middleman heartbeat so
// that a killed node's connection is noticed quickly.
inline caf::actor_system_config& client_config(caf::actor_system_config& cfg) {
  register_types(cfg);
  cfg.load<caf::io::middleman>();
  cfg.set("logger.console", caf::atom("none"));
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{200}});
  return cfg;
}

} // namespace cafka::testing
