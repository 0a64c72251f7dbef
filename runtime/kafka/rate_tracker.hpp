// The byte rate of one quota entity, measured as Kafka's quota sensors measure it: a sum over
// `samples` samples of `sample_ms` each, divided by the span they cover (at least
// samples - 1 sample lengths). Pure value, no clock of its own; not thread-safe (the
// quota_manager that owns it holds a mutex).
#pragma once

#include <cstdint>
#include <vector>

namespace cafka::kafka {

// Kafka's quota.window.num and quota.window.size.seconds.
struct rate_window {
  int32_t samples = 11;
  int64_t sample_ms = 1000;
  // The span of the whole window: what a sample older than that no longer counts for.
  int64_t span_ms() const { return samples * sample_ms; }
};

// Requires: window.samples >= 2, window.sample_ms >= 1; the `now_ms` of successive calls
// never decrease.
class rate_tracker {
public:
  explicit rate_tracker(rate_window window) : window_(window) {}

  // Adds `bytes` to the current sample at `now_ms`, starting a new sample when the current
  // one is `sample_ms` old.
  void record(int64_t bytes, int64_t now_ms);

  // Bytes per second at `now_ms`: the bytes of the samples younger than the window span,
  // over the time since the oldest of them started, counted as at least samples - 1 sample
  // lengths (so that one burst after a quiet period is not a huge rate).
  double rate(int64_t now_ms);

  // The span the rate divides by at `now_ms` (Kafka's Rate.windowSize), in milliseconds.
  int64_t window_ms(int64_t now_ms);

  // Whether every sample is older than the window span at `now_ms`: the tracker measures 0
  // and may be dropped.
  bool idle(int64_t now_ms);

private:
  struct sample {
    int64_t start_ms = 0;
    int64_t bytes = 0;
  };

  // Drops the samples older than the window span.
  void purge(int64_t now_ms);

  rate_window window_;
  // Oldest first, starts at least sample_ms apart. Invariant after purge(now): every start
  // is within span_ms() of now, so there are at most window_.samples of them.
  std::vector<sample> samples_;
};

} // namespace cafka::kafka
