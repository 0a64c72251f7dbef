#include "runtime/client/record_accumulator.hpp"

#include <cassert>

#include "runtime/client/sticky_partitioner.hpp"

namespace cafka {

record_accumulator::record_accumulator(size_t batch_size, int64_t linger_ms,
                                       size_t buffer_memory, compression_codec compression)
  : batch_size_(batch_size), linger_ms_(linger_ms), buffer_memory_(buffer_memory),
    compression_(compression) {
  // nop
}

partition_id record_accumulator::sticky_partition(const std::string& topic,
                                                   int32_t num_partitions) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = sticky_.find(topic);
  if (i == sticky_.end()) {
    partition_id first{static_cast<int32_t>(sticky_.size()) % num_partitions};
    i = sticky_.emplace(topic, first).first;
  }
  static const std::vector<partition_id> unknown;
  auto a = available_.find(topic);
  i->second = choose_sticky_partition(i->second, num_partitions,
                                      a == available_.end() ? unknown : a->second);
  return i->second;
}

void record_accumulator::set_available(partition_availability available) {
  std::lock_guard<std::mutex> guard{mtx_};
  available_ = std::move(available);
}

append_result record_accumulator::append(const topic_partition& tp, int64_t timestamp_ms,
                                         std::optional<std::string_view> key,
                                         std::optional<std::string_view> value,
                                         const std::vector<record_header>& headers,
                                         delivery_callback cb,
                                         std::optional<std::chrono::milliseconds> max_block,
                                         uint64_t opaque) {
  std::unique_lock<std::mutex> guard{mtx_};
  if (max_block) {
    ++waiting_appends_;
    bool room = space_.wait_for(
      guard, *max_block, [this] { return refuses_appends_ || used_bytes_ < buffer_memory_; });
    --waiting_appends_;
    if (!room)
      return {append_status::timed_out, false};
  }
  if (refuses_appends_)
    return {append_status::closed, false};
  bool wake = false;
  auto key_size = key ? key->size() : 0;
  auto value_size = value ? value->size() : 0;
  auto i = open_.find(tp);
  if (i != open_.end()
      && i->second.builder.size_with(key_size, value_size) > batch_size_) {
    // Full: close it; the next drain sends it at once.
    closed_.emplace_back(tp, std::move(i->second));
    open_.erase(i);
    i = open_.end();
    auto s = sticky_.find(tp.topic);
    if (s != sticky_.end() && s->second == tp.partition)
      ++s->second;
    wake = true;
  }
  if (i == open_.end()) {
    i = open_.emplace(tp, open_batch{}).first;
    i->second.created_ms = timestamp_ms;
    wake = true;
  }
  auto& ob = i->second;
  auto before = ob.builder.empty() ? size_t{0} : ob.builder.size_bytes(); // charge the header too
  ob.builder.append(timestamp_ms, key, value, headers);
  ++open_records_;
  ob.callbacks.push_back(std::move(cb));
  ob.opaques.push_back(opaque);
  used_bytes_ += ob.builder.size_bytes() - before;
  return {append_status::appended, wake && !wake_pending_.exchange(true)};
}

append_result record_accumulator::append(const topic_partition& tp, const producer_record& r,
                                         int64_t now_ms, delivery_callback cb,
                                         std::optional<std::chrono::milliseconds> max_block) {
  std::optional<std::string_view> key, value;
  if (r.key)
    key = *r.key;
  if (r.value)
    value = *r.value;
  return append(tp, r.timestamp_ms >= 0 ? r.timestamp_ms : now_ms, key, value, r.headers,
                std::move(cb), max_block, r.opaque);
}

void record_accumulator::close() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    refuses_appends_ = true;
  }
  space_.notify_all();
}

bool record_accumulator::closed() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return refuses_appends_;
}

ready_batch record_accumulator::finish(const topic_partition& tp, open_batch& ob,
                                       int64_t now_ms, const stamp_fn& stamp) {
  ready_batch rb;
  rb.tp = tp;
  rb.record_count = ob.builder.record_count();
  open_records_ -= static_cast<size_t>(rb.record_count);
  if (stamp) {
    rb.stamp = stamp(tp, rb.record_count);
    ob.builder.set_producer(rb.stamp.producer_id, rb.stamp.producer_epoch,
                            rb.stamp.base_sequence);
  }
  rb.bytes = ob.builder.finish();
  rb.callbacks = std::move(ob.callbacks);
  rb.opaques = std::move(ob.opaques);
  rb.drained_ms = now_ms;
  return rb;
}

std::vector<ready_batch> record_accumulator::drain(int64_t now_ms, bool all,
                                                   int64_t& next_deadline_ms,
                                                   const stamp_fn& stamp,
                                                   const drain_filter& may_drain) {
  std::vector<ready_batch> out;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    out = drain_locked(now_ms, all, next_deadline_ms, stamp, may_drain);
  }
  if (compression_ == compression_codec::none)
    return out;
  // used_bytes_ counted each batch uncompressed; release() later gives back its final size.
  size_t saved = 0;
  for (auto& rb : out) {
    auto before = rb.bytes.size();
    if (compress_batch(rb.bytes, compression_))
      saved += before - rb.bytes.size();
  }
  if (saved > 0)
    release(saved);
  return out;
}

std::vector<ready_batch> record_accumulator::drain_locked(int64_t now_ms, bool all,
                                                          int64_t& next_deadline_ms,
                                                          const stamp_fn& stamp,
                                                          const drain_filter& may_drain) {
  std::vector<ready_batch> out;
  // Closed batches are older than any open batch of the same partition.
  for (auto& [tp, ob] : closed_)
    out.push_back(finish(tp, ob, now_ms, stamp));
  closed_.clear();
  next_deadline_ms = -1;
  for (auto i = open_.begin(); i != open_.end();) {
    auto& ob = i->second;
    assert(!ob.builder.empty());
    if (may_drain && !may_drain(i->first)) {
      ++i;
      continue;
    }
    auto deadline = ob.created_ms + linger_ms_;
    if (all || now_ms >= deadline) {
      out.push_back(finish(i->first, ob, now_ms, stamp));
      auto s = sticky_.find(i->first.topic);
      if (s != sticky_.end() && s->second == i->first.partition)
        ++s->second;
      i = open_.erase(i);
    } else {
      if (next_deadline_ms < 0 || deadline < next_deadline_ms)
        next_deadline_ms = deadline;
      ++i;
    }
  }
  return out;
}

std::vector<ready_batch> record_accumulator::abort_all(int64_t now_ms) {
  int64_t ignored = -1;
  std::lock_guard<std::mutex> guard{mtx_};
  return drain_locked(now_ms, true, ignored, {}, {}); // failed, never sent: not compressed
}

void record_accumulator::release(size_t bytes) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    used_bytes_ = bytes > used_bytes_ ? 0 : used_bytes_ - bytes;
  }
  space_.notify_all();
}

size_t record_accumulator::waiting_appends() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return waiting_appends_;
}

size_t record_accumulator::open_records() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return open_records_;
}

} // namespace cafka
