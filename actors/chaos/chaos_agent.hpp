// The chaos agent: one per node, owned by the node supervisor, which delegates `cafka chaos`
// requests to it. It edits the process's fault_table (the rules node_send and the other
// cross-node exchanges consult) and removes rules whose duration is over. Actor context.
#pragma once

#include <caf/fwd.hpp>

#include "actors/chaos/chaos_interface.hpp"

namespace cafka {

chaos_agent_actor spawn_chaos_agent(caf::actor_system& sys, node_id self_id);

} // namespace cafka
