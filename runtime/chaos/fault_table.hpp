// Fault injection rules for cross-node protocol messages: drop, delay, duplicate, and cut
// links between chosen node sets (one-way or both ways), then heal. The single decision point
// consulted by actors/chaos/node_send for every such message. Thread-safe (one per process).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <set>
#include <vector>

#include "runtime/base/ids.hpp"

namespace cafka {

// A rule applies to messages from a node in `from` to a node in `to` (empty set: any node).
struct fault_rule {
  std::set<node_id> from;
  std::set<node_id> to;
  double drop = 0.0;                          // probability of losing a message; 1.0 = cut
  double duplicate = 0.0;                     // probability of delivering it twice
  std::chrono::milliseconds delay{0};         // fixed delay added to every message
  std::chrono::milliseconds jitter{0};        // plus a random delay in [0, jitter] (reorders)

  bool matches(node_id f, node_id t) const {
    return (from.empty() || from.count(f) > 0) && (to.empty() || to.count(t) > 0);
  }
};

// What to do with one message.
struct fault_decision {
  bool drop = false;
  int copies = 1;                        // 2 when duplicated
  std::chrono::milliseconds delay{0};    // per copy: delay[i]; same for all copies here
};

class fault_table {
public:
  explicit fault_table(uint64_t seed = 0x5eed);

  // The process-wide table every node_send consults.
  static fault_table& instance();

  // Adds a rule; returns its id for remove().
  uint64_t add(fault_rule rule);
  void remove(uint64_t id);

  // Cuts every message from a node in `a` to a node in `b`; both ways unless one_way.
  void partition(const std::set<node_id>& a, const std::set<node_id>& b, bool one_way = false);

  // Removes every rule.
  void heal();

  // Decides the fate of one message from `from` to `to`. Rules combine: any drop wins,
  // delays add up, duplication if any rule says so.
  fault_decision decide(node_id from, node_id to);

  // True if no rule exists (fast path for senders).
  bool empty() const;

private:
  mutable std::mutex mtx_;
  std::mt19937_64 rng_;
  uint64_t next_id_ = 1;
  std::vector<std::pair<uint64_t, fault_rule>> rules_;
  bool empty_ = true;  // mirrors rules_.empty() for the lock-free-ish fast path
};

} // namespace cafka
