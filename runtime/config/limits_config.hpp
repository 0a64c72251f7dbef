// cluster.conf's [limits] section: how much of a node one client, one connection or the whole
// cluster may hold (connections, request bytes, parked fetches, topics, groups, producer ids),
// Kafka's names with dashes where Kafka has one. Parsed by cluster_config_from; plain values.
#pragma once

#include <cstdint>
#include <string>

#include <caf/expected.hpp>
#include <caf/settings.hpp>

namespace cafka {

// Invariant (checked by limits_config_from): every value is positive;
// socket_request_max_bytes <= queued_max_request_bytes;
// connection_failed_authentication_delay_ms < authentication_timeout_ms;
// max_parked_fetches_per_connection <= max_parked_fetches.
struct limits_config {
  // -- connections (the Kafka listeners of one node) ----------------------------------------
  // Open Kafka connections of a node and of one client address (Kafka's max.connections and
  // max.connections.per.ip); a connection beyond either is closed at once. A node lowers
  // max-connections to what its open-file limit leaves room for.
  int32_t max_connections = 10000;               // max-connections
  int32_t max_connections_per_ip = 1000;         // max-connections-per-ip
  // The largest request frame (socket.request.max.bytes); a bigger one closes the connection.
  int32_t socket_request_max_bytes = 100 << 20;  // socket-request-max-bytes
  // Request bytes a node holds for all its connections at once, read or being answered
  // (queued.max.request.bytes): a connection whose next frame does not fit waits.
  int64_t queued_max_request_bytes = 256 << 20;  // queued-max-request-bytes
  // A connection that sent no bytes for this long is closed (connections.max.idle.ms).
  int64_t connections_max_idle_ms = 600000;      // connections-max-idle-ms
  // A client that has not finished its TLS handshake and SASL authentication this long after
  // connecting is closed.
  int64_t authentication_timeout_ms = 10000;     // authentication-timeout-ms
  // A failed SASL authentication is answered (and the connection closed) this much later
  // (connection.failed.authentication.delay.ms).
  int64_t connection_failed_authentication_delay_ms = 100;

  // -- consumer fetches ---------------------------------------------------------------------
  // Partition reads waiting for data (long polls) on one node, per connection and per
  // partition; a fetch beyond them waits its max_wait_ms without parking, then reads again.
  int32_t max_parked_fetches = 100000;                // max-parked-fetches
  int32_t max_parked_fetches_per_connection = 1000;   // max-parked-fetches-per-connection
  int32_t max_parked_fetches_per_partition = 2000;    // max-parked-fetches-per-partition

  // -- cluster-wide and per-partition state ---------------------------------------------------
  int32_t max_topics = 2000;                      // max-topics (the cluster's topics)
  int32_t max_partitions = 10000;                 // max-partitions (the cluster's partitions)
  int32_t max_groups = 10000;                     // max-groups (groups one node coordinates)
  int32_t group_max_size = 1000;                  // group-max-size (members of one group)
  int32_t max_producer_ids_per_partition = 10000; // max-producer-ids-per-partition
};

// Parses the [limits] section (`sec` may be null: no section, the defaults) of the config at
// `path`. Errors are errc::invalid_config naming the key ("path: [limits] max-connections
// must be between 1 and 1000000, got 0").
caf::expected<limits_config> limits_config_from(const caf::settings* sec,
                                                const std::string& path);

} // namespace cafka
