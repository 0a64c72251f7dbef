// The live view's picture of the whole cluster (GET /api/view, docs/observability.md has its
// grammar): brokers, topics with their partitions, groups with their lag, throughput and
// latency history and the nodes' events. Built by the view collector from the metadata, the
// groups' descriptions and every node's summary; plain values, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/cluster/metadata.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/metrics/node_summary.hpp"

namespace cafka::metrics {

struct view_broker {
  int32_t id = -1;
  std::string address;       // host:port of the node
  std::string state;         // "alive", "fenced", "unknown" (never registered)
  bool controller = false;   // a member of the controller quorum
  std::string quorum_role;   // as its summary says; "" when not a member or unreachable
  bool reachable = false;    // its summary arrived this round
  std::string metrics_url;   // "" when its metrics are off
};

struct view_partition {
  int32_t partition = 0;
  int32_t leader = -1;
  int32_t leader_epoch = 0;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  bool under_replicated = false;
  bool unavailable = false;
  int64_t log_end_offset = -1;
  int64_t high_watermark = -1;
};

struct view_topic {
  std::string name;
  bool internal = false;
  std::vector<view_partition> partitions;
};

struct throughput_sample {
  int64_t time_ms = 0;
  double records_in = 0;  // per second, summed over the nodes
  double bytes_in = 0;
  double records_out = 0;
  double bytes_out = 0;
};

struct latency_sample {
  int64_t time_ms = 0;
  std::optional<double> p50_ms;  // none: no produce request in the interval
  std::optional<double> p99_ms;
};

struct view_event {
  uint64_t seq = 0;  // the view's own numbering, in the order the collector saw them
  int64_t time_ms = 0;
  int32_t node = -1;
  std::string kind;
  std::string text;
};

struct cluster_view {
  int32_t node = -1;  // the node serving the view
  int64_t time_ms = 0;
  std::string cluster_id;
  uint64_t metadata_version = 0;
  int32_t controller = -1;
  std::string error;  // why the last refresh failed; "" if it worked
  std::vector<view_broker> brokers;
  std::vector<view_topic> topics;
  std::vector<view_group> groups;
  std::vector<throughput_sample> throughput;  // oldest first
  std::vector<latency_sample> latency;        // oldest first
  std::vector<view_event> events;             // oldest first
};

// Brokers, controller and topics from the metadata and the config's nodes; each partition's
// log end and high watermark from its leader's summary (the summaries of this round).
void set_cluster(cluster_view& v, const cluster_config& cfg, const cluster_metadata& md,
                 const std::vector<node_summary>& summaries);

// Sets the group's lag (each offset's and the sum) against the partitions' high watermarks
// that `topics` (set by set_cluster) knows; each offset's log_end_offset is that high
// watermark.
void add_lag(view_group& g, const std::vector<view_topic>& topics);

std::string to_json(const cluster_view& v);

} // namespace cafka::metrics
