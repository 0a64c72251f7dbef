// A Kafka session: the scheduled actor behind one client connection. It decodes each request
// frame, checks the API version, calls this node's broker (and through it the replica and
// group actors), and hands the encoded response frame back to its connection tagged with the
// request's sequence number. Actor context; one session per connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/broker/broker_interface.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/kafka/parked_fetch_budget.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/security/access_cache.hpp"

namespace cafka::kafka {
class quota_manager;
} // namespace cafka::kafka

namespace cafka {

class connection_budget;

// What every session of a listener shares.
struct kafka_session_context {
  broker_actor broker;        // this node's broker
  node_id node;
  std::string listener;       // listener name: Metadata returns every broker's endpoint of it
  int32_t max_request_bytes = 100 << 20;  // socket.request.max.bytes: bigger frames close
  std::shared_ptr<const cluster_config> cfg;
  // The node's credentials and ACLs as its broker last published them. Invariant: not null.
  std::shared_ptr<access_cache> access;
  // The node's byte-rate quotas ([quotas]), shared by all its sessions. Null: no quotas.
  std::shared_ptr<kafka::quota_manager> quotas;
  // [limits] max-parked-fetches: partition long polls of every session of the node (made once
  // per node, shared by its listeners; session_fetch.cpp). Null: not capped.
  std::shared_ptr<parked_fetch_budget> node_parked_fetches;
  // The node's connection budget (as the connections use it): a fetch takes what its reads
  // may bring into memory from it (session_fetch.cpp). Null: not counted.
  std::shared_ptr<connection_budget> budget;
  // The node's metrics: protocol="kafka" request series and cafka_kafka_connections
  // (actors/kafka/kafka_metrics.hpp). Null: not counted.
  std::shared_ptr<metrics::node_metrics> metrics = nullptr;
};

// From the connection: one request frame (without its size prefix) and its sequence number.
// The session answers the connection with (kafka_reply_atom, seq, frame-with-size-prefix or
// empty for no response) or (kafka_close_atom, seq, reason) to close once every answer
// before `seq` is written.
// (kafka_principal_atom, subject): the client certificate's subject, from the connection.
// On a SASL listener the session sends (kafka_authed_atom) to the connection once the client
// authenticated. (kafka_throttle_atom, int32_t ms) from the session: the connection reads no
// request for `ms` milliseconds (Kafka mutes a throttled client's channel, KIP-219); answers
// still go out. (expire_atom, id): the session's own timer (run_after), from itself only.
using kafka_session_actor =
  caf::typed_actor<caf::reacts_to<kafka_frame_atom, uint64_t, std::string>,
                   caf::reacts_to<kafka_principal_atom, std::string>,
                   caf::reacts_to<expire_atom, uint64_t>>;

// Spawns a session linked to `connection` (either ends, both end). client_host: the
// client's address as Kafka shows it ("/127.0.0.1").
kafka_session_actor spawn_kafka_session(caf::local_actor* connection,
                                        kafka_session_context ctx, std::string client_host);

} // namespace cafka
