// The node supervisor: spawns this node's role actors in order (controller, then broker),
// monitors them, stops them in reverse order, and is the actor the node publishes: peers and
// clients ask it for the node's broker and controller. It also discovers the other nodes'
// controllers and introduces them to its own role actors. Actor context.
#pragma once

#include <functional>

#include <caf/fwd.hpp>

#include "actors/node/node_interface.hpp"
#include "runtime/config/cluster_config.hpp"

namespace cafka {

// on_fatal runs (in the supervisor's context) when a role actor dies unexpectedly.
node_actor spawn_node_supervisor(caf::actor_system& sys, cluster_config cfg, node_id id,
                                 std::function<void()> on_fatal);

} // namespace cafka
