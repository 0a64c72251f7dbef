// Wall-clock helpers in Kafka's unit (milliseconds since the Unix epoch): record timestamps,
// retention, flush.ms and the producer's linger and delivery deadlines. A deterministic
// simulation (actors/sim) replaces the source with its simulated time. Any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace cafka {

using wall_clock_fn = int64_t (*)();

namespace detail {
inline std::atomic<wall_clock_fn> wall_clock_override{nullptr};
} // namespace detail

// From now on now_ms() returns fn() (nullptr: the system clock again). Simulations only.
inline void set_wall_clock(wall_clock_fn fn) {
  detail::wall_clock_override.store(fn, std::memory_order_release);
}

inline int64_t now_ms() {
  using namespace std::chrono;
  if (auto fn = detail::wall_clock_override.load(std::memory_order_acquire))
    return fn();
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace cafka
