// One Kafka client connection: a CAF io broker that only frames (4-byte big-endian size,
// capped like Kafka's socket.request.max.bytes), hands each request frame with a sequence
// number to its session actor, and writes the answers back in request order (clients
// pipeline). Runs on CAF's multiplexer thread: nothing here decodes or waits.
#pragma once

#include <caf/io/broker.hpp>

#include "actors/kafka/kafka_session.hpp"

namespace cafka {

// Requests a connection may have in flight before it stops reading (backpressure).
constexpr size_t kafka_max_in_flight = 128;

// Hands the accepted connection `hdl` to a new connection broker (and its session).
// Requires: called from the acceptor's context, which owns `hdl`.
void fork_kafka_connection(caf::io::broker* acceptor, caf::io::connection_handle hdl,
                           kafka_session_context ctx);

} // namespace cafka
