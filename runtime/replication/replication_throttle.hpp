// The node's throttle on catch-up traffic of replicas being added by a move
// (cluster_metadata::reassignment_throttle, Kafka's follower.replication.throttled.rate): one
// per broker, shared by its partition replicas across actor threads (a mutex guards it).
#pragma once

#include <cstdint>
#include <mutex>

namespace cafka {

class replication_throttle {
public:
  // Bytes per second; 0 or less: no limit.
  void set_rate(int64_t bytes_per_second);
  int64_t rate() const;

  // Charges `bytes` just fetched at `now_ms` (a monotonic clock): the rate's budget is spent
  // for bytes / rate seconds more.
  void charge(int64_t bytes, int64_t now_ms);
  // How long a throttled fetcher waits at `now_ms` before it fetches again, so that what all
  // throttled replicas of the node fetch averages at most the rate (each overshoots by at
  // most one fetch). 0 without a limit.
  int64_t wait_ms(int64_t now_ms) const;

  // The most bytes one throttled fetch should ask for: half a second of the rate (at least
  // 1), so that one answer never holds a fetcher for long; `max` without a limit.
  int32_t fetch_max_bytes(int32_t max) const;

private:
  mutable std::mutex mtx_;
  int64_t rate_ = 0;
  // Invariant: the rate's budget is spent until this time; later bytes wait behind it.
  int64_t busy_until_ms_ = 0;
};

} // namespace cafka
