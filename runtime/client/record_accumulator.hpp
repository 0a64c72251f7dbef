// The producer's record accumulator (Kafka's RecordAccumulator): per-partition batches that
// user threads append to and the producer actor drains when full or when linger.ms passed.
// Thread-safe: appends come from any thread, drain/complete from the producer actor.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/client/client_types.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka {

// The producer fields of an idempotent producer's batch (record_batch.hpp): its producer id,
// the epoch, and the sequence number of its first record.
struct producer_stamp {
  cafka::producer_id producer_id = no_producer_id;
  cafka::producer_epoch producer_epoch = no_producer_epoch;
  int32_t base_sequence = -1;
};

// A finished batch on its way to the partition leader.
struct ready_batch {
  topic_partition tp;
  std::string bytes;         // compressed with the accumulator's codec if that made it smaller
  int32_t record_count = 0;
  std::vector<delivery_callback> callbacks;  // one per record, in offset order
  std::vector<uint64_t> opaques;             // one per record: its report's opaque
  int32_t attempts = 0;
  producer_stamp stamp;      // as written in bytes; no_producer_id: not idempotent
  int64_t drained_ms = 0;    // when drain() closed it; delivery.timeout.ms counts from here
  // Bookkeeping of the partition's send_queue.
  uint64_t number = 0;         // creation order within the partition
  bool maybe_written = false;  // idempotent: sent, and no answer proved it absent from the log
};

enum class append_status { appended, timed_out, closed };

struct append_result {
  append_status status = append_status::appended;
  bool wake = false;  // appended, and the producer actor must be woken
};

class record_accumulator {
public:
  // Batches fill up to batch_size bytes before compression; drain() compresses each batch
  // with `compression` (compression.type) as it finishes it.
  record_accumulator(size_t batch_size, int64_t linger_ms, size_t buffer_memory,
                     compression_codec compression = compression_codec::none);

  // Appends one record to tp's open batch; wake: the producer actor must be woken (a batch
  // became full, or a batch was opened and no wake is pending). While buffer.memory is used
  // up, waits at most max_block (user threads only, never actors) and then appends nothing
  // (timed_out); without max_block it appends at once. After close(): closed, nothing
  // appended, also for an append waiting at that moment. opaque goes into the record's
  // report (ready_batch::opaques).
  append_result append(const topic_partition& tp, int64_t timestamp_ms,
                       std::optional<std::string_view> key,
                       std::optional<std::string_view> value,
                       const std::vector<record_header>& headers, delivery_callback cb,
                       std::optional<std::chrono::milliseconds> max_block,
                       uint64_t opaque = 0);

  // append() of r (its key, value, headers and opaque) to tp, stamped with r.timestamp_ms if
  // set, else now_ms.
  append_result append(const topic_partition& tp, const producer_record& r, int64_t now_ms,
                       delivery_callback cb,
                       std::optional<std::chrono::milliseconds> max_block);

  // Refuses every later append. What was appended before stays until drained.
  void close();
  bool closed() const;

  // The partition for a keyless record of `topic`: sticky until its batch is closed, then
  // the next partition round-robin; only partitions with a leader while any has one
  // (choose_sticky_partition). Requires: num_partitions > 0.
  partition_id sticky_partition(const std::string& topic, int32_t num_partitions);

  // The partitions with a leader, per topic, from the producer actor's latest metadata.
  // Replaces what was set before; a topic not in it counts as all partitions available.
  using partition_availability = std::map<std::string, std::vector<partition_id>>;
  void set_available(partition_availability available);

  // The producer fields for a batch of `record_count` records of tp, asked in creation order.
  using stamp_fn = std::function<producer_stamp(const topic_partition&, int32_t record_count)>;

  // Whether a partition's open batch may be closed now (its sender can take it).
  using drain_filter = std::function<bool(const topic_partition&)>;

  // Closes and returns every batch that is full, whose linger expired, or any when `all`,
  // oldest first; with `may_drain`, an open batch only if may_drain(tp): the others stay
  // open, keep taking records, and set no deadline (the caller drains again when their
  // sender can take more). next_deadline_ms: when the oldest remaining batch's linger
  // expires (-1: none). With `stamp` (idempotent producer), each batch gets its producer
  // fields before it is finished (they are under the CRC), in the order the batches were
  // created. Compresses the batches outside the lock (appends go on meanwhile) and gives
  // back the buffer memory compression saved.
  std::vector<ready_batch> drain(int64_t now_ms, bool all, int64_t& next_deadline_ms,
                                 const stamp_fn& stamp = {}, const drain_filter& may_drain = {});

  // Closes and returns every batch, unstamped, so that its records can be failed (the
  // producer got no producer id, or its config is invalid).
  std::vector<ready_batch> abort_all(int64_t now_ms);

  // Gives back buffer memory of a completed batch and wakes blocked appenders.
  void release(size_t bytes);

  // Clears the pending-wake flag; returns whether it was set.
  bool take_wake() { return wake_pending_.exchange(false); }

  // Records appended but not yet drained.
  size_t open_records() const;

  // Appends waiting for buffer memory right now (a test's evidence that one is blocked).
  size_t waiting_appends() const;

private:
  struct open_batch {
    batch_builder builder;
    std::vector<delivery_callback> callbacks;
    std::vector<uint64_t> opaques;
    int64_t created_ms = 0;
  };

  // Finishes one closed batch (stamped if `stamp`), uncompressed. Requires: mtx_ held.
  ready_batch finish(const topic_partition& tp, open_batch& ob, int64_t now_ms,
                     const stamp_fn& stamp);

  // drain() before compression. Requires: mtx_ held.
  std::vector<ready_batch> drain_locked(int64_t now_ms, bool all, int64_t& next_deadline_ms,
                                        const stamp_fn& stamp, const drain_filter& may_drain);

  size_t batch_size_;
  int64_t linger_ms_;
  size_t buffer_memory_;
  compression_codec compression_;
  mutable std::mutex mtx_;
  std::condition_variable space_;
  std::map<topic_partition, open_batch> open_;  // Invariant: no entry holds an empty batch
  // Full batches waiting for the next drain, oldest first. Still builders: an idempotent
  // producer's fields are only known when the producer actor drains them.
  std::vector<std::pair<topic_partition, open_batch>> closed_;
  std::map<std::string, partition_id> sticky_;
  partition_availability available_;
  size_t used_bytes_ = 0;                       // open + in-flight batch bytes
  size_t open_records_ = 0;                     // Invariant: the records in open_ and closed_
  bool refuses_appends_ = false;
  size_t waiting_appends_ = 0;                  // appends inside space_.wait_for
  std::atomic<bool> wake_pending_{false};
};

} // namespace cafka
