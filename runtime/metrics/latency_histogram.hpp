// Latencies in microseconds counted into log-linear buckets (HdrHistogram's layout): exact
// below 256 µs, then 128 buckets per power of two, so a percentile is within 0.8% of the
// recorded value, in a fixed 34 KiB however long the run. Used by the benchmarks
// (`cafka bench`, kafka_bench); a plain value, one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cafka::metrics {

class latency_histogram {
public:
  latency_histogram();

  // Counts one latency. A negative value counts as 0; one above max_trackable_us lands in
  // the highest bucket (max() still reports it exactly).
  void record(int64_t us);
  // Adds every count of `other` (the run's histogram from the seconds' ones).
  void merge(const latency_histogram& other);
  void reset();

  int64_t count() const { return count_; }
  // 0 when empty.
  int64_t max() const { return max_; }
  double mean() const;
  // The smallest recorded value v such that at least q * count() of the recorded values are
  // <= v, rounded up to its bucket's highest value and capped at max(): exact below 256 µs,
  // at most 0.8% high above that. q in [0, 1] (q = 0: the lowest). 0 when empty.
  int64_t value_at(double q) const;

  // Values up to here get their own bucket (2^40 µs, about 12.7 days).
  static constexpr int64_t max_trackable_us = int64_t{1} << 40;

private:
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

// "p50 0.612 ms, p99 1.004 ms, p99.9 2.500 ms, max 3.100 ms" (milliseconds, three decimals),
// or "no records" when h is empty.
std::string describe_percentiles(const latency_histogram& h);

} // namespace cafka::metrics
