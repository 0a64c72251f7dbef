// The families of node_metrics.hpp.
#include "runtime/metrics/node_metrics.hpp"

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"

namespace cafka::metrics {

namespace {

// Family names are constants of this file: a refused one is a bug, found by the first test
// that makes a node_metrics.
template <class T>
T must(caf::expected<T> x) {
  if (!x) {
    spdlog::critical("metrics: {}", context_of(x.error()));
    std::abort();
  }
  return std::move(*x);
}

// The seconds buckets of request latency: 50 us to 10 s.
std::vector<double> latency_bounds() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5,    5,    10};
}

constexpr size_t api_series_max = 500;
constexpr size_t error_series_max = 2000;

// The names and help of partition_series' gauges, in its member order.
struct partition_gauge {
  const char* name;
  const char* help;
};
const partition_gauge partition_gauge_defs[10] = {
  {"cafka_partition_log_start_offset", "The first offset of the partition's log here."},
  {"cafka_partition_log_end_offset", "The offset the next record appended here gets."},
  {"cafka_partition_high_watermark", "The offset below which every ISR member has the log."},
  {"cafka_partition_size_bytes", "The bytes of the partition's log segments here."},
  {"cafka_partition_replicas", "How many replicas the partition has."},
  {"cafka_partition_isr_size", "How many replicas are in sync (the ISR)."},
  {"cafka_partition_under_replicated",
   "1 when this broker leads the partition and its ISR is smaller than its replicas."},
  {"cafka_partition_under_min_isr",
   "1 when this broker leads the partition and its ISR is below min.insync.replicas."},
  {"cafka_partition_leader_epoch", "The partition's leader epoch as this replica knows it."},
  {"cafka_partition_leader", "1 when this broker leads the partition."},
};

template <class Series, class Family>
Series series_of(const Family& f, const std::vector<std::string>& values) {
  auto s = f.with(values);
  return s ? *s : Series{};
}

} // namespace

const char* to_string(request_protocol x) {
  return x == request_protocol::kafka ? "kafka" : "native";
}

node_metrics::node_metrics(const metrics_config& cfg) : cfg_(cfg) {
  auto& r = registry;
  auto partitions = static_cast<size_t>(cfg.partition_series_max);
  auto groups = static_cast<size_t>(cfg.group_series_max);
  requests = must(r.add_counter("cafka_requests_total", "Requests answered, by protocol and API.",
                                {"protocol", "api"}, api_series_max));
  request_errors = must(r.add_counter("cafka_request_errors_total",
                                      "Requests answered with an error, by protocol, API and "
                                      "error code name.",
                                      {"protocol", "api", "error"}, error_series_max));
  request_latency = must(r.add_histogram("cafka_request_latency_seconds",
                                         "Time from a request's arrival to its answer.",
                                         {"protocol", "api"}, latency_bounds(), api_series_max));
  auto single = [&](const char* name, const char* help) {
    return series_of<counter>(must(r.add_counter(name, help, {}, 1)), {});
  };
  records_in = single("cafka_broker_records_in_total",
                      "Records producers appended to partitions this broker leads.");
  bytes_in = single("cafka_broker_bytes_in_total", "The record batch bytes of those records.");
  records_out = single("cafka_broker_records_out_total",
                       "Records this broker's leaders sent to consumers.");
  bytes_out = single("cafka_broker_bytes_out_total",
                     "The record batch bytes of those records.");
  replication_bytes_out = single("cafka_broker_replication_bytes_out_total",
                                 "Record batch bytes this broker's leaders sent to followers.");
  kafka_connections = must(r.add_gauge("cafka_kafka_connections",
                                       "Open Kafka protocol connections, by listener.",
                                       {"listener"}, 64));
  for (size_t i = 0; i < 10; ++i)
    partition_gauges_[i] = must(r.add_gauge(partition_gauge_defs[i].name,
                                            partition_gauge_defs[i].help,
                                            {"topic", "partition"}, partitions));
  group_members_ = must(r.add_gauge("cafka_group_members",
                                    "Members of a group this node coordinates.", {"group"},
                                    groups));
  group_generation_ = must(r.add_gauge("cafka_group_generation",
                                       "The group's generation (its epoch).", {"group"}, groups));
  group_rebalances_ = must(r.add_counter("cafka_group_rebalances_total",
                                         "Rebalances of the group since this node took it.",
                                         {"group"}, groups));
  group_state_ = must(r.add_gauge("cafka_group_state", "1 for the group's current state.",
                                  {"group", "state"}, groups));
  group_committed_ = must(r.add_gauge("cafka_group_committed_offset",
                                      "The group's committed offset of a partition.",
                                      {"group", "topic", "partition"}, partitions));
  group_lag_ = must(r.add_gauge("cafka_group_lag",
                                "Records of a partition past the group's committed offset "
                                "(the log end offset minus it).",
                                {"group", "topic", "partition"}, partitions));
  quorum_role = must(r.add_gauge("cafka_quorum_role",
                                 "1 for the controller quorum member's Raft role.", {"role"}, 3));
  auto single_gauge = [&](const char* name, const char* help) {
    return series_of<gauge>(must(r.add_gauge(name, help, {}, 1)), {});
  };
  quorum_term = single_gauge("cafka_quorum_term", "The quorum member's Raft term.");
  quorum_commit_index = single_gauge("cafka_quorum_commit_index",
                                     "The highest Raft log index known committed.");
  quorum_applied_index = single_gauge("cafka_quorum_applied_index",
                                      "The highest Raft log index applied to the metadata.");
  quorum_member_lag = must(r.add_gauge("cafka_quorum_member_lag",
                                       "Raft entries a member is behind the leader's log "
                                       "(on the leader).",
                                       {"member"}, 16));
  controller_active = single_gauge("cafka_controller_active",
                                   "1 when this node is the active controller.");
  controller_brokers = must(r.add_gauge("cafka_controller_brokers",
                                        "Registered brokers by state (on the controller).",
                                        {"state"}, 2));
  controller_offline_partitions = single_gauge(
    "cafka_controller_offline_partitions",
    "Partitions without a live leader (on the controller).");
  controller_under_replicated_partitions = single_gauge(
    "cafka_controller_under_replicated_partitions",
    "Partitions whose ISR is smaller than their replicas (on the controller).");
  controller_metadata_version = single_gauge("cafka_controller_metadata_version",
                                             "The version of the metadata this member applied.");
  controller_leader_elections = single(
    "cafka_controller_leader_elections_total",
    "Partition leader changes this node decided as the active controller.");
  mailbox_depth = must(r.add_gauge("cafka_actor_mailbox_depth",
                                   "Messages waiting in an actor's mailbox (replicas: the "
                                   "deepest).",
                                   {"actor"}, 16));
  chaos_active_rules = must(r.add_gauge("cafka_chaos_active_rules",
                                        "Fault injection rules in force on this node, by kind.",
                                        {"kind"}, 32));
  chaos_rules_added = must(r.add_counter("cafka_chaos_rules_added_total",
                                         "Fault injection rules added on this node, by kind.",
                                         {"kind"}, 32));
}

