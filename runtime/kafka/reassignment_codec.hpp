// Codecs of Kafka's partition reassignment APIs (KIP-455): AlterPartitionReassignments (key 45)
// and ListPartitionReassignments (key 46), v0 only, both flexible (compact strings and arrays,
// tagged fields). Requests decoded, responses encoded, body only (field lists from Kafka's
// AlterPartitionReassignments*.json and ListPartitionReassignments*.json). Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

// ---- AlterPartitionReassignments (key 45) ----

struct alter_partition_reassignments_request {
  struct reassignable_partition {
    int32_t partition_index = 0;
    // The target replica set, first the preferred leader; nullopt cancels the partition's
    // pending reassignment.
    std::optional<std::vector<int32_t>> replicas;
  };
  struct reassignable_topic {
    std::string name;
    std::vector<reassignable_partition> partitions;
  };
  int32_t timeout_ms = 60000;
  std::vector<reassignable_topic> topics;
};

struct alter_partition_reassignments_response {
  struct reassignable_partition_response {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    std::optional<std::string> error_message;  // nullopt when error_code is 0
  };
  struct reassignable_topic_response {
    std::string name;
    std::vector<reassignable_partition_response> partitions;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;  // the request's as a whole (NOT_CONTROLLER, CLUSTER_AUTHORIZATION...)
  std::optional<std::string> error_message;
  std::vector<reassignable_topic_response> responses;
};

// ---- ListPartitionReassignments (key 46) ----

struct list_partition_reassignments_request {
  struct list_partition_reassignments_topic {
    std::string name;
    std::vector<int32_t> partition_indexes;
  };
  int32_t timeout_ms = 60000;
  // nullopt lists every ongoing reassignment.
  std::optional<std::vector<list_partition_reassignments_topic>> topics;
};

struct list_partition_reassignments_response {
  struct ongoing_partition_reassignment {
    int32_t partition_index = 0;
    std::vector<int32_t> replicas;           // the current replica set
    std::vector<int32_t> adding_replicas;    // being added
    std::vector<int32_t> removing_replicas;  // being removed
  };
  struct ongoing_topic_reassignment {
    std::string name;
    std::vector<ongoing_partition_reassignment> partitions;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  std::vector<ongoing_topic_reassignment> topics;
};

// Decoders read one request body of `version` (requires: version 0, the only one); malformed
// bytes leave the reader failed. Unknown tagged fields are skipped.
void decode(reader& r, int16_t version, alter_partition_reassignments_request& out);
void decode(reader& r, int16_t version, list_partition_reassignments_request& out);

// Encoders write one response body of `version` (requires: version 0), no tagged fields.
void encode(writer& w, int16_t version, const alter_partition_reassignments_response& x);
void encode(writer& w, int16_t version, const list_partition_reassignments_response& x);

} // namespace cafka::kafka
