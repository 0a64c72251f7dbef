// Kafka's record layout in the `__consumer_offsets` topic (the group coordinator's
// OffsetCommitKey.json / OffsetCommitValue.json / GroupMetadataKey.json), so tools that read
// that topic themselves (Burrow) understand cafka's committed offsets. Each key and value is
// an int16 version followed by that version's fields; a null value (tombstone) deletes the
// key's offset. Pure; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

// The versions Kafka writes today (and Burrow reads).
constexpr int16_t offset_commit_key_version = 1;
constexpr int16_t group_metadata_key_version = 2;
constexpr int16_t offset_commit_value_version = 3;

// Key versions 0 and 1 (the same fields): one committed offset's group, topic, partition.
// A GroupMetadataKey (version 2) has only the group.
struct offset_commit_key {
  int16_t version = offset_commit_key_version;
  std::string group;
  std::string topic;
  int32_t partition = 0;
};

struct offset_commit_value {
  int16_t version = offset_commit_value_version;
  int64_t offset = 0;
  int32_t leader_epoch = -1;               // v3+
  std::string metadata;
  int64_t commit_timestamp = 0;            // ms since the epoch
  int64_t expire_timestamp = -1;           // v1 only
};

enum class offsets_key_kind {
  offset_commit,   // versions 0, 1: the value is an offset_commit_value
  group_metadata,  // version 2: a group's membership record; key.group is set
  unknown,         // any other version (a newer coordinator's record): skip it
};

// Reads one record key. An unknown version is not a failure: it returns `unknown` with
// out.version set and the rest unread. A known version with missing or null fields leaves
// r.ok() == false (and returns its kind).
offsets_key_kind decode_offsets_key(reader& r, offset_commit_key& out);

// Reads an OffsetCommitValue of versions 0-4 (4 is the flexible form). Another version,
// like a truncated one, leaves r.ok() == false. out.version is the version read.
void decode(reader& r, offset_commit_value& out);

// Write the version prefix and fields of x.version. Requires: key version 0 or 1,
// value version 0-3.
void encode(writer& w, const offset_commit_key& x);
void encode(writer& w, const offset_commit_value& x);

} // namespace cafka::kafka
