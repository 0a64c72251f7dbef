// Request and response structs of the client/broker protocol, sent between nodes by CAF.
// Each has an inspect() overload and is registered in actors/messages.cpp. Plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/base/ids.hpp"

namespace cafka {

// acks: 0 = fire and forget, 1 = leader log, -1 = all in-sync replicas.
struct produce_request {
  topic_partition tp;
  int16_t acks = 1;
  int32_t timeout_ms = 30000;
  std::string batch;  // exactly one record batch (record_batch.hpp), base offset 0
};

struct produce_response {
  topic_partition tp;
  log_offset base_offset;
  log_offset log_start_offset;
};

// Long poll: answered when at least min_bytes are available or max_wait_ms passed.
struct fetch_request {
  topic_partition tp;
  log_offset offset;
  int32_t max_bytes = 1 << 20;
  int32_t min_bytes = 1;
  int32_t max_wait_ms = 500;
};

struct fetch_response {
  topic_partition tp;
  log_offset high_watermark;
  log_offset log_start_offset;
  std::string records;  // whole batches as stored; the first may start before the offset asked
};

// timestamp: earliest_timestamp (-2), latest_timestamp (-1).
struct list_offsets_request {
  topic_partition tp;
  int64_t timestamp = -1;
};
constexpr int64_t earliest_timestamp = -2;
constexpr int64_t latest_timestamp = -1;

struct list_offsets_response {
  topic_partition tp;
  log_offset offset;
};

struct create_topic_request {
  std::string name;
  int32_t partitions = -1;          // -1: num-partitions from cluster.conf
  int32_t replication_factor = -1;  // -1: default-replication-factor from cluster.conf
};

struct delete_topic_request {
  std::string name;
};

struct metadata_request {
  std::vector<std::string> topics;  // empty: all topics
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, produce_request& x) {
  return f(x.tp, x.acks, x.timeout_ms, x.batch);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, produce_response& x) {
  return f(x.tp, x.base_offset, x.log_start_offset);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_request& x) {
  return f(x.tp, x.offset, x.max_bytes, x.min_bytes, x.max_wait_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_response& x) {
  return f(x.tp, x.high_watermark, x.log_start_offset, x.records);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_offsets_request& x) {
  return f(x.tp, x.timestamp);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_offsets_response& x) {
  return f(x.tp, x.offset);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_topic_request& x) {
  return f(x.name, x.partitions, x.replication_factor);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_topic_request& x) {
  return f(x.name);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metadata_request& x) {
  return f(x.topics);
}

} // namespace cafka
