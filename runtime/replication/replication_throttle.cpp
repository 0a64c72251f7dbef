#include "runtime/replication/replication_throttle.hpp"

#include <algorithm>

namespace cafka {

void replication_throttle::set_rate(int64_t bytes_per_second) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (bytes_per_second != rate_)
    busy_until_ms_ = 0;
  rate_ = std::max<int64_t>(0, bytes_per_second);
}

int64_t replication_throttle::rate() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return rate_;
}

void replication_throttle::charge(int64_t bytes, int64_t now_ms) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (rate_ <= 0 || bytes <= 0)
    return;
  auto start = std::max(busy_until_ms_, now_ms);
  // Rounded up: throttled fetchers never get more than the rate.
  busy_until_ms_ = start + (bytes * 1000 + rate_ - 1) / rate_;
}

int64_t replication_throttle::wait_ms(int64_t now_ms) const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (rate_ <= 0)
    return 0;
  return std::max<int64_t>(0, busy_until_ms_ - now_ms);
}

int32_t replication_throttle::fetch_max_bytes(int32_t max) const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (rate_ <= 0)
    return max;
  return static_cast<int32_t>(std::clamp<int64_t>(rate_ / 2, 1, max));
}

} // namespace cafka
