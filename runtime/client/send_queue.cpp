#include "runtime/client/send_queue.hpp"

#include <algorithm>
#include <cassert>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka {

bool retriable_produce_error(const caf::error& err) {
  switch (errc_of(err)) {
    case errc::request_timed_out:
    case errc::not_leader_for_partition:
    case errc::broker_not_available:
    case errc::unknown_topic_or_partition: // metadata may lag a create
    case errc::shutting_down:
    case errc::broker_fenced:
    case errc::not_controller:
    case errc::not_enough_replicas:               // Kafka retries these too: the ISR may
    case errc::not_enough_replicas_after_append:  // grow back (and idempotence dedups)
    case errc::storage_error:  // Kafka's KAFKA_STORAGE_ERROR: the leader's disk may recover
      return true;
    case errc::none:
      return err.category() != errc_category; // CAF-level (timeouts, lost peers)
    default:
      return false;
  }
}

producer_stamp send_queue::next_stamp(int32_t records) {
  assert(cfg_.idempotent && records > 0);
  producer_stamp s{cfg_.producer_id, epoch_, next_seq_};
  next_seq_ = add_sequence(next_seq_, records);
  return s;
}

void send_queue::push(ready_batch rb) {
  // Requires (idempotent): stamps come from next_stamp() in push order.
  assert(!cfg_.idempotent || rb.stamp.producer_id == cfg_.producer_id);
  rb.number = next_number_++;
  rb.maybe_written = false;
  waiting_.push_back(std::move(rb));
}

bool send_queue::older_unacked(uint64_t number) const {
  if (!in_flight_.empty() && *in_flight_.begin() < number)
    return true;
  return !waiting_.empty() && waiting_.front().number < number;
}

size_t send_queue::next_index(int64_t now_ms) {
  const size_t none = waiting_.size();
  if (waiting_.empty() || now_ms < backoff_until_
      || in_flight() >= std::max(1, cfg_.max_in_flight))
    return none;
  if (!cfg_.idempotent)
    return 0;
  if (resend_) {
    // A batch failed: the later ones in flight fail too (the leader refuses the gap).
    // Resend from the oldest once all of them are back.
    if (!in_flight_.empty())
      return none;
    resend_ = false;
  }
  if (broken_) {
    if (!in_flight_.empty())
      return none;
    // Batches that may be in the log keep their bytes (a retry is then a duplicate); send
    // them one at a time until each is acknowledged, refused or expired.
    for (size_t i = 0; i < waiting_.size(); ++i)
      if (waiting_[i].maybe_written)
        return i;
    bump_epoch();
  }
  // The window: a retry must be among the leader's last producer_batch_window (5) batches.
  auto oldest = waiting_.front().number;
  if (!in_flight_.empty())
    oldest = std::min(oldest, *in_flight_.begin());
  if (waiting_.front().number - oldest >= static_cast<uint64_t>(cfg_.max_in_flight))
    return none;
  return 0;
}

bool send_queue::ready(int64_t now_ms) {
  return next_index(now_ms) < waiting_.size();
}

ready_batch send_queue::pop(int64_t now_ms) {
  auto i = next_index(now_ms);
  assert(i < waiting_.size());
  auto rb = std::move(waiting_[i]);
  waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(i));
  in_flight_.insert(rb.number);
  ++rb.attempts;
  if (cfg_.idempotent)
    rb.maybe_written = true;
  return rb;
}

void send_queue::requeue(ready_batch rb) {
  if (!cfg_.idempotent) {
    waiting_.push_front(std::move(rb));
    return;
  }
  auto pos = std::upper_bound(waiting_.begin(), waiting_.end(), rb.number,
                              [](uint64_t n, const ready_batch& x) { return n < x.number; });
  waiting_.insert(pos, std::move(rb));
}

send_queue::result send_queue::on_result(ready_batch& rb, const caf::error& err,
                                         int64_t now_ms) {
  auto erased = in_flight_.erase(rb.number);
  assert(erased == 1);
  static_cast<void>(erased);
  if (!err)
    return {verdict::done, false};
  bool retry = false;
  bool in_time = now_ms < rb.drained_ms + cfg_.delivery_timeout_ms;
  if (!cfg_.idempotent) {
    retry = retriable_produce_error(err) && rb.attempts <= cfg_.retries && in_time;
  } else {
    if (errc_of(err) == errc::out_of_order_sequence
        || errc_of(err) == errc::unknown_producer_id) {
      // The leader has not written it (a retry of any of its last 5 batches would be a
      // duplicate). If an older batch is unacknowledged, that one is missing: resend in
      // order. If not, the leader does not continue this sequence (it forgot the producer,
      // or lost acknowledged batches): resend it in a new epoch from sequence 0.
      rb.maybe_written = false;
      if (!older_unacked(rb.number))
        lost_sequence();
      retry = in_time;
    } else {
      retry = in_time && retriable_produce_error(err);
    }
    if (retry)
      resend_ = true;
    else
      lost_sequence();
  }
  if (!retry)
    return {verdict::failed, false};
  requeue(std::move(rb));
  bool started = false;
  if (backoff_until_ <= now_ms) {
    backoff_until_ = now_ms + cfg_.retry_backoff_ms;
    started = true;
  }
  return {verdict::retry, started};
}

std::vector<ready_batch> send_queue::expire(int64_t now_ms) {
  std::vector<ready_batch> out;
  for (auto i = waiting_.begin(); i != waiting_.end();) {
    if (now_ms >= i->drained_ms + cfg_.delivery_timeout_ms) {
      out.push_back(std::move(*i));
      i = waiting_.erase(i);
    } else {
      ++i;
    }
  }
  if (cfg_.idempotent && !out.empty())
    lost_sequence();
  return out;
}

std::vector<ready_batch> send_queue::take_waiting() {
  std::vector<ready_batch> out;
  for (auto& rb : waiting_)
    out.push_back(std::move(rb));
  waiting_.clear();
  if (cfg_.idempotent && !out.empty())
    lost_sequence();
  return out;
}

void send_queue::lost_sequence() {
  broken_ = true;
}

void send_queue::bump_epoch() {
  // Requires: nothing in flight and no waiting batch that may be in the log: every batch
  // left is one no leader has written, so new bytes cannot duplicate anything.
  assert(in_flight_.empty());
  // At max_producer_epoch the epoch stays: the leader refuses the restamped batches as out
  // of order and they fail by delivery timeout (Kafka would get a new producer id).
  if (epoch_ < max_producer_epoch)
    ++epoch_;
  int32_t seq = 0;
  for (auto& rb : waiting_) {
    assert(!rb.maybe_written);
    rb.stamp = producer_stamp{cfg_.producer_id, epoch_, seq};
    restamp_producer(rb.bytes.data(), rb.bytes.size(), rb.stamp.producer_id,
                     rb.stamp.producer_epoch, rb.stamp.base_sequence);
    seq = add_sequence(seq, rb.record_count);
  }
  next_seq_ = seq;
  broken_ = false;
}

} // namespace cafka
