// Values the client API hands to and from users: records to send, delivery reports, and the
// record batches an actor-based consumer receives. Plain values; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka {

struct producer_record {
  std::string topic;
  std::optional<std::string> key;    // nullopt: keyless (round-robin, sticky per batch)
  std::optional<std::string> value;  // nullopt: null value (a tombstone)
  std::optional<partition_id> partition;  // set: overrides the partitioner
  int64_t timestamp_ms = -1;         // -1: now
  std::vector<record_header> headers;
  uint64_t opaque = 0;               // the sender's correlation, returned in its report
};

// The outcome of one record: its offset, or why it was not written.
struct delivery_report {
  topic_partition tp;
  log_offset offset = no_offset;
  caf::error error;
  uint64_t opaque = 0;  // the record's producer_record::opaque (librdkafka's opaque)
};

using delivery_callback = std::function<void(const delivery_report&)>;

// What an actor-based consumer receives: records of one partition, in offset order.
// Each message uses up one credit the user actor granted to its consumer.
struct consumer_records {
  topic_partition tp;
  std::vector<record> records;
  log_offset high_watermark;
  // The partition's seek generation when these records were fetched: a seek answers the new
  // one, and records of an older one were fetched before the seek (drop them; their credit
  // still counts).
  uint64_t seek_generation = 0;
};

// What an actor-based consumer's sink receives when something keeps the consumer from
// reading while it goes on retrying (librdkafka's error events): the cluster cannot be reached
// (tp.topic empty), an assigned topic or partition does not exist, or a position is out of
// range with auto.offset.reset none. Sent once per condition, not at every retry.
struct consumer_error {
  topic_partition tp;
  caf::error error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_header& x) {
  return f(x.key, x.value);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record& x) {
  return f(x.offset, x.timestamp, x.has_key, x.key, x.has_value, x.value, x.headers);
}
// std::optional is not inspectable in CAF 0.17: key and value travel as (present, bytes);
// the partition travels as one int32, -1 for unset, so its bytes are those of a plain int32.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, producer_record& x) {
  bool has_key = x.key.has_value();
  std::string key = x.key.value_or(std::string{});
  bool has_value = x.value.has_value();
  std::string value = x.value.value_or(std::string{});
  partition_id partition = x.partition.value_or(no_partition);
  auto restore = [&]() -> caf::error {
    x.key = has_key ? std::optional<std::string>{key} : std::nullopt;
    x.value = has_value ? std::optional<std::string>{value} : std::nullopt;
    x.partition = partition != no_partition ? std::optional<partition_id>{partition}
                                                : std::nullopt;
    return caf::error{};
  };
  return f(x.topic, has_key, key, has_value, value, partition, x.timestamp_ms, x.headers,
           x.opaque, caf::meta::load_callback(restore));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery_report& x) {
  return f(x.tp, x.offset, x.error, x.opaque);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, consumer_records& x) {
  return f(x.tp, x.records, x.high_watermark, x.seek_generation);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, consumer_error& x) {
  return f(x.tp, x.error);
}

} // namespace cafka
