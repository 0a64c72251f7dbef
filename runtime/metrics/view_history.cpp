#include "runtime/metrics/view_history.hpp"

#include <algorithm>

namespace cafka::metrics {

std::optional<double> quantile(double q, const std::vector<double>& bounds,
                               const std::vector<uint64_t>& cumulative) {
  if (cumulative.size() != bounds.size() + 1 || cumulative.back() == 0 || bounds.empty())
    return std::nullopt;
  auto rank = q * static_cast<double>(cumulative.back());
  size_t i = 0;
  while (i < cumulative.size() && static_cast<double>(cumulative[i]) < rank)
    ++i;
  if (i >= bounds.size())
    return bounds.back();
  double lower = i == 0 ? 0 : bounds[i - 1];
  double below = i == 0 ? 0 : static_cast<double>(cumulative[i - 1]);
  double in_bucket = static_cast<double>(cumulative[i]) - below;
  if (in_bucket <= 0)
    return bounds[i];
  return lower + (bounds[i] - lower) * (rank - below) / in_bucket;
}

view_history::view_history(size_t max_samples, size_t max_events)
  : max_samples_(std::max<size_t>(1, max_samples)), max_events_(std::max<size_t>(1, max_events)) {
}

template <class T>
void view_history::push(std::deque<T>& xs, T x, size_t cap) {
  xs.push_back(std::move(x));
  while (xs.size() > cap)
    xs.pop_front();
}

void view_history::add_round(int64_t now_ms, const std::vector<node_summary>& summaries) {
  throughput_sample t;
  t.time_ms = now_ms;
  std::vector<double> bounds;
  std::vector<uint64_t> delta;
  bool any = false;
  for (auto& s : summaries) {
    auto known = nodes_.find(s.node);
    bool same = known != nodes_.end() && known->second.start_time_ms == s.start_time_ms;
    if (same) {
      auto& p = known->second;
      double secs = static_cast<double>(now_ms - p.time_ms) / 1000.0;
      // Counters only grow within one process; a smaller value is a restart missed.
      if (secs > 0 && s.records_in >= p.records_in && s.records_out >= p.records_out) {
        any = true;
        t.records_in += (s.records_in - p.records_in) / secs;
        t.bytes_in += (s.bytes_in - p.bytes_in) / secs;
        t.records_out += (s.records_out - p.records_out) / secs;
        t.bytes_out += (s.bytes_out - p.bytes_out) / secs;
      }
      if (!s.latency_bounds.empty() && s.latency_bounds == p.latency_bounds
          && s.latency_cumulative.size() == p.latency_cumulative.size()) {
        if (bounds.empty()) {
          bounds = s.latency_bounds;
          delta.assign(s.latency_cumulative.size(), 0);
        }
        if (bounds == s.latency_bounds)
          for (size_t i = 0; i < delta.size(); ++i)
            if (s.latency_cumulative[i] >= p.latency_cumulative[i])
              delta[i] += s.latency_cumulative[i] - p.latency_cumulative[i];
      }
    }
    auto& st = nodes_[s.node];
    if (!same)
      st = node_state{};
    st.start_time_ms = s.start_time_ms;
    st.time_ms = now_ms;
    st.records_in = s.records_in;
    st.bytes_in = s.bytes_in;
    st.records_out = s.records_out;
    st.bytes_out = s.bytes_out;
    st.latency_bounds = s.latency_bounds;
    st.latency_cumulative = s.latency_cumulative;
    for (auto& e : s.events) {
      if (e.seq <= st.last_seq)
        continue;
      st.last_seq = e.seq;
      push(events_, view_event{next_seq_++, e.time_ms, s.node, e.kind, e.text}, max_events_);
    }
  }
  if (!any)
    return;
  push(throughput_, t, max_samples_);
  latency_sample l;
  l.time_ms = now_ms;
  if (auto p50 = quantile(0.5, bounds, delta))
    l.p50_ms = *p50 * 1000;
  if (auto p99 = quantile(0.99, bounds, delta))
    l.p99_ms = *p99 * 1000;
  push(latency_, l, max_samples_);
}

void view_history::add_event(int64_t time_ms, int32_t node, std::string kind, std::string text) {
  push(events_, view_event{next_seq_++, time_ms, node, std::move(kind), std::move(text)},
       max_events_);
}

uint64_t view_history::last_seq(int32_t node) const {
  auto i = nodes_.find(node);
  return i == nodes_.end() ? 0 : i->second.last_seq;
}

void view_history::fill(cluster_view& v) const {
  v.throughput.assign(throughput_.begin(), throughput_.end());
  v.latency.assign(latency_.begin(), latency_.end());
  v.events.assign(events_.begin(), events_.end());
}

} // namespace cafka::metrics
