// The group core's write path (group_core.hpp): at most one batch in flight to the group's
// __consumer_offsets partition, what goes into the next one, and the replies held until the
// write holding their change is on the ISR. Same context as group_core.
#include "runtime/group/group_core.hpp"

#include <algorithm>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka::group {

std::string encode_batch(const group_write& w, int64_t timestamp_ms) {
  batch_builder b;
  for (auto& [k, v] : w.records)
    b.append(timestamp_ms, k, v ? std::optional<std::string_view>{*v} : std::nullopt);
  return b.finish();
}

size_t group_core::queued_bytes() const {
  size_t n = 0;
  for (auto& [k, v] : queued_)
    n += k.size() + (v ? v->size() : 0) + record_overhead_bytes;
  return n;
}

bool group_core::dirty() const {
  if (mode_ == core_mode::deleting)
    return !queued_.empty();  // the group's record is a tombstone now, never written again
  return !queued_.empty() || encode(group_->snapshot()) != written_group_;
}

void group_core::after_write(reply_id id,
                             std::variant<reply_value, fetch_query, describe_query> what) {
  // Invariant: a reply waits for the write holding the state it reflects: the next one if
  // something changed since the last write was issued, else the last one issued.
  auto needs = dirty() ? issued_ + 1 : issued_;
  waiters_.push_back(waiter{needs, id, std::move(what)});
  if (needs <= written_)
    release_waiters();
  else
    flush();
}

void group_core::persist() {
  if (dirty())
    flush();
}

void group_core::flush() {
  bool writes = mode_ == core_mode::serving || mode_ == core_mode::deleting;
  if (writing_ || !writes || !dirty())
    return;
  group_write w;
  w.records = std::move(queued_);
  queued_.clear();
  in_flight_changes_ = std::move(queued_changes_);
  queued_changes_.clear();
  auto value = encode(group_->snapshot());
  if (value != written_group_ && mode_ != core_mode::deleting)
    w.records.emplace_back(group_key(cfg_.group), value);
  written_group_ = std::move(value);
  writing_ = true;
  ++issued_;
  w.seq = issued_;
  out_.write = std::move(w);
}

void group_core::release_waiters() {
  std::vector<waiter> ready;
  for (auto i = waiters_.begin(); i != waiters_.end();) {
    if (i->needs <= written_) {
      ready.push_back(std::move(*i));
      i = waiters_.erase(i);
    } else {
      ++i;
    }
  }
  for (auto& w : ready) {
    if (auto v = std::get_if<reply_value>(&w.what))
      reply_now(w.id, std::move(*v));
    else if (auto q = std::get_if<fetch_query>(&w.what))
      reply_now(w.id, read_offsets(*q));
    else
      reply_now(w.id, read_description());
  }
}

void group_core::fail_all(const caf::error& err) {
  auto ws = std::move(waiters_);
  waiters_.clear();
  for (auto& w : ws)
    reply_now(w.id, err);
}

void group_core::finish(bool failed) {
  mode_ = failed ? core_mode::failed : core_mode::stopped;
  out_.finished = true;
  out_.failed = failed;
}

void group_core::stop() {
  if (mode_ != core_mode::serving)
    return;
  mode_ = core_mode::stopping;
  if (!writing_) {
    fail_all(make_error(errc::not_coordinator, "the group coordinator is moving"));
    finish(false);
  }
}

void group_core::write_done(write_seq seq) {
  if (!writing_ || seq != issued_)
    return;  // not the write in flight: a driver's stale report
  writing_ = false;
  written_ = seq;
  for (auto& [tp, rec] : in_flight_changes_) {
    if (rec)
      durable_[tp] = std::move(*rec);
    else
      durable_.erase(tp);
  }
  in_flight_changes_.clear();
  release_waiters();
  if (mode_ == core_mode::stopping) {
    fail_all(make_error(errc::not_coordinator, "the group coordinator is moving"));
    finish(false);
    return;
  }
  flush();
  // Deleted: every tombstone is on the ISR and the delete was answered.
  if (mode_ == core_mode::deleting && !writing_) {
    fail_all(make_error(errc::not_coordinator, "group '" + cfg_.group + "' was deleted"));
    finish(false);
  }
}

void group_core::write_failed(write_seq seq, const caf::error& err) {
  if (!writing_ || seq != issued_)
    return;
  writing_ = false;
  out_.notes.push_back({true, "group " + cfg_.group + ": write " + to_string(seq)
                                + " failed: " + cafka::describe(err) + "; the partition is loaded "
                                "again"});
  fail_all(make_error(errc::not_coordinator,
                      "the group coordinator of '" + cfg_.group + "' is moving"));
  finish(true);
}

bool group_core::fits_or_restore(group_state& before) {
  auto size = encode(group_->snapshot()).size();
  if (size <= cfg_.max_group_value_bytes || size <= encode(before.snapshot()).size())
    return true;
  out_.notes.push_back({true, "group " + cfg_.group + ": refused a change that would make its "
                                "record " + std::to_string(size) + " bytes (limit "
                                + std::to_string(cfg_.max_group_value_bytes) + ")"});
  *group_ = std::move(before);
  return false;
}

caf::error group_core::commit_room(size_t bytes) const {
  // The group record may grow before the next write: joins up to max_group_value_bytes,
  // members' confirmations to twice that. Room is kept for the largest it can get.
  auto group_bytes = std::max(encode(group_->snapshot()).size(), 2 * cfg_.max_group_value_bytes);
  auto room = cfg_.max_write_bytes
              - std::min(cfg_.max_write_bytes, batch_overhead_bytes + group_bytes);
  if (bytes > room)
    return make_error(errc::message_too_large,
                      "a commit of " + std::to_string(bytes) + " bytes does not fit one write "
                        "of group '" + cfg_.group + "' (" + std::to_string(room) + " bytes)");
  if (queued_bytes() + bytes > room)
    return make_error(errc::coordinator_load_in_progress,
                      "the next write of group '" + cfg_.group + "' is full: retry");
  return {};
}

} // namespace cafka::group
