#include "runtime/kafka/rate_tracker.hpp"

#include <cstddef>

namespace cafka::kafka {

void rate_tracker::purge(int64_t now_ms) {
  std::size_t old = 0;
  while (old < samples_.size() && now_ms - samples_[old].start_ms >= window_.span_ms())
    ++old;
  samples_.erase(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(old));
}

void rate_tracker::record(int64_t bytes, int64_t now_ms) {
  purge(now_ms);
  // Samples start at least sample_ms apart and the purged ones are older than samples *
  // sample_ms: at most `samples` remain.
  if (samples_.empty() || now_ms - samples_.back().start_ms >= window_.sample_ms)
    samples_.push_back({now_ms, 0});
  samples_.back().bytes += bytes;
}

int64_t rate_tracker::window_ms(int64_t now_ms) {
  purge(now_ms);
  int64_t elapsed = samples_.empty() ? 0 : now_ms - samples_.front().start_ms;
  auto full = elapsed / window_.sample_ms;
  auto min_full = static_cast<int64_t>(window_.samples - 1);
  if (full < min_full)
    elapsed += (min_full - full) * window_.sample_ms;
  return elapsed;
}

double rate_tracker::rate(int64_t now_ms) {
  auto span = window_ms(now_ms);  // purges
  int64_t total = 0;
  for (auto& s : samples_)
    total += s.bytes;
  return static_cast<double>(total) * 1000.0 / static_cast<double>(span);
}

bool rate_tracker::idle(int64_t now_ms) {
  purge(now_ms);
  return samples_.empty();
}

} // namespace cafka::kafka
