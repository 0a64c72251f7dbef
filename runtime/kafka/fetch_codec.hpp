// Fetch (key 1) request and response bodies, v4-v11 (all non-flexible). The response's
// records are the stored record batches as views: encode copies each once into the output
// and never re-encodes them. Pure codec; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/ids.hpp"
#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

struct fetch_request {
  struct fetch_partition {
    int32_t partition = 0;
    int32_t current_leader_epoch = -1; // v9+; -1: not checked
    int64_t fetch_offset = 0;
    int64_t log_start_offset = -1; // v5+; a follower's, -1 from consumers
    int32_t partition_max_bytes = 0;
  };
  struct fetch_topic {
    std::string topic;
    std::vector<fetch_partition> partitions;
  };
  struct forgotten_topic {
    std::string topic;
    std::vector<int32_t> partitions;
  };
  int32_t replica_id = -1; // -1: a consumer
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = std::numeric_limits<int32_t>::max();
  int8_t isolation_level = 0; // 0 read_uncommitted, 1 read_committed
  int32_t session_id = 0;     // v7+; 0 with epoch -1: no fetch session
  int32_t session_epoch = -1; // v7+
  std::vector<fetch_topic> topics;
  std::vector<forgotten_topic> forgotten_topics_data; // v7+
  std::string rack_id;                                // v11+
};

struct fetch_response {
  struct aborted_transaction {
    cafka::producer_id producer_id{0};
    int64_t first_offset = 0;
  };
  struct partition_data {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    int64_t high_watermark = -1;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1; // v5+
    std::optional<std::vector<aborted_transaction>> aborted_transactions; // null: none
    int32_t preferred_read_replica = -1; // v11+; -1: read from the leader
    // Whole stored record batches, bytes as stored; the caller keeps them alive until
    // encode returns. Empty (not null) when there is nothing to return.
    std::optional<std::string_view> records = std::string_view{};
  };
  struct fetchable_topic_response {
    std::string topic;
    std::vector<partition_data> partitions;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0; // v7+; a fetch session error
  int32_t session_id = 0; // v7+; 0: no fetch session
  std::vector<fetchable_topic_response> responses;
};

void decode(reader& r, int16_t version, fetch_request& out);
void encode(writer& w, int16_t version, const fetch_response& x);

// The exact number of bytes encode(w, version, x) appends. Reserving it in the output
// first (out.reserve(out.size() + encoded_size(version, x))) makes encode copy the
// records exactly once, with no reallocation.
size_t encoded_size(int16_t version, const fetch_response& x);

} // namespace cafka::kafka
