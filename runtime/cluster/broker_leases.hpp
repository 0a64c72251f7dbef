// Broker leases as the active controller tracks them: each heartbeat renews a broker's lease;
// a lease that lapses makes the controller propose fencing the broker. Volatile leader state
// (a new controller starts every lease afresh). Owned by the coordinator actor; one thread.
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

  // Starts every known lease afresh at `now` (a new controller gives everyone a full lease).
  void reset_all(clock::time_point now);

  // Brokers whose lease lapsed at `now`, with the incarnation that lapsed. Each lapse is
  // reported once: the entry is marked until renewed.
  std::vector<std::pair<node_id, uint64_t>> lapsed(clock::time_point now);

  bool holds(node_id id, clock::time_point now) const;

private:
  struct lease {
    uint64_t incarnation = 0;
    clock::time_point last;
    bool reported = false;
  };
  std::chrono::milliseconds timeout_;
  std::map<node_id, lease> leases_;
};

} // namespace cafka
