// The chaos agent: one per node, owned by the node supervisor, which delegates `cafka chaos`
// requests to it. It edits the node's fault_table (the rules node_send, the other cross-node
// exchanges and the node's faulty_env consult) and removes rules whose duration is over.
// Actor context.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/chaos/chaos_interface.hpp"
#include "runtime/chaos/fault_table.hpp"

namespace cafka {

// Requires: faults not null.
chaos_agent_actor spawn_chaos_agent(caf::actor_system& sys, node_id self_id,
                                    std::shared_ptr<fault_table> faults);

} // namespace cafka
