// Codecs of Kafka's topic admin APIs: CreateTopics (v0-4), DeleteTopics (v0-3) and
// DescribeConfigs (v0-2), all non-flexible. Requests are decoded, responses encoded, body only
// (the header is request_header.hpp's). Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

// ---- CreateTopics (key 19) ----

struct create_topics_request {
  struct creatable_replica_assignment {
    int32_t partition_index = 0;
    std::vector<int32_t> broker_ids;
  };
  struct creatable_topic_config {
    std::string name;
    std::optional<std::string> value;
  };
  struct creatable_topic {
    std::string name;
    int32_t num_partitions = -1;       // -1: the broker default (or the assignments' count)
    int16_t replication_factor = -1;   // -1: the broker default (or the assignments')
    std::vector<creatable_replica_assignment> assignments; // empty: automatic placement
    std::vector<creatable_topic_config> configs;
  };
  std::vector<creatable_topic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;          // v1+
};

struct create_topics_response {
  struct creatable_topic_result {
    std::string name;
    int16_t error_code = 0;
    std::optional<std::string> error_message; // v1+
  };
  int32_t throttle_time_ms = 0;        // v2+
  std::vector<creatable_topic_result> topics;
};

// ---- DeleteTopics (key 20) ----

struct delete_topics_request {
  std::vector<std::string> topic_names;
  int32_t timeout_ms = 0;
};

struct delete_topics_response {
  struct deletable_topic_result {
    std::string name;
    int16_t error_code = 0;
  };
  int32_t throttle_time_ms = 0;        // v1+
  std::vector<deletable_topic_result> responses;
};

// ---- DescribeConfigs (key 32) ----

// Kafka's ConfigResource.Type codes (the resource_type field).
constexpr int8_t config_resource_topic = 2;
constexpr int8_t config_resource_broker = 4;

// Kafka's DescribeConfigsResponse.ConfigSource codes (config_source, synonyms' source).
constexpr int8_t config_source_unknown = 0;
constexpr int8_t config_source_dynamic_topic = 1;
constexpr int8_t config_source_dynamic_broker = 2;
constexpr int8_t config_source_dynamic_default_broker = 3;
constexpr int8_t config_source_static_broker = 4;
constexpr int8_t config_source_default = 5;

struct describe_configs_request {
  struct describe_configs_resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::optional<std::vector<std::string>> configuration_keys; // null: every key
  };
  std::vector<describe_configs_resource> resources;
  bool include_synonyms = false;       // v1+
};

struct describe_configs_response {
  struct describe_configs_synonym {
    std::string name;
    std::optional<std::string> value;
    int8_t source = config_source_unknown;
  };
  struct describe_configs_resource_result {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    bool is_default = false;           // v0 only (v1+ sends config_source instead)
    int8_t config_source = -1;         // v1+
    bool is_sensitive = false;
    std::vector<describe_configs_synonym> synonyms; // v1+
  };
  struct describe_configs_result {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<describe_configs_resource_result> configs;
  };
  int32_t throttle_time_ms = 0;        // every version
  std::vector<describe_configs_result> results;
};

// Decoders read one request body of `version` (requires: a served version); on malformed
// input they leave r.ok() == false. Fields a version lacks keep their defaults.
void decode(reader& r, int16_t version, create_topics_request& out);
void decode(reader& r, int16_t version, delete_topics_request& out);
void decode(reader& r, int16_t version, describe_configs_request& out);

// Encoders write one response body of `version` (requires: a served version); fields the
// version lacks are left out.
void encode(writer& w, int16_t version, const create_topics_response& x);
void encode(writer& w, int16_t version, const delete_topics_response& x);
void encode(writer& w, int16_t version, const describe_configs_response& x);

} // namespace cafka::kafka
