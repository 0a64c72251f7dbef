// The single-node controller: the metadata authority until the coordinator quorum exists.
// Applies topic commands to runtime/cluster's metadata_state, persists it atomically, and
// pushes every new metadata version to the registered brokers. One per node; actor context.
#pragma once

#include <caf/fwd.hpp>

#include "actors/messages.hpp"
#include "runtime/config/cluster_config.hpp"

namespace cafka {

controller_actor spawn_local_controller(caf::actor_system& sys, cluster_config cfg,
                                        node_id self_id);

} // namespace cafka
