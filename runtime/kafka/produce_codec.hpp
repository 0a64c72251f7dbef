// Produce (key 0) request and response bodies, v0-v7 (all non-flexible; v0-v2 carry the
// message sets of magic 0/1 that cafka refuses), and a peek at a Produce frame's acks
// (acks=0 gets no response at all). Records stay views into the request frame: they are
// never copied here. Pure codec; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

struct produce_request {
  struct partition_produce_data {
    int32_t index = 0;
    // The record batches as sent, a view into the decoded frame (valid while it lives);
    // nullopt when the client sent null.
    std::optional<std::string_view> records;
  };
  struct topic_produce_data {
    std::string name;
    std::vector<partition_produce_data> partition_data;
  };
  std::optional<std::string> transactional_id; // v3+; null: not a transactional producer
  int16_t acks = -1;                            // 0, 1 or -1 (all); others are answered
  int32_t timeout_ms = 0;                       // with invalid_required_acks by the handler
  std::vector<topic_produce_data> topic_data;
};

struct produce_response {
  struct partition_produce_response {
    int32_t index = 0;
    int16_t error_code = 0;
    int64_t base_offset = -1;
    int64_t log_append_time_ms = -1; // v2+; -1 for CreateTime topics
    int64_t log_start_offset = -1;   // v5+
  };
  struct topic_produce_response {
    std::string name;
    std::vector<partition_produce_response> partition_responses;
  };
  std::vector<topic_produce_response> responses;
  int32_t throttle_time_ms = 0;     // v1+
};

void decode(reader& r, int16_t version, produce_request& out);
void encode(writer& w, int16_t version, const produce_response& x);

// The acks of a whole Produce request frame (header included, size prefix not), read
// without decoding its topics: the connection knows an acks=0 request gets no response.
// nullopt if the frame is not a Produce request or ends before its acks.
std::optional<int16_t> peek_produce_acks(std::string_view frame);

} // namespace cafka::kafka
