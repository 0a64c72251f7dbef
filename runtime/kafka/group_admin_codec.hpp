// Codecs of Kafka's group administration APIs: DeleteGroups (key 42, v0-2; v2 flexible) and
// OffsetDelete (key 47, v0). Requests decoded, responses encoded, body only (field lists from
// Kafka's DeleteGroups*.json and OffsetDelete*.json). Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

// The first flexible version of DeleteGroups (compact strings and arrays, tagged fields).
constexpr int16_t delete_groups_flexible_from = 2;

// ---- DeleteGroups (key 42) ----

struct delete_groups_request {
  std::vector<std::string> groups_names;
};

struct delete_groups_response {
  struct deletable_group_result {
    std::string group_id;
    int16_t error_code = 0;
  };
  int32_t throttle_time_ms = 0;
  std::vector<deletable_group_result> results;
};

// ---- OffsetDelete (key 47) ----

struct offset_delete_request {
  struct offset_delete_request_topic {
    std::string name;
    std::vector<int32_t> partitions;  // partition indexes
  };
  std::string group_id;
  std::vector<offset_delete_request_topic> topics;
};

struct offset_delete_response {
  struct offset_delete_response_partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
  };
  struct offset_delete_response_topic {
    std::string name;
    std::vector<offset_delete_response_partition> partitions;
  };
  int16_t error_code = 0;  // the group's (GROUP_ID_NOT_FOUND, NOT_COORDINATOR, ...)
  int32_t throttle_time_ms = 0;
  std::vector<offset_delete_response_topic> topics;
};

// Decoders read one request body of `version` (requires: a served version); malformed bytes
// leave the reader failed.
void decode(reader& r, int16_t version, delete_groups_request& out);
void decode(reader& r, int16_t version, offset_delete_request& out);

void encode(writer& w, int16_t version, const delete_groups_response& x);
void encode(writer& w, int16_t version, const offset_delete_response& x);

} // namespace cafka::kafka
