#include "runtime/metrics/event_log.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace cafka::metrics {

event_log::event_log(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {
}

uint64_t event_log::append(std::string kind, std::string text) {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  std::lock_guard<std::mutex> guard{mtx_};
  auto seq = next_seq_++;
  events_.push_back(event{seq, now, std::move(kind), std::move(text)});
  if (events_.size() > capacity_)
    events_.pop_front();
  return seq;
}

std::vector<event> event_log::since(uint64_t after) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<event> out;
  if (events_.empty() || events_.back().seq <= after)
    return out;
  // seq runs without gaps, so the first wanted one is at a known position.
  auto first = events_.front().seq;
  size_t skip = after >= first ? static_cast<size_t>(after - first + 1) : 0;
  out.assign(events_.begin() + static_cast<std::ptrdiff_t>(skip), events_.end());
  return out;
}

uint64_t event_log::last_seq() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return next_seq_ - 1;
}

} // namespace cafka::metrics
