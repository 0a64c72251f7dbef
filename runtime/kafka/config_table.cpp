#include "runtime/kafka/config_table.hpp"

#include <algorithm>
#include <charconv>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_state.hpp"
#include "runtime/cluster/topic_config.hpp"
#include "runtime/config/listener_config.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/kafka/kafka_error.hpp"

namespace cafka::kafka {

namespace {

using entry_list = std::vector<config_entry>;
using resource_result = describe_configs_response::describe_configs_result;

config_entry make_entry(std::string name, std::optional<std::string> value, int8_t source) {
  config_entry e;
  e.name = std::move(name);
  e.value = std::move(value);
  e.source = source;
  e.synonyms.push_back({e.name, e.value, e.source});
  return e;
}

// The broker configs that [defaults] sets: static when they differ from cafka's default.
class defaults_builder {
public:
  explicit defaults_builder(entry_list& out) : out_(out) {}

  void num(const char* name, int64_t value, int64_t builtin) {
    add(name, std::to_string(value), std::to_string(builtin));
  }
  void flag(const char* name, bool value, bool builtin) {
    add(name, value ? "true" : "false", builtin ? "true" : "false");
  }
  // A behaviour cafka has no setting for.
  void fixed(const char* name, const char* value) { add(name, value, value); }

private:
  void add(const char* name, std::string value, const std::string& builtin) {
    auto source = value == builtin ? config_source_default : config_source_static_broker;
    out_.push_back(make_entry(name, std::move(value), source));
  }

