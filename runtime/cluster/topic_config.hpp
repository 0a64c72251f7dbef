// Per-topic configuration: the Kafka-named overrides a topic keeps in the metadata quorum
// (topic_metadata::configs), their validation with Kafka's messages, and the effective values
// a replica runs with (the overrides over cluster.conf's [defaults]). Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "runtime/cluster/metadata.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/config/log_config.hpp"
#include "runtime/protocol/compression.hpp"
#include "runtime/protocol/messages.hpp"

namespace cafka {

enum class timestamp_type : uint8_t { create_time = 0, log_append_time = 1 };

// compression.type: keep the producer's codec, or recompress to one.
enum class topic_compression : uint8_t { producer, uncompressed, gzip, snappy, lz4, zstd };

// What a partition replica runs with for its topic.
struct topic_config {
  log_config log;                       // segment.bytes, retention.*, flush.*, index.interval.bytes
  bool cleanup_delete = true;           // cleanup.policy has "delete": retention deletes segments
  bool cleanup_compact = false;         // cleanup.policy has "compact": the cleaner keeps the
                                        // latest record per key; keyless records are refused
  int32_t min_insync_replicas = 1;      // min.insync.replicas
  int32_t max_message_bytes = 1048588;  // max.message.bytes
  timestamp_type message_timestamp_type = timestamp_type::create_time;
  topic_compression compression = topic_compression::producer;
  bool unclean_leader_election_enable = false;
  int64_t delete_retention_ms = 86400000;  // delete.retention.ms: how long tombstones stay
  double min_cleanable_dirty_ratio = 0.5;  // min.cleanable.dirty.ratio

  bool operator==(const topic_config& o) const;
  bool operator!=(const topic_config& o) const { return !(*this == o); }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_config& x) {
  return f(x.segment_bytes, x.retention_ms, x.retention_bytes, x.index_interval_bytes,
           x.flush_messages, x.flush_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, topic_config& x) {
  return f(x.log, x.cleanup_delete, x.cleanup_compact, x.min_insync_replicas,
           x.max_message_bytes, x.message_timestamp_type, x.compression,
           x.unclean_leader_election_enable, x.delete_retention_ms, x.min_cleanable_dirty_ratio);
}

// The codec compression.type asks produced batches to have; nullopt for "producer" (keep
// theirs).
std::optional<compression_codec> codec_of(topic_compression c);

// The names a topic may override, sorted.
const std::vector<std::string>& topic_config_names();

// The cluster.conf [defaults] value of each topic config under its Kafka name, as Kafka
// prints it ("delete", "1048588", "false", "CreateTime").
std::string default_topic_config_value(const broker_defaults& d, const std::string& name);

// The broker config each topic config defaults to (Kafka's synonym: retention.ms ->
// log.retention.ms); empty for a name that is not a topic config.
std::string broker_synonym(const std::string& name);

// errc::invalid_config with Kafka's message unless `name` is a topic config and `value` a
// valid value for it: "Unknown topic config name: x", "Invalid value x for configuration
// min.insync.replicas: Value must be at least 1", "... Not a number of type INT", "...
// String must be one of: ...". Requires: value normalised (validate_topic_configs); choices
// are case-sensitive, as Kafka's.
caf::error validate_topic_config(const std::string& name, const std::string& value);

// Normalises every value as Kafka parses it (trimmed, booleans in lower case, list items
// trimmed and joined by ","), then validates every entry (and that no name repeats:
// errc::invalid_config "Duplicate config name: x"); sorted by name on success.
caf::error validate_topic_configs(std::vector<topic_config_entry>& entries);

// The value `entries` gives `name`, if any. Requires: entries sorted by name.
std::optional<std::string> find_config(const std::vector<topic_config_entry>& entries,
                                       const std::string& name);

// A topic's overrides after `ops` (in order) on `current`, validated: Kafka's rules for
// IncrementalAlterConfigs (replace false) and AlterConfigs (replace true: the result is
// exactly the set operations). errc::invalid_request "Error due to duplicate config keys"
// when a name repeats; errc::invalid_config for an unknown name or bad value
// (validate_topic_config), and "Config value append is not allowed for config key: x" for
// append or subtract on a config that is not a list. Append and subtract start from the
// topic's current value (its override, else builtin_topic_configs', else "delete").
// Requires: current valid.
caf::expected<std::vector<topic_config_entry>>
apply_config_ops(const std::string& topic, std::vector<topic_config_entry> current,
                 const std::vector<config_op>& ops, bool replace);

// The overrides every topic named `topic` has before its own: __consumer_offsets is
// compacted and never deleted by retention (cleanup.policy compact, retention.ms and
// retention.bytes -1); none for other topics.
const std::vector<topic_config_entry>& builtin_topic_configs(const std::string& topic);

// The defaults, then builtin_topic_configs(topic), then `overrides`.
// Requires: every override valid (validate_topic_config).
topic_config effective_topic_config(const broker_defaults& d, const std::string& topic,
                                    const std::vector<topic_config_entry>& overrides);

// The same for a topic of `md` by name (no overrides for an unknown topic).
topic_config effective_topic_config(const broker_defaults& d, const cluster_metadata& md,
                                    const std::string& topic);

} // namespace cafka
