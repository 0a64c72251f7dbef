// A node's recent cluster events (a leader elected, a broker fenced, a group rebalanced, a
// fault injected) for the live view: a bounded ring, numbered from 1 in the order appended.
// One per node, in its node_metrics; thread-safe (one mutex), appended from any actor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace cafka::metrics {

struct event {
  uint64_t seq = 0;      // 1, 2, ... in append order; Invariant: unique within one log
  int64_t time_ms = 0;   // unix time when appended
  std::string kind;      // one of the kinds docs/observability.md lists, e.g. "broker_fenced"
  std::string text;      // what happened, for people
};

class event_log {
public:
  // Keeps the newest `capacity` events. Requires: capacity > 0.
  explicit event_log(size_t capacity = 1000);

  // Appends an event stamped with the current time; returns its seq.
  uint64_t append(std::string kind, std::string text);

  // The kept events with seq > after, oldest first.
  std::vector<event> since(uint64_t after) const;

  // The seq of the newest event, 0 if none yet.
  uint64_t last_seq() const;

private:
  mutable std::mutex mtx_;
  size_t capacity_;
  uint64_t next_seq_ = 1;
  std::deque<event> events_;  // Invariant: at most capacity_, seq increasing by 1
};

} // namespace cafka::metrics
