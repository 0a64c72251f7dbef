// What the Kafka listeners report to the node's metrics (runtime/metrics/node_metrics.hpp):
// protocol="kafka" requests, latencies and error codes by Kafka's API and error names, and
// cafka_kafka_connections{listener}. A session's kafka_request_metrics lives in its state (the
// session's context); a connection's kafka_connection_count in the connection broker's.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runtime/metrics/node_metrics.hpp"

namespace cafka {

// Kafka's name of an API (its ApiKeys enum's name: "Produce", "ApiVersions",
// "ListPartitionReassignments"); "Unknown" for a key cafka does not serve.
const char* kafka_api_name(int16_t key);

// Kafka's name of an error code (its Errors enum: "NOT_LEADER_OR_FOLLOWER",
// "UNKNOWN_SERVER_ERROR"); "UNKNOWN" for a code kafka::error_code does not list.
const char* kafka_error_name(int16_t code);

// The highest API key cafka serves (kafka::api_key): the size of a session's series cache.
inline constexpr int16_t kafka_max_api_key = 47;

// One session's request series, looked up on the first request of each API.
class kafka_request_metrics {
public:
  using clock = std::chrono::steady_clock;

  // Counts nothing (a listener without node metrics).
  kafka_request_metrics() = default;
  explicit kafka_request_metrics(std::shared_ptr<metrics::node_metrics> m);

  // A request of `api_key` that arrived at `arrived` is answered now (its response queued on
  // the connection, or no response for acks=0): counted, its latency observed.
  void answered(int16_t api_key, clock::time_point arrived);

  // A non-zero error code in the response of an `api_key` request (top level or partition).
  void count_error(int16_t api_key, int16_t code);

private:
  std::shared_ptr<metrics::node_metrics> metrics_;
  // Invariant: entry k is set once a request of key k was answered.
  std::array<std::optional<metrics::request_series>, kafka_max_api_key + 1> series_;
};

// A connection's place in cafka_kafka_connections{listener}: 1 from construction to
// destruction (held by the connection broker's state). Counts nothing without metrics.
class kafka_connection_count {
public:
  kafka_connection_count(const std::shared_ptr<metrics::node_metrics>& m,
                         const std::string& listener);
  kafka_connection_count(const kafka_connection_count&) = delete;
  kafka_connection_count& operator=(const kafka_connection_count&) = delete;
  ~kafka_connection_count();

private:
  metrics::gauge open_;
};

} // namespace cafka
