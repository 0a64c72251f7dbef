// The broker actor: a node's client endpoint. Registers with the controller quorum (whose
// members the node supervisor hands it as peer messages) and keeps its lease with
// heartbeats, keeps the latest pushed cluster metadata, publishes the pushed access metadata
// to the node's access_cache, runs one partition replica actor per partition it hosts
// (supervising them), and routes produce / fetch / list-offsets to them.
// Its storage reaches the disk through io.disk; io.faults decides the fate of its messages.
#pragma once

#include <caf/fwd.hpp>

#include "actors/broker/broker_interface.hpp"
#include "runtime/chaos/node_io.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/security/access_cache.hpp"

namespace cafka {

// `io`: the node's (a fresh table and the real disk when the broker runs alone, in tests).
// `access`: the node's access cache, shared with its Kafka sessions (a fresh one if null).
broker_actor spawn_broker(caf::actor_system& sys, cluster_config cfg, node_id self_id,
                          node_io io = make_node_io(),
                          std::shared_ptr<access_cache> access = nullptr);

} // namespace cafka
