// Metadata (key 3) request and response bodies, v0-v6 (all non-flexible): which topics a
// client asks about, and the brokers, controller and partition leaders it is told.
// Pure codec; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

struct metadata_request {
  // The topics asked about; nullopt asks for all topics (v0 says so with an empty array,
  // v1+ with a null one; a v1+ empty array asks for none, only brokers and controller).
  std::optional<std::vector<std::string>> topics;
  bool allow_auto_topic_creation = true; // v4+; v0-v3 clients expect auto-creation
};

struct metadata_response {
  struct metadata_response_broker {
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack; // v1+
  };
  struct metadata_response_partition {
    int16_t error_code = 0;
    int32_t partition_index = 0;
    int32_t leader_id = -1;
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
    std::vector<int32_t> offline_replicas; // v5+
  };
  struct metadata_response_topic {
    int16_t error_code = 0;
    std::string name;
    bool is_internal = false; // v1+
    std::vector<metadata_response_partition> partitions;
  };
  int32_t throttle_time_ms = 0; // v3+
  std::vector<metadata_response_broker> brokers;
  std::optional<std::string> cluster_id; // v2+
  int32_t controller_id = -1;            // v1+
  std::vector<metadata_response_topic> topics;
};

void decode(reader& r, int16_t version, metadata_request& out);
void encode(writer& w, int16_t version, const metadata_response& x);

} // namespace cafka::kafka
