// Broker leases as every controller quorum member tracks them: each heartbeat renews a
// broker's lease; a lease that lapses makes the controller propose fencing the broker.
// Followers keep them too, so that a new controller starts from what it saw. Owned by the
// controller quorum member actor; one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

#include "runtime/base/ids.hpp"

namespace cafka {

class broker_leases {
public:
  using clock = std::chrono::steady_clock;

  explicit broker_leases(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  // A heartbeat (or registration) from broker `id` in incarnation `inc` at `now`.
  void renew(node_id id, uint64_t inc, clock::time_point now);

  // Forgets a broker (fenced or unregistered); renew() starts it again.
  void drop(node_id id);

  // The broker's process is gone (CAF's down message for incarnation `inc`): its lease
  // lapses at the next lapsed() call. A renewal (a newer process) clears that.
  void gone(node_id id, uint64_t inc);

  // A new controller takes over at `now`: every lease not gone has at least `grace` left,
  // so that heartbeats it missed while following do not fence a live broker at once.
  // Requires: grace <= timeout.
  void take_over(clock::time_point now, std::chrono::milliseconds grace);

  // Whether there is a lease for incarnation `inc` of broker `id`.
  bool known(node_id id, uint64_t inc) const {
    auto i = leases_.find(id);
    return i != leases_.end() && i->second.incarnation == inc;
  }

  // Brokers whose lease lapsed at `now`, with the incarnation that lapsed. Each lapse is
  // reported once: the entry is marked until renewed.
  std::vector<std::pair<node_id, uint64_t>> lapsed(clock::time_point now);

  bool holds(node_id id, clock::time_point now) const;

private:
  struct lease {
    uint64_t incarnation = 0;
    clock::time_point last;
    bool reported = false;
    bool gone = false;
  };
  std::chrono::milliseconds timeout_;
  std::map<node_id, lease> leases_;
};

} // namespace cafka
