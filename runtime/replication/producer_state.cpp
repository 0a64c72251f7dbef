#include "runtime/replication/producer_state.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

#include "runtime/base/durable_file.hpp"
#include "runtime/base/durable_reader.hpp"
#include "runtime/base/durable_writer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/wire.hpp"
#include "runtime/storage/env.hpp"
#include "runtime/storage/partition_log.hpp"

namespace cafka {

namespace {

// The durable frame's version (docs/partition-checkpoints-format.md).
constexpr int16_t snapshot_version = 1;
constexpr size_t snapshot_body_head_size = 8 + 4;          // next_offset, entry count
constexpr size_t snapshot_entry_head_size = 8 + 2 + 8 + 4; // id, epoch, timestamp, count
constexpr size_t snapshot_batch_size = 4 + 4 + 8 + 8 + 8;

caf::error corrupt(std::string what) {
  return make_error(errc::corrupt_message, std::string{producer_snapshot_file} + ": " + what);
}

} // namespace

int32_t last_sequence(const batch_header& h) {
  return add_sequence(h.base_sequence, std::max(0, h.last_offset_delta));
}

caf::expected<check_result> producer_state::check(const batch_header& h) const {
  if (h.producer_id == no_producer_id)
    return check_result{};
  if (h.producer_id < producer_id{0} || h.producer_epoch < producer_epoch{0}
      || h.base_sequence < 0)
    return make_error(errc::invalid_request,
                      "idempotent batch with a negative producer id, epoch or sequence");
  if (h.record_count <= 0 || h.last_offset_delta < 0)
    return make_error(errc::invalid_request, "idempotent batch without records");
  auto i = entries_.find(h.producer_id);
  if (i == entries_.end()) {
    // A new producer (or one this table forgot: expired, truncated away, evicted by the
    // cap) starts at 0. A producer that resumes later gets unknown_producer_id for its
    // oldest batch (Kafka's answer), which proves the batch is not here, and restamps it in
    // a new epoch at sequence 0.
    if (h.base_sequence != 0)
      return make_error(errc::unknown_producer_id,
                        "unknown producer " + to_string(h.producer_id)
                          + " must start at sequence 0, got "
                          + std::to_string(h.base_sequence));
    return check_result{};
  }
  auto& e = i->second;
  if (h.producer_epoch < e.epoch)
    return make_error(errc::invalid_producer_epoch,
                      "producer " + to_string(h.producer_id) + " epoch "
                        + to_string(h.producer_epoch) + " is older than "
                        + to_string(e.epoch));
  if (h.producer_epoch > e.epoch) {
    if (h.base_sequence != 0)
      return make_error(errc::out_of_order_sequence,
                        "producer " + to_string(h.producer_id) + ": new epoch "
                          + to_string(h.producer_epoch) + " must start at sequence 0, got "
                          + std::to_string(h.base_sequence));
    return check_result{};
  }
  auto last_seq = last_sequence(h);
  for (auto& b : e.batches)
    if (b.first_seq == h.base_sequence && b.last_seq == last_seq)
      return check_result{check_result::duplicate, b.base_offset, b.last_offset, b.timestamp};
  auto expected = add_sequence(e.last().last_seq, 1);
  if (h.base_sequence != expected)
    return make_error(errc::out_of_order_sequence,
                      "producer " + to_string(h.producer_id) + ": expected sequence "
                        + std::to_string(expected) + ", got "
                        + std::to_string(h.base_sequence));
  return check_result{};
}

bool producer_state::on_append(const batch_header& h) {
  if (h.base() < next_offset_)
    return false; // already in the table (replay overlapping a snapshot)
  if (h.last_offset_delta < 0 || h.record_count <= 0)
    return false; // claims no offsets: the log never stores it
  next_offset_ = h.next_offset();
  if (h.producer_id < producer_id{0} || h.base_sequence < 0)
    return true;
  auto& e = entries_[h.producer_id];
  if (!e.batches.empty())
    by_last_write_.erase(e.last().last_offset);
  if (e.batches.empty() || e.epoch != h.producer_epoch) {
    // A new producer, or a new epoch (also an older one: the log is the truth on replicas).
    e.epoch = h.producer_epoch;
    e.batches.clear();
  }
  producer_batch b{h.base_sequence, last_sequence(h), h.base(),
                   h.last_offset(), h.max_timestamp};
  // Invariant: batches of an entry are in offset order.
  assert(e.batches.empty() || e.batches.back().last_offset < b.base_offset);
  e.batches.push_back(b);
  if (e.batches.size() > producer_batch_window)
    e.batches.pop_front();
  e.last_timestamp = std::max(e.last_timestamp, h.max_timestamp);
  assert(!e.batches.empty() && e.batches.size() <= producer_batch_window);
  by_last_write_.emplace(b.last_offset, h.producer_id);
  evict_over_cap(); // never this producer: its batch is the newest
  return true;
}

caf::expected<size_t> producer_state::replay(std::string_view batches) {
  size_t pos = 0;
  size_t applied = 0;
  while (batches.size() - pos >= batch_log_overhead) {
    auto len = static_cast<int32_t>(wire::load_be32(batches.data() + pos + 8));
    if (len < static_cast<int32_t>(batch_header_size - batch_log_overhead))
      return make_error(errc::corrupt_message,
                        "replay: batch length " + std::to_string(len)
                          + " below the header size at position " + std::to_string(pos));
    auto total = batch_log_overhead + static_cast<size_t>(len);
    if (total > batches.size() - pos)
      break; // trailing partial batch
    batch_header h;
    read_batch_header(batches.data() + pos, total, h); // total >= batch_header_size
    if (on_append(h))
      ++applied;
    pos += total;
  }
  return applied;
}

void producer_state::truncate(log_offset end) {
  for (auto i = entries_.begin(); i != entries_.end();) {
    auto& bs = i->second.batches;
    if (bs.back().last_offset < end) {
      ++i;
      continue;
    }
    by_last_write_.erase(bs.back().last_offset);
    while (!bs.empty() && bs.back().last_offset >= end)
      bs.pop_back();
    if (!bs.empty())
      by_last_write_.emplace(bs.back().last_offset, i->first);
    if (bs.empty())
      i = entries_.erase(i);
    else
      ++i;
  }
  if (end < next_offset_)
    next_offset_ = end;
}

size_t producer_state::expire(int64_t now_ms, int64_t expiration_ms) {
  size_t n = 0;
  for (auto i = entries_.begin(); i != entries_.end();) {
    if (now_ms - i->second.last_timestamp > expiration_ms) {
      by_last_write_.erase(i->second.last().last_offset);
      i = entries_.erase(i);
      ++n;
    } else {
      ++i;
    }
  }
  return n;
}

void producer_state::clear() {
  entries_.clear();
  by_last_write_.clear();
  next_offset_ = log_offset{0};
}

void producer_state::set_max_entries(size_t n) {
  assert(n >= 1);
  max_entries_ = std::max<size_t>(n, 1);
  evict_over_cap();
}

void producer_state::evict_over_cap() {
  while (entries_.size() > max_entries_) {
    auto oldest = by_last_write_.begin();
    entries_.erase(oldest->second);
    by_last_write_.erase(oldest);
    ++evictions_;
  }
}

void producer_state::start_at(log_offset offset) {
  // Requires: an empty table (nothing it holds may lie beyond the new start).
  assert(entries_.empty());
  next_offset_ = offset;
}

const producer_entry* producer_state::find(producer_id id) const {
  auto i = entries_.find(id);
  return i == entries_.end() ? nullptr : &i->second;
}

template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, producer_batch> x) {
  io(x.first_seq, x.last_seq, x.base_offset, x.last_offset, x.timestamp);
}

