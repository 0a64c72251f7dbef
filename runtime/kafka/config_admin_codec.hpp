// Codecs of Kafka's APIs that change a topic after creation: AlterConfigs (key 33, v0-1),
// IncrementalAlterConfigs (key 44, v0) and CreatePartitions (key 37, v0-1), all non-flexible.
// Requests are decoded, responses encoded, body only (the header is request_header.hpp's).
// Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

// ---- AlterConfigs (key 33) and IncrementalAlterConfigs (key 44) ----

// One resource's configs as either request carries them: AlterConfigs has no operation
// (every entry sets its value: `operation` stays 0).
struct alter_configs_request {
  struct alterable_config {
    std::string name;
    int8_t operation = 0;  // IncrementalAlterConfigs: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT
    std::optional<std::string> value;
  };
  struct alter_configs_resource {
    int8_t resource_type = 0;  // config_resource_topic (2), config_resource_broker (4), ...
    std::string resource_name;
    std::vector<alterable_config> configs;
  };
  std::vector<alter_configs_resource> resources;
  bool validate_only = false;
};

// IncrementalAlterConfigs: the same fields, with an operation byte per config on the wire.
struct incremental_alter_configs_request : alter_configs_request {};

// Both APIs answer with this.
struct alter_configs_response {
  struct alter_configs_resource_response {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
  };
  int32_t throttle_time_ms = 0;
  std::vector<alter_configs_resource_response> responses;
};

// ---- CreatePartitions (key 37) ----

struct create_partitions_request {
  struct create_partitions_topic {
    std::string name;
    int32_t count = 0;
    // Manual placement of the new partitions' replicas; null: the controller places them.
    std::optional<std::vector<std::vector<int32_t>>> assignments;
  };
  std::vector<create_partitions_topic> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;
};

struct create_partitions_response {
  struct create_partitions_topic_result {
    std::string name;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
  };
  int32_t throttle_time_ms = 0;
  std::vector<create_partitions_topic_result> results;
};

// Decoders read one request body of `version` (requires: a served version); on malformed
// input they leave r.ok() == false.
void decode(reader& r, int16_t version, alter_configs_request& out);
void decode(reader& r, int16_t version, incremental_alter_configs_request& out);
void decode(reader& r, int16_t version, create_partitions_request& out);

// Encoders write one response body of `version` (requires: a served version).
void encode(writer& w, int16_t version, const alter_configs_response& x);
void encode(writer& w, int16_t version, const create_partitions_response& x);

} // namespace cafka::kafka
