// The producer's record accumulator (Kafka's RecordAccumulator): per-partition batches that
// user threads append to and the producer actor drains when full or when linger.ms passed.
// Thread-safe: appends come from any thread, drain/complete from the producer actor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/client/client_types.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka {

// A finished batch on its way to the partition leader.
struct ready_batch {
  topic_partition tp;
  std::string bytes;
  int32_t record_count = 0;
  std::vector<delivery_callback> callbacks;  // one per record, in offset order
  int32_t attempts = 0;
};

class record_accumulator {
public:
  record_accumulator(size_t batch_size, int64_t linger_ms, size_t buffer_memory);

  // Appends one record to tp's open batch. Returns true when the producer actor must be
  // woken (a batch became full, or a batch was opened and no wake is pending).
  // block_on_full: wait while buffer.memory is used up (user threads only, never actors).
  bool append(const topic_partition& tp, int64_t timestamp_ms,
              std::optional<std::string_view> key, std::optional<std::string_view> value,
              const std::vector<record_header>& headers, delivery_callback cb,
              bool block_on_full);

  // The partition for a keyless record of `topic`: sticky until its batch is closed, then
  // the next partition round-robin.
  int32_t sticky_partition(const std::string& topic, int32_t num_partitions);

  // Closes and returns every batch that is full, whose linger expired, or any when `all`.
  // next_deadline_ms: when the oldest remaining batch's linger expires (-1: none left).
  std::vector<ready_batch> drain(int64_t now_ms, bool all, int64_t& next_deadline_ms);

  // Gives back buffer memory of a completed batch and wakes blocked appenders.
  void release(size_t bytes);

  // Clears the pending-wake flag; returns whether it was set.
  bool take_wake() { return wake_pending_.exchange(false); }

  // Records appended but not yet drained.
  size_t open_records() const;

private:
  struct open_batch {
    batch_builder builder;
    std::vector<delivery_callback> callbacks;
    int64_t created_ms = 0;
  };

  size_t batch_size_;
  int64_t linger_ms_;
  size_t buffer_memory_;
  mutable std::mutex mtx_;
  std::condition_variable space_;
  std::map<topic_partition, open_batch> open_;  // Invariant: no entry holds an empty batch
  std::vector<ready_batch> closed_;             // full batches waiting for the next drain
  std::map<std::string, int32_t> sticky_;
  size_t used_bytes_ = 0;                       // open + in-flight batch bytes
  std::atomic<bool> wake_pending_{false};
};

} // namespace cafka
