#include "cafka/client_system.hpp"

#include <chrono>

#include <caf/config_value.hpp>
#include <caf/io/middleman.hpp>

#include "actors/register_types.hpp"

namespace cafka {

void configure_client(caf::actor_system_config& cfg) {
  register_types(cfg);
  cfg.load<caf::io::middleman>();
  if (caf::get_if(&cfg.content, "middleman.heartbeat-interval") == nullptr)
    cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{200}});
}

client_system_config::client_system_config() {
  configure_client(*this);
}

} // namespace cafka
