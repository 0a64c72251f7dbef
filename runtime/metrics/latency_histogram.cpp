#include "runtime/metrics/latency_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cafka::metrics {

namespace {

// Values below 2 * sub_buckets are their own bucket; above, each power of two [2^b, 2^(b+1))
// is cut into sub_buckets buckets of width 2^(b - 7).
constexpr int sub_bits = 7;
constexpr int64_t sub_buckets = int64_t{1} << sub_bits;
constexpr int64_t exact_below = 2 * sub_buckets;

int highest_bit(uint64_t v) {
  int b = 0;
  while (v >>= 1)
    ++b;
  return b;
}

size_t bucket_of(int64_t us) {
  auto v = std::clamp<int64_t>(us, 0, latency_histogram::max_trackable_us);
  if (v < exact_below)
    return static_cast<size_t>(v);
  auto shift = highest_bit(static_cast<uint64_t>(v)) - sub_bits;  // >= 1
  auto top = v >> shift;                                         // [128, 255]
  return static_cast<size_t>(exact_below + (shift - 1) * sub_buckets + (top - sub_buckets));
}

// The highest value that falls into bucket i.
int64_t highest_in(size_t i) {
  auto k = static_cast<int64_t>(i);
  if (k < exact_below)
    return k;
  k -= exact_below;
  auto shift = k / sub_buckets + 1;
  auto top = k % sub_buckets + sub_buckets;
  return ((top + 1) << shift) - 1;
}

} // namespace

latency_histogram::latency_histogram()
  : counts_(bucket_of(max_trackable_us) + 1, 0) {
}

void latency_histogram::record(int64_t us) {
  us = std::max<int64_t>(us, 0);
  ++counts_[bucket_of(us)];
  ++count_;
  max_ = std::max(max_, us);
  sum_ += static_cast<double>(us);
}

void latency_histogram::merge(const latency_histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void latency_histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  max_ = 0;
  sum_ = 0;
}

double latency_histogram::mean() const {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

int64_t latency_histogram::value_at(double q) const {
  if (count_ == 0)
    return 0;
  // The rank of the value asked for, 1-based; the small margin keeps 0.99 * 100 at 99.
  auto rank = static_cast<int64_t>(std::ceil(q * static_cast<double>(count_) - 1e-6));
  rank = std::clamp<int64_t>(rank, 1, count_);
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank)
      return std::min(highest_in(i), max_);
  }
  return max_;
}

std::string describe_percentiles(const latency_histogram& h) {
  if (h.count() == 0)
    return "no records";
  char buf[160];
  std::snprintf(buf, sizeof(buf), "p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms",
                static_cast<double>(h.value_at(0.5)) / 1e3,
                static_cast<double>(h.value_at(0.99)) / 1e3,
                static_cast<double>(h.value_at(0.999)) / 1e3,
                static_cast<double>(h.max()) / 1e3);
  return buf;
}

} // namespace cafka::metrics
