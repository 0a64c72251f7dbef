// One partition's batches from drain to delivery report (Kafka's per-partition sender state):
// send order, the in-flight limit, retry backoff, and for an idempotent producer the sequence
// numbers, the in-order resend after a failure and the epoch bump after a lost sequence.
// Owned by the producer actor, one per partition it sends to; not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <vector>

#include <caf/error.hpp>

#include "runtime/client/record_accumulator.hpp"

namespace cafka {

// Errors a produce (or init_pid) request may succeed after, with fresh metadata: not leader,
// broker not available, unknown partition (metadata may lag a create), shutting down,
// request timed out, broker fenced, not controller, and any CAF-level error (a timeout, a
// lost peer).
bool retriable_produce_error(const caf::error& err);

struct send_queue_config {
  bool idempotent = false;
  cafka::producer_id producer_id = no_producer_id;  // idempotent: the id every batch carries
  int32_t max_in_flight = 5;             // max.in.flight.requests.per.connection
  int32_t retries = 5;                   // not idempotent: at most this many retries
  int64_t retry_backoff_ms = 100;        // retry.backoff.ms
  int64_t delivery_timeout_ms = 120000;  // retriable errors are retried until then
};

class send_queue {
public:
  send_queue() = default;
  explicit send_queue(send_queue_config cfg) : cfg_(cfg) {}

  // Idempotent: the producer fields of the next batch of `records` records of this
  // partition. drain() asks in creation order, so sequences follow that order.
  producer_stamp next_stamp(int32_t records);

  // A drained batch; it is sent after every batch pushed before it.
  void push(ready_batch rb);

  // Whether a batch may be sent now: one is waiting, fewer than max_in_flight are in flight,
  // no backoff runs, and for an idempotent producer: no resend waits for in-flight requests
  // to finish, and the batch is fewer than max_in_flight batches after the oldest
  // unacknowledged one (so a retry is always among the leader's last 5 batches). May bump the
  // epoch (see on_result) when its time has come.
  bool ready(int64_t now_ms);

  // No batch waits and fewer than max_in_flight are in flight: a batch drained now goes out
  // at once. Otherwise the producer leaves the partition's open batch in the accumulator,
  // where it takes the records that come meanwhile (as Kafka's does while its connection
  // has max.in.flight requests out), instead of queueing one small batch per drain.
  bool takes_more() const {
    return waiting_.empty() && in_flight_.size() < static_cast<size_t>(cfg_.max_in_flight);
  }

  // The batch to send, counted in flight and as an attempt. Requires: ready(now_ms).
  ready_batch pop(int64_t now_ms);

  enum class verdict {
    done,   // report success
    failed, // report the error
    retry,  // the queue took the batch back (rb is moved from)
  };
  struct result {
    verdict kind = verdict::done;
    bool backoff_started = false;  // retry: wake up after retry_backoff_ms, refresh metadata
  };

  // The answer to a batch pop() returned; err empty is success.
  // Not idempotent: a retriable error is retried at the front of the queue, at most
  // `retries` times and until the delivery timeout. Idempotent: a retriable error is
  // retried until the delivery timeout; nothing is sent until every in-flight request of the partition has finished, then the
  // batches go again from the oldest, in sequence order, with their original bytes.
  // out_of_order_sequence (or unknown_producer_id) proves the leader has not written the batch: with an older batch
  // of the partition unacknowledged it is resent in order; for the oldest batch (the leader
  // forgot the producer, or lost acknowledged batches) it is a lost sequence, like a batch
  // that fails for good (a non-retriable error, the delivery timeout). After a lost
  // sequence, once no batch that may be in the log is unresolved (those are resent with
  // their bytes first, one at a time), the queue bumps its producer epoch and restamps the
  // waiting batches from sequence 0: the leader accepts a new epoch at sequence 0, and
  // restamping only batches no leader wrote cannot create a duplicate.
  result on_result(ready_batch& rb, const caf::error& err, int64_t now_ms);

  // Takes the waiting batches whose delivery timeout has passed (drained that long ago).
  std::vector<ready_batch> expire(int64_t now_ms);

  // Takes every waiting batch (the partition is gone), to fail them.
  std::vector<ready_batch> take_waiting();

  bool idle() const { return waiting_.empty() && in_flight_.empty(); }
  size_t waiting() const { return waiting_.size(); }
  int32_t in_flight() const { return static_cast<int32_t>(in_flight_.size()); }
  int64_t backoff_until() const { return backoff_until_; }
  producer_epoch epoch() const { return epoch_; }

private:
  // Index in waiting_ of the batch to send next, or waiting_.size() if none may go.
  size_t next_index(int64_t now_ms);
  // An older batch than `number` is waiting or in flight.
  bool older_unacked(uint64_t number) const;
  // Puts a batch back in its place (idempotent: by number; otherwise at the front).
  void requeue(ready_batch rb);
  // A sequence was lost: bumps the epoch once nothing sent may still land in the log.
  void lost_sequence();
  void bump_epoch();

  send_queue_config cfg_;
  std::deque<ready_batch> waiting_;  // Invariant (idempotent): sorted by number
  std::set<uint64_t> in_flight_;     // numbers of the batches pop() returned, not answered
  uint64_t next_number_ = 0;
  int64_t backoff_until_ = 0;
  bool resend_ = false;  // idempotent: a batch failed; send nothing until in_flight_ is empty
  bool broken_ = false;  // idempotent: a sequence was lost; bump the epoch when it is safe
  producer_epoch epoch_{0};
  int32_t next_seq_ = 0;
};

} // namespace cafka