std::string producer_state::serialize() const {
  std::string body;
  size_t n = snapshot_body_head_size;
  for (auto& kv : entries_)
    n += snapshot_entry_head_size + kv.second.batches.size() * snapshot_batch_size;
  body.reserve(n);
  durable::writer w{body};
  w.i64(next_offset_.value);
  w.i32(static_cast<int32_t>(entries_.size()));
  for (auto& [id, e] : entries_) {
    w(id, e.epoch, e.last_timestamp);
    w.i32(static_cast<int32_t>(e.batches.size()));
    for (auto& b : e.batches)
      w(b);
  }
  assert(body.size() == n);
  return durable::seal(snapshot_version, body);
}

caf::expected<producer_state> producer_state::parse(std::string_view bytes) {
  auto f = durable::open_frame(bytes);
  if (!f.complete || f.body.size() < snapshot_body_head_size)
    return corrupt("too short (" + std::to_string(bytes.size()) + " bytes)");
  if (f.version != snapshot_version)
    return corrupt("unknown version " + std::to_string(f.version));
  if (!f.crc_ok)
    return corrupt("CRC32C mismatch");
  durable::reader r{f.body};
  producer_state st;
  r(st.next_offset_);
  auto count = r.i32();
  if (st.next_offset_ < log_offset{0} || count < 0)
    return corrupt("negative offset or entry count");
  producer_id prev_id = no_producer_id;
  for (int32_t i = 0; i < count; ++i) {
    if (r.remaining() < snapshot_entry_head_size)
      return corrupt("entry " + std::to_string(i) + " cut off");
    producer_id id;
    producer_entry e;
    r(id, e.epoch, e.last_timestamp);
    auto batches = r.i32();
    if (id <= prev_id || e.epoch < producer_epoch{0})
      return corrupt("entry " + std::to_string(i) + ": bad producer id or epoch");
    if (batches < 1 || static_cast<size_t>(batches) > producer_batch_window)
      return corrupt("entry " + std::to_string(i) + ": " + std::to_string(batches)
                     + " batches");
    if (r.remaining() < static_cast<size_t>(batches) * snapshot_batch_size)
      return corrupt("entry " + std::to_string(i) + " cut off");
    for (int32_t j = 0; j < batches; ++j) {
      producer_batch b;
      r(b);
      bool ordered = e.batches.empty() || e.batches.back().last_offset < b.base_offset;
      if (b.first_seq < 0 || b.last_seq < 0 || b.base_offset < log_offset{0}
          || b.last_offset < b.base_offset || b.last_offset >= st.next_offset_ || !ordered)
        return corrupt("entry " + std::to_string(i) + ": bad batch " + std::to_string(j));
      e.batches.push_back(b);
    }
    if (!st.by_last_write_.emplace(e.last().last_offset, id).second)
      return corrupt("entry " + std::to_string(i) + ": its last batch is another entry's");
    st.entries_.emplace(id, std::move(e));
    prev_id = id;
  }
  if (r.remaining() != 0)
    return corrupt(std::to_string(r.remaining()) + " bytes of trailing data");
  return st;
}

