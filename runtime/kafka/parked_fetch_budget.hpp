// How many consumer long polls (partition reads parked in replicas) Kafka sessions hold at
// once, against [limits] max-parked-fetches (one budget per node, shared by its sessions on
// any thread) and max-parked-fetches-per-connection (one per session). Thread-safe (atomic).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace cafka {

// Invariant: 0 <= in_use() <= cap() (try_take never exceeds it; give_back only returns
// what was taken).
class parked_fetch_budget {
public:
  // Requires: cap >= 0.
  explicit parked_fetch_budget(int64_t cap) : cap_(cap) {}

  // Takes n units if in_use() + n stays within the cap; else takes nothing. Requires: n >= 0.
  bool try_take(int64_t n);
  // Requires: n units taken and not given back yet.
  void give_back(int64_t n);

  int64_t in_use() const { return used_.load(std::memory_order_relaxed); }
  int64_t cap() const { return cap_; }

private:
  std::atomic<int64_t> used_{0};
  int64_t cap_;
};

// The units one Fetch request holds in the node's and its connection's budgets while its
// partitions are parked: taken from both or from neither, given back one per partition
// answer and the rest when it is destroyed (the session died with long polls outstanding),
// so nothing leaks. Owned by one session (not thread-safe itself); move-only.
class parked_fetches {
public:
  parked_fetches() = default;
  ~parked_fetches() { release_all(); }
  parked_fetches(const parked_fetches&) = delete;
  parked_fetches& operator=(const parked_fetches&) = delete;

  // Takes n units from `node` and `connection` (a null budget is not capped), or none if
  // either would exceed its cap. Requires: held() == 0, n >= 0.
  bool take(std::shared_ptr<parked_fetch_budget> node,
            std::shared_ptr<parked_fetch_budget> connection, int64_t n);
  // Gives back one unit, if any is held.
  void release_one();
  void release_all();

  int64_t held() const { return held_; }

private:
  void give_back(int64_t n);

  std::shared_ptr<parked_fetch_budget> node_;
  std::shared_ptr<parked_fetch_budget> connection_;
  int64_t held_ = 0;
};

} // namespace cafka
