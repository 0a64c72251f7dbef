// The partition leader's view of its followers: each follower's log end (from its fetches),
// when it was last caught up, the high watermark (the offset every ISR member has), and which
// followers should leave or join the ISR (replica.lag.time.max.ms). ISR changes themselves go
// through the controller; set_isr() adopts the committed result. Owned by the leader replica.
#pragma once

#include <chrono>
#include <map>
#include <vector>

#include "runtime/base/ids.hpp"

namespace cafka {

class isr_tracker {
public:
  using clock = std::chrono::steady_clock;

  // Requires: leader is in replicas and in isr; isr is a subset of replicas.
  isr_tracker(node_id leader, std::vector<node_id> replicas, std::vector<node_id> isr,
              log_offset leader_end, log_offset high_watermark, clock::time_point now);

  // The leader appended: its log end is now `end`.
  void leader_appended(log_offset end);

  // Follower f fetched from `offset`, i.e. it has every record below it.
  void follower_fetched(node_id f, log_offset offset, clock::time_point now);

  // Every ISR member (the leader included) has the records below it. Never decreases.
  log_offset high_watermark() const { return hw_; }

  // ISR followers not caught up with the leader's log end for longer than lag_max.
  std::vector<node_id> lagging(clock::time_point now, std::chrono::milliseconds lag_max) const;

  // Followers outside the ISR that have every record below the high watermark.
  std::vector<node_id> caught_up() const;

  // Adopts an ISR the controller committed. Requires: leader in isr, isr ⊆ replicas.
  void set_isr(std::vector<node_id> isr);
  const std::vector<node_id>& isr() const { return isr_; }

  log_offset log_end(node_id replica) const;

private:
  struct follower {
    log_offset end{0};
    clock::time_point last_caught_up;
  };
  void recompute_hw();

  node_id leader_;
  std::vector<node_id> replicas_;
  std::vector<node_id> isr_;
  log_offset leader_end_;
  log_offset hw_;
  std::map<node_id, follower> followers_;
};

} // namespace cafka
