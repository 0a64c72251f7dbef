// cluster.conf schema: nodes (id, host, port, roles), data directory, Kafka-named defaults.
// Parsed with CAF's config parser (the same file also carries CAF's own settings) and
// validated here; a bad file gives one clear error. Plain values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/settings.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/chaos/chaos_limits.hpp"
#include "runtime/cluster/metadata.hpp"
#include "runtime/config/limits_config.hpp"
#include "runtime/config/log_config.hpp"
#include "runtime/config/metrics_config.hpp"
#include "runtime/config/quota_config.hpp"
#include "runtime/config/security_config.hpp"
#include "runtime/config/tls_config.hpp"

namespace cafka {

// The directory of the controller quorum member's Raft storage inside a node directory
// (never a topic: brokers skip it when they list their partitions).
inline constexpr const char* raft_dir_name = "__cluster_metadata";

struct node_config {
  node_id id;
  std::string host;      // node-to-node (BASP) address
  uint16_t port = 0;
  bool controller = false;
  bool broker = false;
  // Kafka protocol: where the node binds (`listeners`) and what it tells clients
  // (`advertised-listeners`, defaulting to `listeners`). Empty: no Kafka listener.
  std::vector<listener_endpoint> listeners;
  std::vector<listener_endpoint> advertised_listeners;
  // HTTP: GET /metrics and the live view on host:metrics_port (`metrics-port`, default
  // port + 1000); 0: off.
  uint16_t metrics_port = 0;

