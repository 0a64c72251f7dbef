#include "runtime/config/cluster_config.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_set.hpp>
#include <caf/settings.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/config/config_reader.hpp"
#include "runtime/config/listener_config.hpp"

namespace cafka {

namespace {

caf::error bad(const std::string& path, const std::string& what) {
  return config_error(path, what);
}

// cafka's sections plus CAF's own (CAF 0.17's actor_system_config and its middleman and OpenCL
// modules; "global" holds keys above the first section header). CAF's [openssl] is not among
// them: cafka sets it from [tls].
caf::error check_sections(const caf::settings& s, const std::string& path) {
  static const std::set<std::string> known{"cluster", "defaults", "global", "scheduler",
                                           "work-stealing", "logger", "stream", "middleman",
                                           "opencl", "tls", "security", "limits",
                                           "quotas", "metrics"};
  for (auto& kv : s)
    if (known.count(kv.first) == 0)
      return bad(path, "unknown section [" + kv.first + "] (cafka reads [cluster], "
                       "[defaults], [tls], [security], [limits], [quotas] and [metrics]; CAF's own "
                       "sections "
                       "such as [middleman] and [scheduler] are passed to CAF)");
  return {};
}

// A string setting of a node, or nullptr if absent; an error if it is not a string.
caf::expected<const std::string*> node_string(const caf::config_value::dictionary& d,
                                              const std::string& key, const std::string& path,
                                              const std::string& where) {
  auto i = d.find(key);
  if (i == d.end())
    return static_cast<const std::string*>(nullptr);
  auto str = caf::get_if<std::string>(&i->second);
  if (str == nullptr)
    return bad(path, where + key + " must be a string such as \"PLAINTEXT://127.0.0.1:9092\"");
  return str;
}

// listeners / advertised-listeners of one node (Kafka's names and URL form).
caf::error parse_node_listeners(const caf::config_value::dictionary& d, const std::string& path,
                                const std::string& where, node_config& n) {
  auto ls = node_string(d, "listeners", path, where);
  if (!ls)
    return ls.error();
  auto adv = node_string(d, "advertised-listeners", path, where);
  if (!adv)
    return adv.error();
  if (*ls == nullptr) {
    if (*adv != nullptr)
      return bad(path, where + "advertised-listeners needs listeners");
    return {};
  }
  if (!n.broker)
    return bad(path, where + "listeners needs the \"broker\" role (Kafka clients talk to "
                             "brokers)");
  auto bound = parse_listeners(**ls, "listeners", true);
  if (!bound)
    return bad(path, where + context_of(bound.error()));
  n.listeners = std::move(*bound);
  if (*adv == nullptr) {
    for (auto& l : n.listeners)
      if (l.host == "0.0.0.0" || l.host == "::")
        return bad(path, where + "listener " + to_string(std::vector<listener_endpoint>{l})
                               + " binds every interface: set advertised-listeners to the "
                                 "address clients use");
    n.advertised_listeners = n.listeners;
    return {};
  }
  auto advertised = parse_listeners(**adv, "advertised-listeners", false);
  if (!advertised)
    return bad(path, where + context_of(advertised.error()));
  n.advertised_listeners = std::move(*advertised);
  for (auto& a : n.advertised_listeners) {
    auto same_name = [&](const listener_endpoint& l) { return l.name == a.name; };
    if (std::none_of(n.listeners.begin(), n.listeners.end(), same_name))
      return bad(path, where + "advertised listener " + a.name + " is not in listeners");
  }
  return {};
}

caf::expected<node_config> parse_node(const caf::config_value& v, const std::string& path,
                                      size_t index) {
  auto where = "[cluster] nodes[" + std::to_string(index) + "]: ";
  auto d = caf::get_if<caf::config_value::dictionary>(&v);
  if (d == nullptr)
    return bad(path, where + "expected {id=..., host=\"...\", port=..., roles=[...]}");
  if (auto err = check_keys(*d, {"id", "host", "port", "roles", "listeners",
                                 "advertised-listeners", "metrics-port"}, path, "cluster] nodes["
                                                                         + std::to_string(index) + "]"))
    return err;
  node_config n;
  int64_t id = -1;
  int64_t port = -1;
  if (d->count("id") == 0 || d->count("host") == 0 || d->count("port") == 0)
    return bad(path, where + "id, host and port are required");
  if (auto err = read_int(*d, "id", 0, INT32_MAX, path, where, id))
    return err;
  if (auto err = read_int(*d, "port", 1, 65535, path, where, port))
    return err;
  auto host = caf::get_if<std::string>(&d->find("host")->second);
  if (host == nullptr || host->empty())
    return bad(path, where + "host must be a non-empty string");
  n.id = node_id{static_cast<int32_t>(id)};
  n.host = *host;
  n.port = static_cast<uint16_t>(port);
  // The HTTP port of /metrics and the live view: the node's port + 1000 unless set (off when
  // that is no port); 0: off.
  int64_t metrics_port = port + 1000 <= 65535 ? port + 1000 : 0;
  if (auto err = read_int(*d, "metrics-port", 0, 65535, path, where, metrics_port))
    return err;
  n.metrics_port = static_cast<uint16_t>(metrics_port);
  auto roles = d->find("roles");
  if (roles == d->end()) {
    n.controller = n.broker = true;
  } else {
    auto lst = caf::get_if<caf::config_value::list>(&roles->second);
    if (lst == nullptr || lst->empty())
      return bad(path, where + "roles must be a non-empty list of \"controller\"/\"broker\"");
    for (auto& r : *lst) {
      auto s = caf::get_if<std::string>(&r);
      if (s != nullptr && *s == "controller")
        n.controller = true;
      else if (s != nullptr && *s == "broker")
        n.broker = true;
      else
        return bad(path, where + "unknown role " + caf::to_string(r)
                           + " (expected \"controller\" or \"broker\")");
    }
  }
  if (auto err = parse_node_listeners(*d, path, where, n))
    return err;
  return n;
}

// [cluster] chaos-enable and the caps on the chaos agent's rules (chaos_limits.hpp).
caf::error parse_chaos(const caf::settings& cluster, const std::string& path, chaos_config& c) {
  std::string w = "[cluster] ";
  int64_t delay = c.limits.max_delay_ms;
  int64_t disk_delay = c.limits.max_disk_delay_ms;
  int64_t duration = c.limits.max_duration_ms;
  int64_t rules = c.limits.max_rules;
  caf::error err;
  if ((err = read_bool(cluster, "chaos-enable", path, w, c.enable))
      || (err = read_int(cluster, "chaos-max-delay-ms", 0, 3600000, path, w, delay))
      || (err = read_int(cluster, "chaos-max-disk-delay-ms", 0, 10000, path, w, disk_delay))
      || (err = read_int(cluster, "chaos-max-duration-ms", 0, 604800000, path, w, duration))
      || (err = read_int(cluster, "chaos-max-rules", 1, 1024, path, w, rules)))
    return err;
  c.limits.max_delay_ms = delay;
  c.limits.max_disk_delay_ms = disk_delay;
  c.limits.max_duration_ms = duration;
  c.limits.max_rules = static_cast<int32_t>(rules);
  return {};
}

// The [name] section of the parsed file, or nullptr.
const caf::settings* section(const caf::settings& s, const std::string& name) {
  auto i = s.find(name);
  return i == s.end() ? nullptr : caf::get_if<caf::settings>(&i->second);
}

const caf::config_value* value_of(const caf::settings& s, const std::string& key) {
  auto i = s.find(key);
  return i == s.end() ? nullptr : &i->second;
}

// PLAIN sends the password as it is: over SASL_PLAINTEXT only on loopback addresses, unless
// allow-plaintext says the network is trusted.
caf::error check_plain_exposure(const cluster_config& cfg) {
  if (!cfg.security.offers("PLAIN") || cfg.tls.allow_plaintext)
    return {};
  for (auto& n : cfg.nodes)
    for (auto& l : n.listeners)
      if (l.name == "SASL_PLAINTEXT" && !is_loopback_host(l.host))
        return bad(cfg.path, "node " + to_string(n.id) + ": listener "
                               + to_string(std::vector<listener_endpoint>{l})
                               + " would carry PLAIN passwords unencrypted on a network "
                                 "address; use SASL_SSL, drop PLAIN from [security] "
                                 "sasl-enabled-mechanisms, or set [cluster] allow-plaintext=true");
  return {};
}

} // namespace

const node_config* cluster_config::find(node_id id) const {
  for (auto& n : nodes)
    if (n.id == id)
      return &n;
  return nullptr;
}

std::string cluster_config::bootstrap_servers() const {
  std::string out;
  for (auto& n : nodes)
    if (n.broker) {
      if (!out.empty())
        out += ',';
      out += n.address();
    }
  return out;
}

std::string cluster_config::node_dir(node_id id) const {
  return (std::filesystem::path{data_dir} / ("node-" + to_string(id))).string();
}

std::string cluster_config::node_lock(node_id id) const {
  return node_dir(id) + "/.lock";
}

bool parse_host_port(const std::string& s, std::string& host, uint16_t& port) {
  auto pos = s.rfind(':');
  if (pos == std::string::npos || pos == 0 || pos + 1 == s.size())
    return false;
  auto p = s.substr(pos + 1);
  if (p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos)
    return false;
  auto v = std::stoi(p);
  if (v < 1 || v > 65535)
    return false;
  host = s.substr(0, pos);
  port = static_cast<uint16_t>(v);
  return true;
}

caf::expected<std::vector<host_port>> parse_bootstrap(const std::string& s) {
  std::vector<host_port> out;
  size_t begin = 0;
  while (begin <= s.size()) {
    auto end = std::min(s.find(',', begin), s.size());
    auto entry = s.substr(begin, end - begin);
    auto first = entry.find_first_not_of(' ');
    auto last = entry.find_last_not_of(' ');
    entry = first == std::string::npos ? std::string{} : entry.substr(first, last - first + 1);
    host_port hp;
    if (!parse_host_port(entry, hp.host, hp.port))
      return make_error(errc::invalid_config,
                        "bootstrap server '" + entry + "' in '" + s + "' is not host:port");
    out.push_back(std::move(hp));
    begin = end + 1;
  }
  return out;
}

caf::expected<cluster_config> cluster_config_from(const caf::settings& s,
                                                  const std::string& path) {
  cluster_config cfg;
  cfg.path = path;
  if (auto err = check_sections(s, path))
    return err;
  auto cluster = section(s, "cluster");
  if (cluster == nullptr)
    return bad(path, "missing [cluster] section (or the file does not parse)");
  if (auto err = check_keys(*cluster, {"nodes", "data-dir", "allow-plaintext", "chaos-enable",
                                       "chaos-max-delay-ms", "chaos-max-disk-delay-ms",
                                       "chaos-max-duration-ms", "chaos-max-rules"},
                            path, "cluster"))
    return err;
  if (auto err = parse_chaos(*cluster, path, cfg.chaos))
    return err;
  auto nodes_value = value_of(*cluster, "nodes");
  auto nodes = nodes_value ? caf::get_if<caf::config_value::list>(nodes_value) : nullptr;
  if (nodes == nullptr || nodes->empty())
    return bad(path, "[cluster] nodes is missing, empty or malformed; expected "
                     "nodes=[{id=1, host=\"127.0.0.1\", port=9101, roles=[\"broker\"]}, ...]");
  std::set<node_id> ids;
  std::set<std::string> addrs;
  for (size_t i = 0; i < nodes->size(); ++i) {
    auto n = parse_node((*nodes)[i], path, i);
    if (!n)
      return n.error();
    if (!ids.insert(n->id).second)
      return bad(path, "[cluster] node id " + to_string(n->id) + " appears twice");
    if (!addrs.insert(n->address()).second)
      return bad(path, "[cluster] address " + n->address() + " appears twice");
    if (n->metrics_port != 0
        && !addrs.insert(n->host + ":" + std::to_string(n->metrics_port)).second)
      return bad(path, "[cluster] node " + to_string(n->id) + ": metrics-port "
                         + std::to_string(n->metrics_port)
                         + " is an address already taken by another node or listener");
    for (auto& l : n->listeners)
      if (!addrs.insert(l.host + ":" + std::to_string(l.port)).second)
        return bad(path, "[cluster] node " + to_string(n->id) + ": listener "
                           + to_string(std::vector<listener_endpoint>{l})
                           + " uses an address already taken by another node or listener");
    cfg.nodes.push_back(std::move(*n));
  }
  size_t controllers = 0;
  for (auto& n : cfg.nodes)
    controllers += n.controller ? 1 : 0;
  if (controllers != 1 && controllers != 3 && controllers != 5)
    return bad(path, "[cluster] needs 1, 3 or 5 nodes with the \"controller\" role (an odd "
                     "quorum), got " + std::to_string(controllers));
  bool any_broker = false;
  for (auto& n : cfg.nodes)
    any_broker = any_broker || n.broker;
  if (!any_broker)
    return bad(path, "[cluster] no node has the \"broker\" role");
  auto dd_value = value_of(*cluster, "data-dir");
  auto dd = dd_value ? caf::get_if<std::string>(dd_value) : nullptr;
  if (dd_value != nullptr && dd == nullptr)
    return bad(path, "[cluster] data-dir must be a string");
  std::string data_dir = dd != nullptr ? *dd : "data";
  if (data_dir.empty())
    return bad(path, "[cluster] data-dir is empty");
  std::filesystem::path dp{data_dir};
  if (dp.is_relative())
    dp = std::filesystem::absolute(std::filesystem::path{path}).parent_path() / dp;
  cfg.data_dir = dp.lexically_normal().string();
  auto tls = tls_config_from(section(s, "tls"), path);
  if (!tls)
    return tls.error();
  cfg.tls = std::move(*tls);
  if (auto err = read_bool(*cluster, "allow-plaintext", path, "[cluster] ",
                           cfg.tls.allow_plaintext))
    return err;
  auto security = security_config_from(section(s, "security"), path);
  if (!security)
    return security.error();
  cfg.security = std::move(*security);
  if (auto err = check_plain_exposure(cfg))
    return err;
  auto limits = limits_config_from(section(s, "limits"), path);
  if (!limits)
    return limits.error();
  cfg.limits = *limits;
  auto metrics = metrics_config_from(section(s, "metrics"), path);
  if (!metrics)
    return metrics.error();
  cfg.metrics = *metrics;
  auto quotas = quota_config_from(section(s, "quotas"), path);
  if (!quotas)
    return quotas.error();
  cfg.quotas = std::move(*quotas);

  auto& d = cfg.defaults;
  if (auto defs = section(s, "defaults")) {
    if (auto err = check_keys(*defs,
                              {"num-partitions", "default-replication-factor",
                               "min-insync-replicas", "message-max-bytes", "fetch-max-bytes",
                               "log-segment-bytes", "log-retention-ms", "log-retention-bytes",
                               "log-index-interval-bytes", "flush-messages", "flush-ms",
                               "log-retention-check-interval-ms",
                               "broker-heartbeat-interval-ms", "broker-session-timeout-ms",
                               "controller-quorum-tick-ms",
                               "controller-quorum-election-timeout-ms",
                               "replica-lag-time-max-ms", "replica-fetch-wait-max-ms",
                               "replica-fetch-max-bytes",
                               "replica-high-watermark-checkpoint-interval-ms",
                               "log-cleaner-threads", "log-cleaner-dedupe-buffer-size",
                               "log-cleaner-io-max-bytes-per-second",
                               "log-cleaner-backoff-ms",
                               "unclean-leader-election-enable",
                               "auto-create-topics-enable",
                               "auto-leader-rebalance-enable",
                               "leader-imbalance-check-interval-ms",
                               "offsets-topic-num-partitions",
                               "offsets-topic-replication-factor",
                               "group-consumer-session-timeout-ms",
                               "group-consumer-heartbeat-interval-ms",
                               "offsets-retention-minutes",
                               "log-message-timestamp-before-max-ms",
                               "log-message-timestamp-after-max-ms"},
                              path, "defaults"))
      return err;
    std::string w = "[defaults] ";
    int64_t v = 0;
    auto num = [&](const char* key, int64_t lo, int64_t hi, auto& field) -> caf::error {
      v = static_cast<int64_t>(field);
      if (auto err = read_int(*defs, key, lo, hi, path, w, v))
        return err;
      field = static_cast<std::decay_t<decltype(field)>>(v);
      return {};
    };
    caf::error err;
    if ((err = num("num-partitions", 1, 10000, d.num_partitions))
        || (err = num("default-replication-factor", 1, 100, d.default_replication_factor))
        || (err = num("min-insync-replicas", 1, 100, d.min_insync_replicas))
        || (err = num("message-max-bytes", 1024, 256 << 20, d.message_max_bytes))
        || (err = num("fetch-max-bytes", 1024, INT32_MAX, d.fetch_max_bytes))
        || (err = num("log-segment-bytes", 1024, INT32_MAX, d.log.segment_bytes))
        || (err = num("log-retention-ms", -1, INT64_MAX, d.log.retention_ms))
        || (err = num("log-retention-bytes", -1, INT64_MAX, d.log.retention_bytes))
        || (err = num("log-index-interval-bytes", 1, INT32_MAX, d.log.index_interval_bytes))
        || (err = num("flush-messages", 1, INT64_MAX, d.log.flush_messages))
        || (err = num("flush-ms", 0, INT64_MAX, d.log.flush_ms))
        || (err = num("log-retention-check-interval-ms", 1, INT64_MAX,
                      d.log_retention_check_interval_ms))
        || (err = num("broker-heartbeat-interval-ms", 1, 60000,
                      d.broker_heartbeat_interval_ms))
        || (err = num("broker-session-timeout-ms", 10, 600000, d.broker_session_timeout_ms))
        || (err = num("controller-quorum-tick-ms", 1, 10000, d.quorum_tick_ms))
        || (err = num("controller-quorum-election-timeout-ms", 10, 600000,
                      d.quorum_election_timeout_ms))
        || (err = num("replica-lag-time-max-ms", 10, INT32_MAX, d.replica_lag_time_max_ms))
        || (err = num("replica-fetch-wait-max-ms", 0, 60000, d.replica_fetch_wait_max_ms))
        || (err = num("replica-fetch-max-bytes", 1024, INT32_MAX, d.replica_fetch_max_bytes))
        || (err = num("replica-high-watermark-checkpoint-interval-ms", 10, INT32_MAX,
                      d.replica_hw_checkpoint_interval_ms))
        || (err = num("log-cleaner-threads", 1, 64, d.log_cleaner_threads))
        || (err = num("log-cleaner-dedupe-buffer-size", 1 << 16, int64_t{1} << 34,
                      d.log_cleaner_dedupe_buffer_size))
        || (err = num("log-cleaner-io-max-bytes-per-second", -1, INT64_MAX,
                      d.log_cleaner_io_max_bytes_per_second))
        || (err = num("log-cleaner-backoff-ms", 1, INT32_MAX, d.log_cleaner_backoff_ms))
        || (err = read_bool(*defs, "unclean-leader-election-enable", path, w,
                            d.unclean_leader_election_enable))
        || (err = read_bool(*defs, "auto-create-topics-enable", path, w,
                            d.auto_create_topics_enable))
        || (err = read_bool(*defs, "auto-leader-rebalance-enable", path, w,
                            d.auto_leader_rebalance_enable))
        || (err = num("leader-imbalance-check-interval-ms", 10, INT32_MAX,
                      d.leader_imbalance_check_interval_ms))
        || (err = num("offsets-topic-num-partitions", 1, 1000,
                      d.offsets_topic_num_partitions))
        || (err = num("offsets-topic-replication-factor", 1, 100,
                      d.offsets_topic_replication_factor))
        || (err = num("group-consumer-session-timeout-ms", 100, 3600000,
                      d.group_session_timeout_ms))
        || (err = num("group-consumer-heartbeat-interval-ms", 10, 3600000,
                      d.group_heartbeat_interval_ms))
        || (err = num("offsets-retention-minutes", 1, INT32_MAX, d.offsets_retention_minutes))
        || (err = num("log-message-timestamp-before-max-ms", 0, INT64_MAX,
                      d.log_message_timestamp_before_max_ms))
        || (err = num("log-message-timestamp-after-max-ms", 0, INT64_MAX,
                      d.log_message_timestamp_after_max_ms)))
      return err;
    if (d.group_session_timeout_ms <= d.group_heartbeat_interval_ms)
      return bad(path, "[defaults] group-consumer-session-timeout-ms must be larger than "
                       "group-consumer-heartbeat-interval-ms");
    if (d.broker_session_timeout_ms <= d.broker_heartbeat_interval_ms)
      return bad(path, "[defaults] broker-session-timeout-ms must be larger than "
                       "broker-heartbeat-interval-ms");
    if (d.quorum_election_timeout_ms < 2 * d.quorum_tick_ms)
      return bad(path, "[defaults] controller-quorum-election-timeout-ms must be at least "
                       "twice controller-quorum-tick-ms");
  }
  return cfg;
}

caf::expected<cluster_config> load_cluster_config(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return bad(path, "cannot open the config file");
  caf::settings s;
  caf::config_option_set opts;
  if (auto err = caf::actor_system_config::parse_config(in, opts, s))
    return bad(path, "does not parse: " + caf::to_string(err));
  return cluster_config_from(s, path);
}

} // namespace cafka
