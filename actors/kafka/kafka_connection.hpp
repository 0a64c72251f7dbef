// One Kafka client connection: a CAF io broker that only frames. It reads what the socket
// has (never more than it holds in memory), cuts 4-byte-size-prefixed request frames (capped
// like Kafka's socket.request.max.bytes), hands each with a sequence number to its session
// actor, and writes the answers back in request order (clients pipeline). It stops reading
// while too many requests or request bytes are unanswered or too many answer bytes are
// unsent (backpressure). On an SSL listener it also runs the connection's TLS (memory BIOs,
// never blocking) and closes a connection whose handshake fails or takes longer than
// tls::kafka_handshake_timeout_seconds. Runs on CAF's multiplexer thread: nothing here decodes or waits.
#pragma once

#include <cstddef>

#include <caf/io/broker.hpp>

#include "actors/kafka/kafka_session.hpp"
#include "runtime/tls/kafka_tls.hpp"

namespace cafka {

// Limits of one connection: requests and request bytes at the session, answer bytes not yet
// on the socket. Above any of them it stops reading until answers go out.
constexpr size_t kafka_max_in_flight = 128;
constexpr size_t kafka_max_queued_request_bytes = 64u << 20;
constexpr size_t kafka_max_unsent_bytes = 32u << 20;

// Hands the accepted connection `hdl` to a new connection broker (and its session) and
// returns the broker; `tls` null: plaintext. Requires: called from the acceptor's context,
// which owns `hdl`.
caf::actor fork_kafka_connection(caf::io::broker* acceptor, caf::io::connection_handle hdl,
                                 kafka_session_context ctx,
                                 std::shared_ptr<const tls::kafka_server_context> tls);

} // namespace cafka
