// What one node tells the live view of every node (GET /api/node): its data counters, its
// produce latency histogram, the partitions it hosts, its quorum role and its newer events.
// Built from the node's registry snapshot and event log; parsed back by the view collector of
// any node. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/metrics/event_log.hpp"
#include "runtime/metrics/metric_registry.hpp"

namespace cafka::metrics {

struct partition_summary {
  std::string topic;
  int32_t partition = 0;
  bool leader = false;
  int64_t log_start_offset = -1;
  int64_t log_end_offset = -1;
  int64_t high_watermark = -1;
  int64_t size_bytes = -1;
};

struct node_summary {
  int32_t node = -1;
  int64_t start_time_ms = 0;  // the process's start: a new value means the node restarted
  double records_in = 0;      // the cafka_broker_*_total counters
  double bytes_in = 0;
  double records_out = 0;
  double bytes_out = 0;
  // Produce requests of both protocols (cafka_request_latency_seconds): the bounds and the
  // cumulative counts, one more than bounds (the last: every observation).
  std::vector<double> latency_bounds;
  std::vector<uint64_t> latency_cumulative;
  std::string quorum_role;  // "leader", "follower", "candidate"; "" without the role
  std::vector<partition_summary> partitions;
  std::vector<event> events;  // seq > the asked one, oldest first
};

// The summary of a node from its registry's snapshot and its events after `since`.
node_summary summarize(int32_t node, int64_t start_time_ms,
                       const std::vector<family_snapshot>& families, const event_log& events,
                       uint64_t since);

std::string to_json(const node_summary& x);

// Reads to_json's text. Errors: invalid_request naming what is missing or malformed.
caf::expected<node_summary> parse_node_summary(const std::string& json);

} // namespace cafka::metrics
