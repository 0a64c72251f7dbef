// ListOffsets (key 2) request and response bodies, v1-v3 (all non-flexible): the offset of
// a timestamp, or of the log's start (-2) or end (-1), per partition. Pure codec; any
// thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

// The special timestamps of a ListOffsets partition.
constexpr int64_t list_offsets_latest = -1;   // the offset the next record gets
constexpr int64_t list_offsets_earliest = -2; // the log start offset

struct list_offsets_request {
  struct list_offsets_partition {
    int32_t partition_index = 0;
    int64_t timestamp = list_offsets_latest; // ms, or latest / earliest
  };
  struct list_offsets_topic {
    std::string name;
    std::vector<list_offsets_partition> partitions;
  };
  int32_t replica_id = -1;    // -1: a consumer
  int8_t isolation_level = 0; // v2+; 1 (read_committed): latest is the last stable offset
  std::vector<list_offsets_topic> topics;
};

struct list_offsets_response {
  struct list_offsets_partition_response {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    int64_t timestamp = -1; // of the returned offset's record; -1 for latest / earliest
    int64_t offset = -1;
  };
  struct list_offsets_topic_response {
    std::string name;
    std::vector<list_offsets_partition_response> partitions;
  };
  int32_t throttle_time_ms = 0; // v2+
  std::vector<list_offsets_topic_response> topics;
};

void decode(reader& r, int16_t version, list_offsets_request& out);
void encode(writer& w, int16_t version, const list_offsets_response& x);

} // namespace cafka::kafka
