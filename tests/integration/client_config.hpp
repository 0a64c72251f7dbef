// The actor system configuration for a test's own clients (producers, consumers) talking to
// a cluster_process over loopback. Test code only; call before the actor system starts.
#pragma once

#include <chrono>

#include <caf/actor_system_config.hpp>

#include "cafka/client_system.hpp"

namespace cafka::testing {

// A client's setup (configure_client: a 200 ms middleman heartbeat, so that a killed node's
// connection is noticed quickly) without console logging.
inline caf::actor_system_config& client_config(caf::actor_system_config& cfg) {
  configure_client(cfg);
  cfg.set("logger.console", caf::atom("none"));
  return cfg;
}

} // namespace cafka::testing
