// The broker actor: a node's client endpoint. Registers with the controller quorum (whose
// members the node supervisor hands it as peer messages) and keeps its lease with
// heartbeats, keeps the latest pushed cluster metadata, runs one partition replica actor per
// partition it hosts (supervising them), and routes produce / fetch / list-offsets to them.
#pragma once

#include <caf/fwd.hpp>

#include "actors/broker/broker_interface.hpp"
#include "runtime/config/cluster_config.hpp"

namespace cafka {

broker_actor spawn_broker(caf::actor_system& sys, cluster_config cfg, node_id self_id);

} // namespace cafka
