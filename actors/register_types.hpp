// register_types(): every message type and the cafka error category, registered with an
// actor_system_config before the system starts (remote messages need the registry). Clients
// call it through configure_client() (cafka/client_system.hpp). Any thread.
#pragma once

#include <caf/actor_system_config.hpp>

namespace cafka {

// Registers every message type and the cafka error category. Call before the system starts.
void register_types(caf::actor_system_config& cfg);

} // namespace cafka
