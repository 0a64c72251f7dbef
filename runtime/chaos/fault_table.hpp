// Fault injection rules: for cross-node protocol messages (drop, delay, duplicate, cut links
// between chosen node sets one-way or both ways, then heal) and for the node's partition-log
// files. One per node, made by its supervisor (a simulation shares one among its nodes) and
// handed by pointer to what consults it: node_send and the exchange checks of the node's
// actors, and the node's faulty_env. Edited by the chaos agent. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/sec.hpp>

#include "runtime/base/ids.hpp"

namespace cafka {

// Disk faults of a node's partition-log segment files (`*.log`), applied by the node's
// faulty_env (runtime/chaos/faulty_env.hpp, which describes each kind). Raft storage is left
// alone (a quorum member whose disk fails stops its node on purpose, see
// docs/architecture-storage.md; the node gives it the plain disk), and so are the leader-epoch
// checkpoints, producer snapshots and directory fsyncs, whose failures a replica only logs.
enum class disk_fault : uint8_t {
  none,         // a network rule
  write_error,  // write(2)/pwrite(2) write half the bytes, then fail with ENOSPC
  fsync_error,  // fsync(2) fails with EIO
  slow,         // every write and fsync stalls `delay` (+ up to `jitter`) first (capped)
};

// "write", "fsync", "slow"; nullptr for none.
const char* to_string(disk_fault k);

// A network rule applies to messages from a node in `from` to a node in `to` (empty set: any
// node). A disk rule (disk != none) applies to every partition-log file of the node whose
// table holds it; `drop` is then the probability that one operation fails.
struct fault_rule {
  std::set<node_id> from;
  std::set<node_id> to;
  double drop = 0.0;                          // probability of losing a message; 1.0 = cut
  double duplicate = 0.0;                     // probability of delivering it twice
  std::chrono::milliseconds delay{0};         // fixed delay added to every message
  std::chrono::milliseconds jitter{0};        // plus a random delay in [0, jitter] (reorders)
  disk_fault disk = disk_fault::none;

  bool is_disk() const { return disk != disk_fault::none; }

  bool matches(node_id f, node_id t) const {
    return (from.empty() || from.count(f) > 0) && (to.empty() || to.count(t) > 0);
  }
};

// "2 -> 1,3 drop 1.00 delay 5 ms (+5 jitter)"; "*" for any node.
std::string describe(const fault_rule& r);

// One active rule as a node reports it (cafka chaos status).
struct fault_status {
  uint64_t id = 0;
  fault_rule rule;
  int64_t remaining_ms = -1;  // -1: until healed
};

// std::chrono durations travel as milliseconds.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fault_rule& x) {
  int64_t delay = x.delay.count();
  int64_t jitter = x.jitter.count();
  auto disk = static_cast<uint8_t>(x.disk);
  auto restore = [&]() -> caf::error {
    x.delay = std::chrono::milliseconds{delay};
    x.jitter = std::chrono::milliseconds{jitter};
    if (disk > static_cast<uint8_t>(disk_fault::slow))
      return caf::make_error(caf::sec::invalid_argument, "unknown disk fault");
    x.disk = static_cast<disk_fault>(disk);
    return caf::error{};
  };
  return f(x.from, x.to, x.drop, x.duplicate, delay, jitter, disk,
           caf::meta::load_callback(restore));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fault_status& x) {
  return f(x.id, x.rule, x.remaining_ms);
}

// What a file operation of the storage layer meets (faulty_env asks).
enum class disk_op : uint8_t { write, fsync };
struct disk_decision {
  int error = 0;                          // errno to fail with; 0: go ahead
  std::chrono::milliseconds delay{0};     // the stall first (faulty_env caps it)
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

  // Adds a rule; returns its id for remove().
  uint64_t add(fault_rule rule);
  void remove(uint64_t id);

  // Cuts every message from a node in `a` to a node in `b`; both ways unless one_way.
  void partition(const std::set<node_id>& a, const std::set<node_id>& b, bool one_way = false);

  // Removes every rule.
  void heal();

  // Restarts the random decisions from `seed` (a simulation replays its seed exactly).
  void reseed(uint64_t seed);

  // Decides the fate of one message from `from` to `to`. Rules combine: any drop wins,
  // delays add up, duplication if any rule says so.
  fault_decision decide(node_id from, node_id to);

  // True if no network rule exists (fast path for senders).
  bool empty() const;
  // True if no disk rule exists (fast path for the storage layer).
  bool disk_empty() const { return disk_empty_.load(std::memory_order_relaxed); }

  // Decides the fate of one file operation on `path`. Only segment files (`*.log`) outside
  // the raft directory (__cluster_metadata) are faulted.
  disk_decision decide_disk(disk_op op, const std::string& path);

  // The active rules with their ids.
  std::vector<std::pair<uint64_t, fault_rule>> rules() const;

  // A request/response exchange between two nodes fails if the link is cut either way
  // (the request or its answer is lost). Delay and duplication do not apply to requests.
  bool exchange_lost(node_id from, node_id to);

private:
  mutable std::mutex mtx_;
  std::mt19937_64 rng_;
  uint64_t next_id_ = 1;
  std::vector<std::pair<uint64_t, fault_rule>> rules_;
  bool empty_ = true;  // mirrors rules_.empty() for the lock-free-ish fast path
  std::atomic<bool> disk_empty_{true};  // no rule with is_disk()

  void update_flags();  // Requires: mtx_ held
};

} // namespace cafka
