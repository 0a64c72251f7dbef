// What one node tells the live view of every node (GET /api/node): its data counters, its
// produce latency histogram, the partitions it hosts, the groups it coordinates, its quorum
// role and its newer events.
// Built from the node's registry snapshot and event log; parsed back by the view collector of
// any node. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/http/json_writer.hpp"
#include "runtime/metrics/event_log.hpp"
#include "runtime/metrics/metric_registry.hpp"
#include "runtime/protocol/group_messages.hpp"

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

struct view_member {
  std::string member_id;
  std::string client;
  std::string host;
  std::vector<std::string> partitions;  // "topic-N"
};

struct view_offset {
  std::string topic;
  int32_t partition = 0;
  int64_t committed = -1;
  int64_t log_end_offset = -1;
  int64_t lag = -1;  // high watermark minus committed; -1: unknown (set by add_lag)
};

struct view_group {
  std::string group;
  std::string state;
  int32_t coordinator = -1;
  int64_t generation = 0;
  std::vector<view_member> members;
  std::vector<view_offset> offsets;
  int64_t lag = -1;  // the offsets' lags summed; -1 if none is known (set by add_lag)
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
  std::vector<view_group> groups;  // the groups this node coordinates, without lag
  std::vector<event> events;  // seq > the asked one, oldest first
};

// A group as the view shows it, from its coordinator's description (lag unknown).
view_group summarize_group(const group_description& d);

// The summary of a node from its registry's snapshot, the groups it coordinates and its
// events after `since`.
node_summary summarize(int32_t node, int64_t start_time_ms,
                       const std::vector<family_snapshot>& families,
                       std::vector<view_group> groups, const event_log& events,
                       uint64_t since);

std::string to_json(const node_summary& x);

// Writes one group as a JSON object (the grammar's `group`, docs/observability.md).
void write_group(http::json_writer& w, const view_group& g);

// Reads to_json's text. Errors: invalid_request naming what is missing or malformed.
caf::expected<node_summary> parse_node_summary(const std::string& json);

} // namespace cafka::metrics
