// A cap on work started and not yet finished (a counting semaphore): the benchmarks' "at most
// N records sent and not yet acknowledged". One thread waits in acquire() (the sender); any
// thread, e.g. a delivery callback, calls release(). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace cafka {

class in_flight_gate {
public:
  // limit < 0: no cap; acquire() and release() then do nothing (no lock on the hot path).
  explicit in_flight_gate(int64_t limit);

  // Waits until fewer than limit are in flight, then counts one more.
  void acquire();
  // Counts one less and wakes a waiting acquire(). Requires: one acquire() before it.
  void release();
  // 0 without a cap.
  int64_t in_flight() const;

private:
  const int64_t limit_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  int64_t in_flight_ = 0;  // guarded by mtx_
};

} // namespace cafka