  std::string address() const { return host + ":" + std::to_string(port); }
};

// Broker and topic defaults, Kafka's names with dashes in cluster.conf's [defaults].
struct broker_defaults {
  int32_t num_partitions = 1;              // num-partitions
  int32_t default_replication_factor = 1;  // default-replication-factor
  int32_t min_insync_replicas = 1;         // min-insync-replicas
  int32_t message_max_bytes = 1048588;     // message-max-bytes
  int32_t fetch_max_bytes = 52428800;      // fetch-max-bytes (per partition fetch cap)
  // The window of broker time a produced record's timestamp must lie in (KIP-937).
  int64_t log_message_timestamp_before_max_ms = INT64_MAX; // log-message-timestamp-before-max-ms
  int64_t log_message_timestamp_after_max_ms = 3600000;    // log-message-timestamp-after-max-ms
  log_config log;                          // log-segment-bytes, log-retention-ms, ...
  int64_t log_retention_check_interval_ms = 300000; // log-retention-check-interval-ms
  // Failure detection: a dead broker loses its leaderships at once (its connection closes),
  // a hung one after the session timeout. Kafka's election timeout and a third of its
  // session: shorter ones made a loaded 3-node, 10,000-partition cluster re-elect without end.
  int64_t broker_heartbeat_interval_ms = 100;       // broker-heartbeat-interval-ms
  int64_t broker_session_timeout_ms = 3000;         // broker-session-timeout-ms
  int64_t quorum_tick_ms = 50;                      // controller-quorum-tick-ms
  int64_t quorum_election_timeout_ms = 1000;        // controller-quorum-election-timeout-ms
  // Replication (Kafka's names): followers pull from the leader.
  int64_t replica_lag_time_max_ms = 10000;          // replica-lag-time-max-ms
  // Per partition: a caught-up follower's fetch waits at the leader until new records
  // arrive or this passes (each wait ends in a new fetch, so it bounds idle cost).
  int32_t replica_fetch_wait_max_ms = 30000;        // replica-fetch-wait-max-ms
  int32_t replica_fetch_max_bytes = 8 << 20;        // replica-fetch-max-bytes
  // replica-high-watermark-checkpoint-interval-ms: how often a replica writes its high
  // watermark to replication-offset-checkpoint (when it moved; and at a clean stop), so that
  // a restarted leader serves consumers up to it at once.
  int64_t replica_hw_checkpoint_interval_ms = 5000;
  // The log cleaner of compacted topics (Kafka's log.cleaner.* names): passes one node runs
  // at once, the key map memory of one pass, its read+write rate (-1: unlimited), and how
  // often a compacted replica checks whether its log is dirty enough to clean.
  int32_t log_cleaner_threads = 1;                          // log-cleaner-threads
  int64_t log_cleaner_dedupe_buffer_size = 128ll << 20;     // log-cleaner-dedupe-buffer-size
  int64_t log_cleaner_io_max_bytes_per_second = -1;  // log-cleaner-io-max-bytes-per-second
  int64_t log_cleaner_backoff_ms = 15000;                   // log-cleaner-backoff-ms
  bool unclean_leader_election_enable = false;      // unclean-leader-election-enable
  bool auto_leader_rebalance_enable = true;         // auto-leader-rebalance-enable
  // Kafka clients: a Metadata or Produce request naming an unknown topic creates it with
  // num-partitions and default-replication-factor.
  bool auto_create_topics_enable = true;            // auto-create-topics-enable
  int64_t leader_imbalance_check_interval_ms = 5000; // leader-imbalance-check-interval-ms
  // Consumer groups (Kafka's KIP-848 names): the internal offsets topic, created on the
  // first find-controller, and the members' session and heartbeat interval.
  int32_t offsets_topic_num_partitions = 12;        // offsets-topic-num-partitions
  int32_t offsets_topic_replication_factor = 3;     // offsets-topic-replication-factor
  int64_t group_session_timeout_ms = 45000;   // group-consumer-session-timeout-ms
  int64_t group_heartbeat_interval_ms = 5000; // group-consumer-heartbeat-interval-ms
  // A group's committed offsets expire this long after their commit once it is empty
  // (Kafka's offsets.retention.minutes; 7 days).
  int64_t offsets_retention_minutes = 10080;  // offsets-retention-minutes
};

struct cluster_config {
  std::string path;       // the file this was read from
  std::string data_dir;   // absolute, or relative to the config file's directory
  std::vector<node_config> nodes;
  broker_defaults defaults;
  tls_config tls;         // [tls], plus [cluster] allow-plaintext
  security_config security;  // [security]: SASL mechanisms, ACL authorizer
  limits_config limits;      // [limits]: connections, request bytes, parked fetches, ...
  quota_config quotas;       // [quotas]: produce and fetch byte rates by user and client id
  chaos_config chaos;     // [cluster] chaos-enable and chaos-max-*
  metrics_config metrics; // [metrics]: series caps, the live view's refresh

  const node_config* find(node_id id) const;
  // Every broker's host:port, comma-separated (a client's bootstrap list).
  std::string bootstrap_servers() const;
  // <data_dir>/node-<id>
  std::string node_dir(node_id id) const;
  // <node_dir>/.lock: the running node holds an exclusive flock on it.
  std::string node_lock(node_id id) const;
};

// Reads and validates `path`. Errors are errc::invalid_config with "path: what is wrong".
caf::expected<cluster_config> load_cluster_config(const std::string& path);

// Validates already-parsed settings (used by load_cluster_config and tests).
caf::expected<cluster_config> cluster_config_from(const caf::settings& s,
                                                  const std::string& path);

// Parses "host:port". Returns false on malformed input.
bool parse_host_port(const std::string& s, std::string& host, uint16_t& port);

// One entry of a bootstrap list.
struct host_port {
  std::string host;
  uint16_t port = 0;
  friend bool operator==(const host_port& x, const host_port& y) {
    return x.host == y.host && x.port == y.port;
  }
};

// Parses Kafka's bootstrap.servers form: "host:port[,host:port...]" (spaces around entries
// allowed). Errors: errc::invalid_config naming the entry that is not host:port, or an
// empty list.
caf::expected<std::vector<host_port>> parse_bootstrap(const std::string& s);

} // namespace cafka