  entry_list& out_;
};

entry_list default_configs(const broker_defaults& d) {
  const broker_defaults base;
  entry_list out;
  defaults_builder b{out};
  b.num("num.partitions", d.num_partitions, base.num_partitions);
  b.num("default.replication.factor", d.default_replication_factor,
        base.default_replication_factor);
  b.num("min.insync.replicas", d.min_insync_replicas, base.min_insync_replicas);
  b.num("message.max.bytes", d.message_max_bytes, base.message_max_bytes);
  b.num("log.segment.bytes", static_cast<int64_t>(d.log.segment_bytes),
        static_cast<int64_t>(base.log.segment_bytes));
  b.num("log.retention.ms", d.log.retention_ms, base.log.retention_ms);
  b.num("log.retention.bytes", d.log.retention_bytes, base.log.retention_bytes);
  b.num("log.index.interval.bytes", d.log.index_interval_bytes,
        base.log.index_interval_bytes);
  b.num("log.flush.interval.messages", d.log.flush_messages, base.log.flush_messages);
  b.num("log.flush.interval.ms", d.log.flush_ms, base.log.flush_ms);
  b.num("log.retention.check.interval.ms", d.log_retention_check_interval_ms,
        base.log_retention_check_interval_ms);
  b.num("replica.lag.time.max.ms", d.replica_lag_time_max_ms, base.replica_lag_time_max_ms);
  b.num("replica.fetch.wait.max.ms", d.replica_fetch_wait_max_ms,
        base.replica_fetch_wait_max_ms);
  b.num("replica.fetch.max.bytes", d.replica_fetch_max_bytes, base.replica_fetch_max_bytes);
  b.flag("unclean.leader.election.enable", d.unclean_leader_election_enable,
         base.unclean_leader_election_enable);
  b.flag("auto.create.topics.enable", d.auto_create_topics_enable,
         base.auto_create_topics_enable);
  b.flag("auto.leader.rebalance.enable", d.auto_leader_rebalance_enable,
         base.auto_leader_rebalance_enable);
  b.num("offsets.topic.num.partitions", d.offsets_topic_num_partitions,
        base.offsets_topic_num_partitions);
  b.num("offsets.topic.replication.factor", d.offsets_topic_replication_factor,
        base.offsets_topic_replication_factor);
  b.num("group.consumer.session.timeout.ms", d.group_session_timeout_ms,
        base.group_session_timeout_ms);
  b.num("group.consumer.heartbeat.interval.ms", d.group_heartbeat_interval_ms,
        base.group_heartbeat_interval_ms);
  b.num("offsets.retention.minutes", d.offsets_retention_minutes,
        base.offsets_retention_minutes);
  b.num("broker.heartbeat.interval.ms", d.broker_heartbeat_interval_ms,
        base.broker_heartbeat_interval_ms);
  b.num("broker.session.timeout.ms", d.broker_session_timeout_ms,
        base.broker_session_timeout_ms);
  b.num("controller.quorum.election.timeout.ms", d.quorum_election_timeout_ms,
        base.quorum_election_timeout_ms);
  // Topic configs whose broker-wide value cluster.conf does not set (topics override them).
  b.fixed("log.cleanup.policy", "delete");
  b.fixed("compression.type", "producer");
  b.fixed("log.message.timestamp.type", "CreateTime");
  b.fixed("log.cleaner.delete.retention.ms", "86400000");
  b.fixed("log.cleaner.min.cleanable.ratio", "0.5");
  b.fixed("delete.topic.enable", "true");
  return out;
}

void sort_by_name(entry_list& xs) {
  std::sort(xs.begin(), xs.end(),
            [](const config_entry& a, const config_entry& b) { return a.name < b.name; });
}

std::string join_roles(const node_config& n) {
  if (n.broker && n.controller)
    return "broker,controller";
  return n.broker ? "broker" : "controller";
}

// Kafka's id@host:port list of the quorum members (their node-to-node addresses).
std::string quorum_voters(const cluster_config& cfg) {
  std::string out;
  for (auto& n : cfg.nodes) {
    if (!n.controller)
      continue;
    if (!out.empty())
      out += ',';
    out += to_string(n.id) + "@" + n.address();
  }
  return out;
}

std::optional<std::string> listener_text(const std::vector<listener_endpoint>& xs) {
  if (xs.empty())
    return std::nullopt;
  return to_string(xs);
}

resource_result failed(resource_result r, error_code err, std::string message) {
  r.error_code = code(err);
  r.error_message = std::move(message);
  return r;
}

resource_result describe_topic(resource_result r,
                               const describe_configs_request::describe_configs_resource& res,
                               bool include_synonyms, const cluster_config& cfg,
                               const cluster_metadata& md) {
  auto& name = res.resource_name;
  if (auto err = metadata_state::validate_topic_name(name))
    return failed(std::move(r), error_code::invalid_topic_exception, context_of(err));
  if (md.find_topic(name) == nullptr)
    return failed(std::move(r), error_code::unknown_topic_or_partition,
                  "topic '" + name + "' does not exist");
  r.configs = select_configs(topic_configs(cfg.defaults, name, md.find_topic(name)->configs),
                             res.configuration_keys, include_synonyms);
  return r;
}

resource_result describe_broker(resource_result r,
                                const describe_configs_request::describe_configs_resource& res,
                                bool include_synonyms, const cluster_config& cfg,
                                node_id self) {
  auto& name = res.resource_name;
  if (name.empty())
    return r;  // the cluster-wide dynamic defaults: cafka has none
  int32_t id = 0;
  auto end = name.data() + name.size();
  auto [ptr, ec] = std::from_chars(name.data(), end, id);
  if (ec != std::errc{} || ptr != end)
    return failed(std::move(r), error_code::invalid_request,
                  "Broker id must be an integer, but it is: " + name);
  if (node_id{id} != self)
    return failed(std::move(r), error_code::invalid_request,
                  "Unexpected broker id, expected " + to_string(self)
                    + " or empty string, but received " + name);
  r.configs = select_configs(broker_configs(cfg, self), res.configuration_keys,
                             include_synonyms);
  return r;
}

} // namespace

std::vector<config_entry> topic_configs(const broker_defaults& d, const std::string& topic,
                                       const std::vector<topic_config_entry>& overrides) {
  const broker_defaults base;
  auto& builtin = builtin_topic_configs(topic);
  entry_list out;
  for (auto& name : topic_config_names()) {
    config_entry e;
    e.name = name;
    e.read_only = false;
    auto broker_value = default_topic_config_value(d, name);
    auto broker_source = broker_value == default_topic_config_value(base, name)
                           ? config_source_default
                           : config_source_static_broker;
    auto own = find_config(overrides, name);
    if (!own)
      own = find_config(builtin, name);
    if (own) {
      e.value = *own;
      e.source = config_source_dynamic_topic;
      e.synonyms.push_back({name, own, config_source_dynamic_topic});
    } else {
      e.value = broker_value;
      e.source = broker_source;
    }
    e.synonyms.push_back({broker_synonym(name), broker_value, broker_source});
    out.push_back(std::move(e));
  }
  return out;  // topic_config_names() is sorted
}

std::vector<config_entry> broker_configs(const cluster_config& cfg, node_id node) {
  auto& n = *cfg.find(node);
  auto out = default_configs(cfg.defaults);
  auto id = to_string(node);
  out.push_back(make_entry("broker.id", id, config_source_static_broker));
  out.push_back(make_entry("node.id", id, config_source_static_broker));
  out.push_back(make_entry("process.roles", join_roles(n), config_source_static_broker));
  out.push_back(
    make_entry("controller.quorum.voters", quorum_voters(cfg), config_source_static_broker));
  out.push_back(make_entry("listeners", listener_text(n.listeners),
                           config_source_static_broker));
  out.push_back(make_entry("advertised.listeners", listener_text(n.advertised_listeners),
                           config_source_static_broker));
  out.push_back(make_entry("log.dirs", cfg.node_dir(node), config_source_static_broker));
  sort_by_name(out);
  return out;
}

std::vector<describe_configs_response::describe_configs_resource_result>
select_configs(const std::vector<config_entry>& table,
               const std::optional<std::vector<std::string>>& keys, bool include_synonyms) {
  std::vector<describe_configs_response::describe_configs_resource_result> out;
  for (auto& e : table) {
    if (keys && !keys->empty() && std::find(keys->begin(), keys->end(), e.name) == keys->end())
      continue;
    auto& c = out.emplace_back();
    c.name = e.name;
    c.value = e.value;
    c.read_only = e.read_only;
    c.is_default = e.source == config_source_default;
    c.config_source = e.source;
    c.is_sensitive = e.is_sensitive;
    if (include_synonyms)
      c.synonyms = e.synonyms;
  }
  return out;
}

describe_configs_response::describe_configs_result
describe_config_resource(const describe_configs_request::describe_configs_resource& res,
                         bool include_synonyms, const cluster_config& cfg, node_id self,
                         const cluster_metadata& md) {
  resource_result r;
  r.resource_type = res.resource_type;
  r.resource_name = res.resource_name;
  switch (res.resource_type) {
    case config_resource_topic:
      return describe_topic(std::move(r), res, include_synonyms, cfg, md);
    case config_resource_broker:
      return describe_broker(std::move(r), res, include_synonyms, cfg, self);
    default:
      return failed(std::move(r), error_code::invalid_request,
                    "Unsupported resource type: " + std::to_string(res.resource_type)
                      + " (cafka describes topics (2) and brokers (4))");
  }
}

} // namespace cafka::kafka