request_series node_metrics::request(request_protocol p, std::string_view api) {
  std::vector<std::string> values{to_string(p), std::string{api}};
  return {series_of<counter>(requests, values), series_of<histogram>(request_latency, values)};
}

void node_metrics::count_error(request_protocol p, std::string_view api,
                               std::string_view error) {
  series_of<counter>(request_errors, {to_string(p), std::string{api}, std::string{error}}).inc();
}

partition_series node_metrics::partition(const std::string& topic, int32_t partition) {
  std::vector<std::string> values{topic, std::to_string(partition)};
  gauge g[10];
  for (size_t i = 0; i < 10; ++i)
    g[i] = series_of<gauge>(partition_gauges_[i], values);
  return {g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9]};
}

void node_metrics::remove_partition(const std::string& topic, int32_t partition) {
  std::vector<std::string> values{topic, std::to_string(partition)};
  for (auto& f : partition_gauges_)
    f.remove(values);
}

group_series node_metrics::group(const std::string& name) {
  return {series_of<gauge>(group_members_, {name}), series_of<gauge>(group_generation_, {name}),
          series_of<counter>(group_rebalances_, {name})};
}

void node_metrics::set_group_state(const std::string& name, const std::string& state) {
  std::lock_guard<std::mutex> guard{groups_mtx_};
  auto& shown = group_states_[name];
  if (!shown.empty() && shown != state)
    group_state_.remove({name, shown});
  shown = state;
  series_of<gauge>(group_state_, {name, state}).set(1);
}

void node_metrics::set_group_offset(const std::string& name, const std::string& topic,
                                    int32_t partition, int64_t committed, int64_t lag) {
  std::vector<std::string> values{name, topic, std::to_string(partition)};
  // Under the lock, so that a concurrent removal cannot leave a series nobody tracks.
  std::lock_guard<std::mutex> guard{groups_mtx_};
  group_offsets_[name].emplace(topic, partition);
  series_of<gauge>(group_committed_, values).set(static_cast<double>(committed));
  series_of<gauge>(group_lag_, values).set(static_cast<double>(lag));
}

void node_metrics::remove_group(const std::string& name) {
  group_members_.remove({name});
  group_generation_.remove({name});
  group_rebalances_.remove({name});
  std::lock_guard<std::mutex> guard{groups_mtx_};
  if (auto i = group_states_.find(name); i != group_states_.end()) {
    group_state_.remove({name, i->second});
    group_states_.erase(i);
  }
  drop_offsets(name);
}

void node_metrics::remove_group_offsets(const std::string& name) {
  std::lock_guard<std::mutex> guard{groups_mtx_};
  drop_offsets(name);
}

void node_metrics::drop_offsets(const std::string& name) {
  auto i = group_offsets_.find(name);
  if (i == group_offsets_.end())
    return;
  for (auto& [topic, partition] : i->second) {
    std::vector<std::string> values{name, topic, std::to_string(partition)};
    group_committed_.remove(values);
    group_lag_.remove(values);
  }
  group_offsets_.erase(i);
}

} // namespace cafka::metrics
