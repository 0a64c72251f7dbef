// The configs of a cafka topic or broker under Kafka's names, as DescribeConfigs shows them:
// values as Kafka prints them, their source and synonyms, all derived from cluster.conf.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/ids.hpp"
#include "runtime/cluster/metadata.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/kafka/topic_admin_codec.hpp"

namespace cafka::kafka {

// A config's name, value and source at one level (the topic's own, the broker's).
using config_synonym = describe_configs_response::describe_configs_synonym;

struct config_entry {
  std::string name;
  std::optional<std::string> value;
  // config_source_static_broker: set in cluster.conf to a value other than cafka's default;
  // config_source_default: cafka's default (or a behaviour cafka does not let you change);
  // config_source_dynamic_topic: a topic's own value (its override, or __consumer_offsets'
  // builtin ones).
  int8_t source = config_source_default;
  // Topic configs can be altered (AlterConfigs); broker configs come from cluster.conf.
  bool read_only = true;
  bool is_sensitive = false;
  std::vector<config_synonym> synonyms;  // Kafka's order: the entry's own source first
};

// Every config of `topic`, sorted by name: its overrides (and builtin_topic_configs) as
// dynamic topic configs, the rest from cluster.conf's [defaults] (Kafka's topic names, e.g.
// retention.ms from log-retention-ms), each with its broker synonym.
std::vector<config_entry> topic_configs(const broker_defaults& d, const std::string& topic,
                                       const std::vector<topic_config_entry>& overrides);

// Every config of broker `node`, sorted by name. Requires: cfg.find(node) != nullptr.
std::vector<config_entry> broker_configs(const cluster_config& cfg, node_id node);

// The entries of `table` named in `keys` (null or empty: all; unknown names are left out,
// as Kafka does), as DescribeConfigs results; synonyms only when asked for.
std::vector<describe_configs_response::describe_configs_resource_result>
select_configs(const std::vector<config_entry>& table,
               const std::optional<std::vector<std::string>>& keys, bool include_synonyms);

// One resource of a DescribeConfigs request answered by broker `self`, as Kafka does:
// a topic (type 2) must be valid (INVALID_TOPIC_EXCEPTION) and in `md`
// (UNKNOWN_TOPIC_OR_PARTITION); a broker (type 4) must be named by `self`'s id (an empty
// name asks for the cluster-wide dynamic defaults: none in cafka; another id or a
// non-integer: INVALID_REQUEST); any other type: INVALID_REQUEST.
// Requires: cfg.find(self) != nullptr.
describe_configs_response::describe_configs_result
describe_config_resource(const describe_configs_request::describe_configs_resource& res,
                         bool include_synonyms, const cluster_config& cfg, node_id self,
                         const cluster_metadata& md);

} // namespace cafka::kafka
