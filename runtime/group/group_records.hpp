// The records of the internal __consumer_offsets topic: committed offsets in Kafka's own
// layout (OffsetCommitKey v1 / OffsetCommitValue v3, so Burrow and Kafka's formatters read
// them) and each group's membership in cafka's own record under a key version Kafka's tools
// skip (grammar in docs/group-records-format.md), and the replay that rebuilds every group of
// one partition. Plain values and functions; the group coordinator and managers use them (any
// thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/protocol/group_messages.hpp"

namespace cafka::group {

inline constexpr const char* offsets_topic = "__consumer_offsets";

// The partition of the offsets topic that holds `group` (Kafka: abs(hash) % partitions,
// here with the murmur2 of the default partitioner). Requires: partitions > 0.
int32_t partition_for_group(const std::string& group, int32_t partitions);

// One member as the group keeps it (group_state's member, minus its session deadline).
struct member_record {
  std::string member_id;
  std::string instance_id;
  member_epoch epoch{0};
  member_epoch previous_epoch = no_member_epoch;
  bool acked = true;
  bool left_for_now = false;
  std::vector<std::string> topics;
  std::vector<topic_partition> reported;
  std::vector<topic_partition> told;
  // A classic Kafka member (JoinGroup protocol) and what its join said; all empty or 0 for
  // an actor member.
  bool classic = false;
  std::string protocol = {};       // the protocol name its join was answered with
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  int16_t assignment_version = 0;  // the ConsumerProtocolAssignment version it reads
  std::string client_id = {};
  std::string client_host = {};
};

// A group's membership and assignment state: the value of its group key.
struct group_record {
  std::string assignor;
  member_epoch group_epoch{0};
  int64_t next_member = 0;
  std::vector<member_record> members;
};

// A committed offset: the value of an offset key, Kafka's OffsetCommitValue.
struct offset_record {
  log_offset offset{0};
  int64_t commit_timestamp_ms = 0;
  // The committing member's epoch (-1: a standalone consumer). In memory only: Kafka's value
  // has no such field, so it is not written, and a loaded record has -1. Nothing reads it.
  cafka::member_epoch member_epoch = no_member_epoch;
  cafka::leader_epoch leader_epoch = no_leader_epoch;  // Kafka's committed leader epoch; -1: none
  std::string metadata = {};  // Kafka's commit metadata; at most max_string_size bytes
};

// The key version (the int16 every key starts with) of cafka's group records: far above the
// ones Kafka assigns (0-1 offsets, 2 classic groups, 3 and up its newer record types), so
// Burrow and Kafka's formatters skip them. Offset keys are Kafka's OffsetCommitKey v1;
// Kafka's GroupMetadataKey (2) is never written.
inline constexpr int16_t group_key_version = 0x7caf;
// Group ids, topics and metadata are Kafka strings in the keys and values: int16 lengths.
inline constexpr size_t max_string_size = 32767;

enum class key_kind : int16_t { offset, group };

struct record_key {
  key_kind kind = key_kind::offset;
  std::string group;
  topic_partition tp;  // offset keys only
};

// Errors: errc::invalid_group_id for an empty group id or one longer than max_string_size
// bytes (a key could not hold it).
caf::error validate_group_id(const std::string& group);

// Requires: the group id passes validate_group_id (topics are at most 249 characters).
std::string offset_key(const std::string& group, const topic_partition& tp);
std::string group_key(const std::string& group);
std::string encode(const offset_record& x);
std::string encode(const group_record& x);

// Errors: errc::corrupt_message naming what does not parse: a malformed record, a key
// version cafka does not read (Kafka's GroupMetadataKey, unknown versions), or a record in
// cafka's layout from before Kafka's (int32 string lengths), which is named as such.
// decode_offset reads Kafka's OffsetCommitValue versions 0-4.
caf::expected<record_key> decode_key(std::string_view key);
caf::expected<offset_record> decode_offset(std::string_view value);
caf::expected<group_record> decode_group(std::string_view value);

// What one group's records add up to.
struct loaded_group {
  std::optional<group_record> state;  // the newest group value; nullopt: none or deleted
  std::map<topic_partition, offset_record> offsets;
};

// Replays the records of one offsets partition in offset order; a null value (tombstone)
// deletes its key. The newest value of each key wins, as after log compaction.
class group_loader {
public:
  // Errors: a key or value that does not decode (the caller names the offset).
  caf::error apply(std::string_view key, std::optional<std::string_view> value);

  std::map<std::string, loaded_group>& groups() { return groups_; }

private:
  std::map<std::string, loaded_group> groups_;
};

} // namespace cafka::group