caf::error save_producer_snapshot(storage::env& disk, const std::string& dir,
                                  const producer_state& st) {
  return disk.replace_file(dir + "/" + producer_snapshot_file, st.serialize());
}

caf::expected<producer_state> load_producer_snapshot(storage::env& disk,
                                                     const std::string& dir) {
  auto bytes = disk.read_file(dir + "/" + producer_snapshot_file);
  if (!bytes)
    return std::move(bytes.error());
  if (!*bytes)
    return producer_state{};
  return producer_state::parse(**bytes);
}

caf::expected<producer_recovery> recover_producer_state(storage::env& disk,
                                                        const std::string& dir,
                                                        const partition_log& log,
                                                        size_t max_entries) {
  producer_recovery rec;
  auto start = log.log_start_offset();
  auto end = log.log_end_offset();
  auto path = dir + "/" + producer_snapshot_file;
  auto loaded = load_producer_snapshot(disk, dir);
  if (!loaded) {
    rec.warning = "ignoring " + path + ": " + describe(loaded.error())
                  + "; rebuilding the producer state from the log start";
  } else if (loaded->next_offset() < start) {
    // Retention deleted batches the snapshot does not cover: entries may be stale. Forget
    // them: a forgotten producer is refused once and resends in a new epoch (check()).
    if (loaded->size() > 0)
      rec.warning = "ignoring " + path + ": its offset " + to_string(loaded->next_offset())
                    + " is before the log start " + to_string(start)
                    + "; rebuilding the producer state from the log start";
  } else {
    rec.state = std::move(*loaded);
    rec.state.set_max_entries(max_entries); // before it can be rewritten below
    if (rec.state.next_offset() > end) {
      // The log lost its tail (cut at open): so does the table. Rewrite the snapshot so the
      // old tail cannot come back once the log grows past its offset again.
      rec.state.truncate(end);
      if (auto err = save_producer_snapshot(disk, dir, rec.state))
        return err;
    }
  }
  if (rec.state.next_offset() < start) {
    rec.state.clear();
    rec.state.start_at(start);
  }
  rec.state.set_max_entries(max_entries);
  auto from = rec.state.next_offset();
  rec.replayed_from = from;
  if (from >= end)
    return rec;
  // The table needs batch headers only: they are read alone, not the records.
  auto err = log.for_each_header(from, [&rec](const batch_header& h) -> caf::error {
    if (rec.state.on_append(h))
      ++rec.batches_replayed;
    return caf::none;
  });
  if (err)
    return err;
  return rec;
}

} // namespace cafka
