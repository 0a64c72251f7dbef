// The live view's memory across refreshes: cluster-wide throughput and produce latency per
// interval from successive node summaries, and the nodes' events merged in the order the
// collector saw them. Owned by the view collector; one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "runtime/metrics/cluster_view.hpp"
#include "runtime/metrics/node_summary.hpp"

namespace cafka::metrics {

// The q-quantile (0 < q < 1) of a histogram given as cumulative counts (one more than
// bounds, the last the total), interpolated linearly inside the bucket it falls in, as
// Prometheus' histogram_quantile does; the highest bound when it falls in the +Inf bucket.
// None when the histogram is empty.
std::optional<double> quantile(double q, const std::vector<double>& bounds,
                               const std::vector<uint64_t>& cumulative);

class view_history {
public:
  explicit view_history(size_t max_samples = 300, size_t max_events = 500);

  // One refresh: the summaries that arrived at now_ms. Adds a throughput and a latency
  // sample from the counters' growth since each node's previous summary (a node that
  // restarted, or is new, counts from its next one) and takes the nodes' new events.
  void add_round(int64_t now_ms, const std::vector<node_summary>& summaries);

  // An event the collector saw itself (a node that stopped answering).
  void add_event(int64_t time_ms, int32_t node, std::string kind, std::string text);

  // The seq of the newest event taken from `node` (ask it for newer ones only).
  uint64_t last_seq(int32_t node) const;

  // Copies the samples and events into v.
  void fill(cluster_view& v) const;

private:
  struct node_state {
    int64_t start_time_ms = 0;
    int64_t time_ms = 0;
    double records_in = 0;
    double bytes_in = 0;
    double records_out = 0;
    double bytes_out = 0;
    std::vector<double> latency_bounds;
    std::vector<uint64_t> latency_cumulative;
    uint64_t last_seq = 0;
  };
  template <class T>
  void push(std::deque<T>& xs, T x, size_t cap);
  size_t max_samples_;
  size_t max_events_;
  std::map<int32_t, node_state> nodes_;
  std::deque<throughput_sample> throughput_;
  std::deque<latency_sample> latency_;
  std::deque<view_event> events_;
  uint64_t next_seq_ = 1;
};

} // namespace cafka::metrics
