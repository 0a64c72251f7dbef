// One Kafka client connection: a CAF io broker that only frames. It reads what the socket
// has (never more than it holds in memory), cuts 4-byte-size-prefixed request frames (capped
// like Kafka's socket.request.max.bytes), hands each with a sequence number to its session
// actor, and writes the answers back in request order (clients pipeline). It stops reading
// while too many requests or request bytes are unanswered, too many answer bytes are not on
// the socket yet (backpressure), the node's bytes (connection_budget: requests and answers)
// are used up, or the session throttles the client. On an SSL listener it also runs the
// connection's TLS (memory BIOs, never blocking); a client whose TLS handshake fails, or
// that has not finished TLS and SASL within [limits] authentication-timeout-ms, is closed.
// Runs on CAF's multiplexer thread: nothing here decodes or waits.
#pragma once

#include <cstddef>

#include <caf/io/broker.hpp>

#include "actors/kafka/kafka_session.hpp"
#include "runtime/kafka/connection_budget.hpp"
#include "runtime/tls/kafka_tls.hpp"

namespace cafka {

// Limits of one connection: requests and request bytes at the session, answer bytes not yet
// on the socket (waiting for an earlier answer, or written). Above any of them it stops
// reading until answers go out.
constexpr size_t kafka_max_in_flight = 128;
constexpr size_t kafka_max_queued_request_bytes = 64u << 20;
constexpr size_t kafka_max_answer_bytes = 32u << 20;

// Hands the accepted connection `hdl` from client `address` to a new connection broker (and
// its session) and returns the broker; `tls` null: plaintext. The broker holds the
// connection's slot in `budget` and gives it back when it ends. Requires: called from the
// acceptor's context, which owns `hdl`; budget->open(address) admitted the connection.
caf::actor fork_kafka_connection(caf::io::broker* acceptor, caf::io::connection_handle hdl,
                                 kafka_session_context ctx,
                                 std::shared_ptr<const tls::kafka_server_context> tls,
                                 std::shared_ptr<connection_budget> budget,
                                 std::string address);

} // namespace cafka
