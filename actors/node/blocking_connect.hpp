// Client-side connection to a cafka node: its supervisor (node_actor) or its broker, at
// host:port through the middleman, bounded by a timeout. Blocking: call from a non-actor
// thread (main, a test body), never from inside an actor.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/broker/broker_interface.hpp"
#include "actors/node/node_interface.hpp"

namespace cafka {

// Connects to the node published at host:port (its supervisor), bounded by timeout; dials
// again while a dial only lost the handshake race (network_dialer.hpp).
caf::expected<node_actor> connect_node(caf::actor_system& sys, const std::string& host,
                                       uint16_t port, std::chrono::milliseconds timeout);

// Connects to the broker at host:port through the middleman actor (bounded by timeout).
caf::expected<broker_actor> connect_broker(caf::actor_system& sys, const std::string& host,
                                           uint16_t port, std::chrono::milliseconds timeout);

} // namespace cafka
