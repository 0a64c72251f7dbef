// Codecs of Kafka's committed-offset APIs: OffsetCommit (v1-7) and OffsetFetch (v1-5), both
// non-flexible. Requests decoded, responses encoded, body only. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

// ---- OffsetCommit (key 8) ----

struct offset_commit_request {
  struct offset_commit_request_partition {
    int32_t partition_index = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;   // v6+
    int64_t commit_timestamp = -1;         // v1 only; -1: the broker's time
    std::optional<std::string> committed_metadata;
  };
  struct offset_commit_request_topic {
    std::string name;
    std::vector<offset_commit_request_partition> partitions;
  };
  std::string group_id;
  // -1 with an empty member_id: a commit from outside the group (a standalone consumer).
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id; // v7+
  int64_t retention_time_ms = -1;          // v2-4; -1: the broker's retention
  std::vector<offset_commit_request_topic> topics;
};

struct offset_commit_response {
  struct offset_commit_response_partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
  };
  struct offset_commit_response_topic {
    std::string name;
    std::vector<offset_commit_response_partition> partitions;
  };
  int32_t throttle_time_ms = 0;            // v3+
  std::vector<offset_commit_response_topic> topics;
};

// ---- OffsetFetch (key 9) ----

struct offset_fetch_request {
  struct offset_fetch_request_topic {
    std::string name;
    std::vector<int32_t> partition_indexes;
  };
  std::string group_id;
  // null (v2+ only): every partition the group has committed.
  std::optional<std::vector<offset_fetch_request_topic>> topics;
};

struct offset_fetch_response {
  struct offset_fetch_response_partition {
    int32_t partition_index = 0;
    int64_t committed_offset = -1;         // -1: nothing committed
    int32_t committed_leader_epoch = -1;   // v5+
    std::optional<std::string> metadata;
    int16_t error_code = 0;
  };
  struct offset_fetch_response_topic {
    std::string name;
    std::vector<offset_fetch_response_partition> partitions;
  };
  int32_t throttle_time_ms = 0;            // v3+
  std::vector<offset_fetch_response_topic> topics;
  int16_t error_code = 0;                  // v2+ (a group-level error)
};

// Decoders read one request body of `version` (requires: a served version); on malformed
// input (including a null topic array in OffsetFetch v1) they leave r.ok() == false.
void decode(reader& r, int16_t version, offset_commit_request& out);
void decode(reader& r, int16_t version, offset_fetch_request& out);

// Encoders write one response body of `version` (requires: a served version); fields the
// version lacks are left out.
void encode(writer& w, int16_t version, const offset_commit_response& x);
void encode(writer& w, int16_t version, const offset_fetch_response& x);

} // namespace cafka::kafka
