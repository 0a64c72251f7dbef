// Request and response structs of the client/broker protocol, sent between nodes by CAF.
// Each has an inspect() overload and is registered in actors/messages.cpp. Plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/cluster/topic_config_entry.hpp"

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
  // The time the leader stamped on the batch (ms since the epoch) if the topic's
  // message.timestamp.type is LogAppendTime, else -1 (Kafka's log_append_time_ms).
  int64_t log_append_time_ms = -1;
};

// Long poll: answered when at least min_bytes are available or max_wait_ms passed. With
// max_bytes <= 0 and max_wait_ms <= 0 it reads no records: the answer has the offsets only.
struct fetch_request {
  topic_partition tp;
  log_offset offset;
  int32_t max_bytes = 1 << 20;
  int32_t min_bytes = 1;
  int32_t max_wait_ms = 500;
  // Internal (the group coordinator loading its partition): read up to the log end instead
  // of the high watermark. Brokers refuse it from other nodes.
  bool to_log_end = false;
  // The asker counts the records it passes on in cafka_broker_records_out_total itself (a
  // Kafka session, whose long polls read a partition again and may drop a read); the
  // replica then leaves the read out of it.
  bool asker_counts = false;
};

struct fetch_response {
  topic_partition tp;
  log_offset high_watermark;
  log_offset log_start_offset;
  std::string records;  // whole batches as stored; the first may start before the offset asked
  // The fetch had to wait (fewer than min_bytes) but the replica already parks its
  // max-parked-fetches-per-partition long polls: answered at once with what it read, and the
  // asker waits max_wait_ms itself before reading again (actors/kafka/session_fetch.cpp).
  bool park_refused = false;
};

// timestamp: earliest_timestamp (-2), latest_timestamp (-1), or a time in ms (>= 0): the
// first record whose timestamp is at or after it.
struct list_offsets_request {
  topic_partition tp;
  int64_t timestamp = -1;
};
constexpr int64_t earliest_timestamp = -2;
constexpr int64_t latest_timestamp = -1;

// For a time: the first such record below the high watermark and its timestamp, or offset
// -1 and timestamp -1 if there is none. For earliest / latest: timestamp -1.
struct list_offsets_response {
  topic_partition tp;
  log_offset offset;
  int64_t timestamp = -1;
};

struct create_topic_request {
  std::string name;
  int32_t partitions = -1;          // -1: num-partitions from cluster.conf
  int32_t replication_factor = -1;  // -1: default-replication-factor from cluster.conf
  std::vector<topic_config_entry> configs = {};  // the topic's overrides (topic_config.hpp)
};

// One change to a topic config (Kafka's IncrementalAlterConfigs operations): set a value,
// remove the override (back to the cluster default), or add to / remove from a list value
// (cleanup.policy).
enum class config_op_kind : uint8_t { set = 0, remove = 1, append = 2, subtract = 3 };

struct config_op {
  std::string name;
  config_op_kind op = config_op_kind::set;
  std::string value;  // unused by remove
};

// Changes a topic's overrides. replace (Kafka's AlterConfigs): the topic's overrides become
// exactly the `set` operations'. validate_only: checked, not applied.
struct alter_topic_configs_request {
  std::string topic;
  std::vector<config_op> ops;
  bool replace = false;
  bool validate_only = false;
};

// Grows a topic to `count` partitions (Kafka's CreatePartitions); the new ones are placed by
// the controller. validate_only: checked, not applied.
struct create_partitions_request {
  std::string topic;
  int32_t count = 0;
  bool validate_only = false;
};

// One partition's move (Kafka's AlterPartitionReassignments): to `replicas`, whose first
// becomes the preferred leader; with cancel, back to the replicas it had before the move.
struct partition_reassignment {
  topic_partition tp;
  std::vector<node_id> replicas;  // unused by cancel
  bool cancel = false;
};

// throttle: the bytes per second a broker may fetch for the replicas it is adding, while any
// partition moves (Kafka's follower.replication.throttled.rate); -1 leaves it as it is, 0 is
// no limit.
struct alter_reassignments_request {
  std::vector<partition_reassignment> partitions;
  int64_t throttle = -1;
};

