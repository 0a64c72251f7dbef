#include "actors/node/network_dialer.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/sec.hpp>

namespace cafka {

caf::actor network_dialer(caf::actor_system& sys) {
  if (auto sim = sys.registry().get(sim_network_name))
    return caf::actor_cast<caf::actor>(sim);
  // With TLS configured (configure_tls), every connection goes through CAF's OpenSSL module.
  if (sys.has_openssl_manager())
    return caf::actor_cast<caf::actor>(sys.openssl_manager().actor_handle());
  return caf::actor_cast<caf::actor>(sys.middleman().actor_handle());
}

bool lost_handshake_race(const caf::error& err) {
  return err == caf::sec::connection_timeout;
}

} // namespace cafka
