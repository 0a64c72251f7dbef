// The Kafka listener of a broker node: an acceptor (CAF io broker) on the listener's address
// that forks one connection broker per accepted TCP connection. Started by `cafka node` after
// the node is published; runs on CAF's multiplexer thread.
#pragma once

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/kafka/kafka_session.hpp"
#include "runtime/cluster/metadata.hpp"
#include "runtime/kafka/connection_budget.hpp"
#include "runtime/tls/kafka_tls.hpp"

namespace cafka {

// Binds `bind` (host "0.0.0.0" = every interface) and serves Kafka on it with sessions that
// call `ctx.broker`, over TLS with `tls` when it is not null (an SSL listener). A connection
// that `budget` (the node's, shared by its listeners) has no room for is closed at once.
// Errors: the bind failed (address in use, ...), with the address named.
// Send the returned actor an exit message to stop accepting and close every connection.
caf::expected<caf::actor> start_kafka_listener(caf::actor_system& sys,
                                               const listener_endpoint& bind,
                                               kafka_session_context ctx,
                                               std::shared_ptr<const tls::kafka_server_context> tls,
                                               std::shared_ptr<connection_budget> budget);

} // namespace cafka
