// A storage::env that applies a node's disk fault rules to the files of another env (the real
// disk): every write and fsync first asks the node's fault_table (decide_disk). Built and
// owned by the node supervisor, shared by the node's broker and replicas; thread-safe (the
// table locks, the counters are atomic). Contract: docs/storage-env.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/chaos/fault_table.hpp"
#include "runtime/storage/env.hpp"

namespace cafka {

// What a faulted file operation meets:
// - write_error: a write (write_at, append) writes its first half, then fails with ENOSPC
//   (a disk that fills up mid-write leaves a torn tail);
// - fsync_error: an fsync (file or mapping) fails with EIO and syncs nothing;
// - slow: a write or fsync first stalls for the rule's delay plus up to its jitter (rules add
//   up), in the caller's thread: a replica actor's thread blocks for that long. Each stall is
//   capped at max_stall (a warning says so), so a rule can slow a node down but never hang it;
//   removing the rule (heal, or its duration ending) ends stalls from the next operation on.
// Every other operation (open, read, truncate, rename, remove, listing, directory fsync) and
// every file the table does not fault (see fault_table::decide_disk) goes straight through.
class faulty_env final : public storage::env {
public:
  using sleeper = std::function<void(std::chrono::milliseconds)>;
  static constexpr std::chrono::milliseconds default_max_stall{10000};

  // `sleep` performs stalls (std::this_thread::sleep_for if empty; tests pass a recorder).
  // Requires: base and faults not null; max_stall >= 0.
  faulty_env(std::shared_ptr<storage::env> base, std::shared_ptr<fault_table> faults,
             std::chrono::milliseconds max_stall = default_max_stall, sleeper sleep = {});

  caf::expected<std::unique_ptr<storage::file>> open(const std::string& path,
                                                     storage::open_mode mode) override;
  caf::error rename(const std::string& from, const std::string& to) override;
  caf::error remove(const std::string& path) override;
  caf::error remove_all(const std::string& dir) override;
  caf::expected<bool> exists(const std::string& path) override;
  caf::error create_dirs(const std::string& dir) override;
  caf::expected<std::vector<storage::dir_entry>> list_dir(const std::string& dir) override;
  caf::error sync_dir(const std::string& dir) override;

  // What this env injected so far.
  struct counts {
    uint64_t errors = 0;     // failed writes and fsyncs
    uint64_t stalls = 0;     // stalled operations
    int64_t stalled_ms = 0;  // their stalls, summed (after the cap)
  };
  counts injected() const;

  // The errno a write or fsync on `path` fails with (0: none), after stalling it. For the
  // env's files; public so that they can reach it.
  int meet(disk_op op, const std::string& path);

private:
  std::shared_ptr<storage::env> base_;
  std::shared_ptr<fault_table> faults_;
  std::chrono::milliseconds max_stall_;
  sleeper sleep_;
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> stalls_{0};
  std::atomic<int64_t> stalled_ms_{0};
};

} // namespace cafka
