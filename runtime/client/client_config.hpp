// Producer and consumer settings, Kafka's names and defaults where one exists.
// Plain values copied into the client actors at spawn. Any thread.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include <caf/error.hpp>

#include "runtime/protocol/compression.hpp"

namespace cafka {

// The brokers of the repository's cluster.conf; cluster_bootstrap() (cafka/admin.hpp) reads
// the list of another cluster.conf.
inline constexpr const char* default_bootstrap = "127.0.0.1:9101,127.0.0.1:9102,127.0.0.1:9103";

struct producer_config {
  // bootstrap.servers: host:port[,host:port...], each tried in turn until a broker answers.
  std::string bootstrap = default_bootstrap;
  int16_t acks = -1;                          // acks: 0, 1, -1 (all)
  int64_t linger_ms = 5;                      // linger.ms
  int32_t batch_size = 16384;                 // batch.size (bytes per partition batch)
  // compression.type: codec of every batch (parse_compression_type reads Kafka's names). A
  // batch fills up to batch.size uncompressed; one that compression would not make smaller
  // is sent uncompressed, as Kafka's clients do.
  compression_codec compression_type = compression_codec::none;
  int64_t buffer_memory = 32ll << 20;         // buffer.memory (facade blocks beyond it)
  // max.block.ms: how long the facade's send() waits for buffer.memory before it fails.
  int64_t max_block_ms = 60000;
  // retries: attempts after the first. Kafka's default, effectively unbounded: a batch is
  // retried until delivery_timeout_ms passes (idempotent: only the delivery timeout counts).
  int32_t retries = std::numeric_limits<int32_t>::max();
  int64_t retry_backoff_ms = 100;             // retry.backoff.ms
  int64_t request_timeout_ms = 30000;         // request.timeout.ms
  int32_t max_in_flight = 5;                  // max.in.flight.requests.per.connection
  // enable.idempotence: a producer id and per-partition sequence numbers, so that retries
  // (also across a leader failover) write no duplicates. Requires acks = -1 and
  // max_in_flight <= 5.
  bool enable_idempotence = false;
  // delivery.timeout.ms: a batch not acknowledged this long after it was drained fails.
  int64_t delivery_timeout_ms = 120000;
};

// errc::invalid_config with a one-line reason if the settings cannot work together.
caf::error validate(const producer_config& cfg);

enum class offset_reset { earliest, latest, none };

struct consumer_config {
  std::string bootstrap = default_bootstrap;  // bootstrap.servers, as the producer's
  int32_t fetch_max_bytes = 1 << 20;          // max.partition.fetch.bytes
  int32_t fetch_min_bytes = 1;                // fetch.min.bytes
  int32_t fetch_max_wait_ms = 500;            // fetch.max.wait.ms
  int64_t request_timeout_ms = 30000;         // request.timeout.ms
  int64_t retry_backoff_ms = 100;             // retry.backoff.ms
  offset_reset auto_offset_reset = offset_reset::latest;  // auto.offset.reset
  // Consumer groups (subscribe). An empty group.id gets a unique new group at subscribe.
  std::string group_id;                        // group.id
  std::string group_instance_id;               // group.instance.id (static membership)
  std::string group_remote_assignor;           // group.remote.assignor; empty: the group's
  bool enable_auto_commit = true;              // enable.auto.commit
  int64_t auto_commit_interval_ms = 5000;      // auto.commit.interval.ms
  // max.poll.interval.ms: a member whose sink holds a delivered batch this long without
  // granting credit back leaves the group (its partitions move to members that work) and
  // joins again once it grants credit.
  int64_t max_poll_interval_ms = 300000;
};

// errc::invalid_config with a one-line reason if the settings cannot work together.
caf::error validate(const consumer_config& cfg);

} // namespace cafka