// The outcome of one partition's move request; no error: started (or cancelled).
struct reassignment_result {
  topic_partition tp;
  caf::error error;
};

// Moves every replica off broker `id` and keeps new ones off it; cancel takes it back into
// placement (moves already started go on). throttle as in alter_reassignments_request.
struct decommission_request {
  node_id id;
  bool cancel = false;
  int64_t throttle = -1;
};

struct delete_topic_request {
  std::string name;
};

struct metadata_request {
  std::vector<std::string> topics;  // empty: all topics
};

// A follower's pull from its partition leader (Kafka's replica fetch with KIP-320's
// last fetched epoch). Sent by the follower replica to the leader's broker.
struct replica_fetch_request {
  topic_partition tp;
  node_id follower;
  leader_epoch epoch;                   // the leader epoch the follower follows
  log_offset offset;                    // the follower's log end: it has every record below
  // The epoch of the follower's last batch; no_leader_epoch: empty log.
  leader_epoch last_fetched_epoch = no_leader_epoch;
  int32_t max_bytes = 8 << 20;
  int32_t max_wait_ms = 500;
  // The high watermark the follower knows: a fetch parked while the leader's moves past it
  // is answered within the leader's notify delay, not only at max_wait_ms.
  log_offset high_watermark{0};
};

// diverging_epoch != no_leader_epoch: the follower's log diverged from the leader's; it truncates to
// min(diverging_end_offset, its own end of that epoch) and fetches again (records empty).
struct replica_fetch_response {
  topic_partition tp;
  leader_epoch epoch;
  log_offset high_watermark;
  log_offset log_start_offset;
  leader_epoch diverging_epoch = no_leader_epoch;
  log_offset diverging_end_offset = no_offset;
  std::string records;  // whole batches from `offset` as stored, epochs stamped
};

// A partition leader asks the controller to change the ISR (Kafka's AlterPartition).
// Fenced by leader epoch and partition epoch: a stale leader's or stale view's request fails
// with errc::stale_epoch and the leader waits for the pushed metadata.
struct alter_isr_request {
  topic_partition tp;
  node_id leader;
  leader_epoch epoch;
  cafka::partition_epoch partition_epoch{0};
  std::vector<node_id> isr;  // the ISR wanted; contains the leader
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, produce_request& x) {
  return f(x.tp, x.acks, x.timeout_ms, x.batch);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, produce_response& x) {
  return f(x.tp, x.base_offset, x.log_start_offset, x.log_append_time_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_request& x) {
  return f(x.tp, x.offset, x.max_bytes, x.min_bytes, x.max_wait_ms, x.to_log_end,
           x.asker_counts);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_response& x) {
  return f(x.tp, x.high_watermark, x.log_start_offset, x.records, x.park_refused);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_offsets_request& x) {
  return f(x.tp, x.timestamp);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_offsets_response& x) {
  return f(x.tp, x.offset, x.timestamp);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_topic_request& x) {
  return f(x.name, x.partitions, x.replication_factor, x.configs);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, config_op& x) {
  return f(x.name, x.op, x.value);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, alter_topic_configs_request& x) {
  return f(x.topic, x.ops, x.replace, x.validate_only);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_reassignment& x) {
  return f(x.tp, x.replicas, x.cancel);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, alter_reassignments_request& x) {
  return f(x.partitions, x.throttle);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reassignment_result& x) {
  return f(x.tp, x.error);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, decommission_request& x) {
  return f(x.id, x.cancel, x.throttle);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_partitions_request& x) {
  return f(x.topic, x.count, x.validate_only);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_topic_request& x) {
  return f(x.name);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metadata_request& x) {
  return f(x.topics);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replica_fetch_request& x) {
  return f(x.tp, x.follower, x.epoch, x.offset, x.last_fetched_epoch, x.max_bytes,
           x.max_wait_ms, x.high_watermark);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replica_fetch_response& x) {
  return f(x.tp, x.epoch, x.high_watermark, x.log_start_offset, x.diverging_epoch,
           x.diverging_end_offset, x.records);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, alter_isr_request& x) {
  return f(x.tp, x.leader, x.epoch, x.partition_epoch, x.isr);
}

} // namespace cafka
