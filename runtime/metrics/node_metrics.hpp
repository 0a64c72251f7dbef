// The metrics one node exports on GET /metrics, and its event log: the registry with every
// family cafka's actors update (docs/observability.md lists them), made once per node and
// carried to its actors by node_io. Thread-safe: any actor or thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "runtime/config/metrics_config.hpp"
#include "runtime/metrics/event_log.hpp"
#include "runtime/metrics/metric_registry.hpp"

namespace cafka::metrics {

// The protocol a request came in by: cafka's own (CAF messages) or Kafka's.
enum class request_protocol : uint8_t { native, kafka };

const char* to_string(request_protocol x);

// The series of one API's requests; cache them (lookups take the registry's mutex).
struct request_series {
  counter requests;      // cafka_requests_total{protocol, api}
  histogram latency;     // cafka_request_latency_seconds{protocol, api}
};

// The gauges of one partition replica on this broker (cafka_partition_*{topic, partition}).
// Default-constructed handles (series refused by partition-series-max) update nothing.
struct partition_series {
  gauge log_start_offset;
  gauge log_end_offset;
  gauge high_watermark;
  gauge size_bytes;
  gauge replicas;          // the replica set's size
  gauge isr_size;
  gauge under_replicated;  // 1 when this broker leads and the ISR is smaller than the replicas
  gauge under_min_isr;     // 1 when this broker leads and the ISR is below min.insync.replicas
  gauge leader_epoch;
  gauge leader;            // 1 when this broker leads the partition
};

// The series of one consumer group this node coordinates (cafka_group_*{group}).
struct group_series {
  gauge members;
  gauge generation;
  counter rebalances;
};

class node_metrics {
public:
  explicit node_metrics(const metrics_config& cfg = {});
  node_metrics(const node_metrics&) = delete;
  node_metrics& operator=(const node_metrics&) = delete;

  metric_registry registry;
  event_log events;

  // -- requests (brokers: both protocols) ----------------------------------------------------
  counter_family requests;          // cafka_requests_total{protocol, api}
  counter_family request_errors;    // cafka_request_errors_total{protocol, api, error}
  histogram_family request_latency; // cafka_request_latency_seconds{protocol, api}
  // The two series of `api` (Kafka's API names for kafka, the message's name for native).
  request_series request(request_protocol p, std::string_view api);
  // Counts an error answer (`error`: the errc's name, e.g. "not_leader_or_follower").
  void count_error(request_protocol p, std::string_view api, std::string_view error);

  // -- data through this broker's leaders ----------------------------------------------------
  counter records_in;     // cafka_broker_records_in_total: records appended by producers
  counter bytes_in;       // cafka_broker_bytes_in_total: their record batch bytes
  counter records_out;    // cafka_broker_records_out_total: records sent to consumers
  counter bytes_out;      // cafka_broker_bytes_out_total: their record batch bytes
  counter replication_bytes_out;  // cafka_broker_replication_bytes_out_total: to followers
  gauge_family kafka_connections; // cafka_kafka_connections{listener}

  // -- partitions (capped by partition-series-max) --------------------------------------------
  partition_series partition(const std::string& topic, int32_t partition);
  void remove_partition(const std::string& topic, int32_t partition);

  // -- consumer groups (capped by group-series-max) -------------------------------------------
  group_series group(const std::string& name);
  // cafka_group_state{group, state} is 1 for `state` and absent for the others.
  void set_group_state(const std::string& name, const std::string& state);
  // cafka_group_committed_offset and cafka_group_lag{group, topic, partition}.
  void set_group_offset(const std::string& name, const std::string& topic, int32_t partition,
                        int64_t committed, int64_t lag);
  // Removes every series of the group (its manager ended here).
  void remove_group(const std::string& name);
  // Removes only the group's committed offset and lag series (the live view's).
  void remove_group_offsets(const std::string& name);

  // -- controller quorum member and active controller -----------------------------------------
  gauge_family quorum_role;         // cafka_quorum_role{role}: 1 for the member's role
  gauge quorum_term;                // cafka_quorum_term
  gauge quorum_commit_index;        // cafka_quorum_commit_index
  gauge quorum_applied_index;       // cafka_quorum_applied_index
  gauge_family quorum_member_lag;   // cafka_quorum_member_lag{member}: on the leader only
  gauge controller_active;          // cafka_controller_active: 1 on the quorum's leader
  gauge_family controller_brokers;  // cafka_controller_brokers{state="alive"|"fenced"}
  gauge controller_offline_partitions;           // cafka_controller_offline_partitions
  gauge controller_under_replicated_partitions;  // ..._under_replicated_partitions
  gauge controller_metadata_version;             // cafka_controller_metadata_version
  counter controller_leader_elections;           // cafka_controller_leader_elections_total

  // -- actors ------------------------------------------------------------------------------------
  gauge_family mailbox_depth;       // cafka_actor_mailbox_depth{actor}

  // -- fault injection ---------------------------------------------------------------------------
  gauge_family chaos_active_rules;  // cafka_chaos_active_rules{kind}
  counter_family chaos_rules_added; // cafka_chaos_rules_added_total{kind}

private:
  metrics_config cfg_;
  gauge_family partition_gauges_[10];
  gauge_family group_members_;
  gauge_family group_generation_;
  counter_family group_rebalances_;
  gauge_family group_state_;
  gauge_family group_committed_;
  gauge_family group_lag_;
  // Requires: groups_mtx_ held.
  void drop_offsets(const std::string& name);
  std::mutex groups_mtx_;  // guards the two maps below
  std::map<std::string, std::string> group_states_;  // the state each group's series show
  std::map<std::string, std::set<std::pair<std::string, int32_t>>> group_offsets_;
};

} // namespace cafka::metrics
