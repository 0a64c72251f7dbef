// replica_fsm, the follower side: one fetch in flight to the leader at a time, a fetch right
// after each answer is applied (the leader long-polls), truncation of a divergent tail, a
// restart at the leader's log start, and a copy of the leader's batches with their offsets and
// epochs (the epoch history and the idempotence table follow the copied batches).
#include <algorithm>
#include <cassert>

#include "runtime/base/errc.hpp"
#include "runtime/replication/replica_fsm.hpp"
#include "runtime/replication/replica_sync.hpp"

namespace cafka {

void replica_fsm::send_fetch(int64_t now) {
  if (!following() || fetch_ || write_)
    return;
  fetch_send f;
  f.id = next_fetch_++;
  f.leader = pm_.leader;
  f.req.tp = cfg_.tp;
  f.req.follower = cfg_.self;
  f.req.epoch = pm_.epoch;
  f.req.offset = log_end_;
  auto latest = epochs_.latest();
  f.req.last_fetched_epoch = latest ? latest->epoch : no_leader_epoch;
  f.req.max_bytes = cfg_.replica_fetch_max_bytes;
  f.req.max_wait_ms = cfg_.replica_fetch_wait_max_ms;
  f.req.high_watermark = hw_;
  fetch_ = f.id;
  fetch_deadline_ = now + cfg_.replica_fetch_wait_max_ms + cfg_.fetch_timeout_slack_ms;
  retry_at_.reset();
  out_.fetch = std::move(f);
}

void replica_fsm::retry_fetch_later(int64_t now) {
  retry_at_ = now + cfg_.fetch_retry_backoff_ms;
}

void replica_fsm::leader_reachable(int64_t now) {
  if (following() && !fetch_)
    send_fetch(now);
}

void replica_fsm::fetch_unsent(uint64_t id) {
  if (fetch_ == id)
    fetch_.reset();  // leader_reachable() starts the next one
}

void replica_fsm::fetch_lost(uint64_t id, int64_t now) {
  if (fetch_ == id)
    fetch_deadline_ = std::min(fetch_deadline_, now + cfg_.lost_fetch_retry_ms);
}

void replica_fsm::leader_lost(int64_t now) {
  if (!fetch_)
    return;
  fetch_.reset();  // a late answer is dropped
  retry_fetch_later(now);
}

void replica_fsm::fetch_failed(uint64_t id, const caf::error& err, int64_t now) {
  if (fetch_ != id)
    return;
  fetch_.reset();
  // Leader changes show up here first (fenced/unknown epoch, not leader); the view that
  // follows starts a new fetch loop.
  log(log_level::debug,
      "fetch from leader " + to_string(pm_.leader) + " failed: " + describe(err));
  retry_fetch_later(now);
}

void replica_fsm::fetch_answered(uint64_t id, replica_fetch_response resp, int64_t now) {
  if (fetch_ != id)
    return;
  fetch_.reset();
  bool diverging = resp.diverging_end_offset >= log_offset{0};
  // A divergence answer from a leader whose log starts at this log's end or later: none of
  // this log's records is in the leader's (retention deleted them, perhaps along with the
  // epochs that would match), so there is nothing to reconcile.
  bool nothing_shared = resp.log_start_offset > log_end_
                        || (diverging && resp.log_start_offset >= log_end_
                            && resp.log_start_offset > log_start_);
  if (diverging && !nothing_shared) {
    on_divergence(resp, now);
    return;
  }
  if (resp.records.empty() && nothing_shared) {
    // The leader no longer has the records after this log's end (retention): start over
    // at its log start, as Kafka's truncateFullyAndStartAt.
    log(log_level::warn, "leader " + to_string(pm_.leader) + " starts at offset "
                           + to_string(resp.log_start_offset) + ", holding nothing of this "
                           "log (end " + to_string(log_end_) + "); restarting the log there");
    pending_write w;
    w.what = log_write::kind::restart;
    w.end_before = log_end_;
    w.offset = resp.log_start_offset;
    write_ = w;
    log_write out;
    out.what = log_write::kind::restart;
    out.offset = resp.log_start_offset;
    out_.write = std::move(out);
    return;
  }
  start_copy(resp, now);
}

void replica_fsm::on_divergence(const replica_fetch_response& resp, int64_t now) {
  auto at = truncation_point(epochs_, log_end_, hw_,
                             epoch_end{resp.diverging_epoch, resp.diverging_end_offset});
  if (at >= log_end_) {
    // Nothing left to cut (e.g. the leader's log start is past this log): wait and retry.
    log(log_level::warn, "leader " + to_string(pm_.leader)
                           + " reports a divergence at epoch " + to_string(resp.diverging_epoch)
                           + " offset " + to_string(resp.diverging_end_offset)
                           + " that truncation cannot resolve (log end " + to_string(log_end_)
                           + ", high watermark " + to_string(hw_) + ")");
    retry_fetch_later(now);
    return;
  }
  log(log_level::warn, "truncating the divergent tail [" + to_string(at) + ", "
                         + to_string(log_end_) + ") to follow leader "
                         + to_string(pm_.leader) + " (epoch " + to_string(pm_.epoch)
                         + ")");
  pending_write w;
  w.what = log_write::kind::truncate;
  w.end_before = log_end_;
  w.offset = at;
  write_ = w;
  log_write out;
  out.what = log_write::kind::truncate;
  out.offset = at;
  out_.write = std::move(out);
}

size_t replica_fsm::valid_prefix(std::string_view records, size_t begin, size_t size) {
  auto limits = follower_limits(cfg_);
  size_t pos = begin;
  while (pos < begin + size) {
    batch_header h;
    read_batch_header(records.data() + pos, records.size() - pos, h);
    // As the leader stores it: compaction may have thinned the batch.
    auto one = records.substr(pos, h.total_size());
    auto err = validate_stored_batch_crc(one);
    if (!err)
      err = for_each_stored_record(
        one, [](const record_view&, std::string_view) {}, limits.max_uncompressed);
    if (err) {
      log(log_level::error, "leader " + to_string(pm_.leader) + " sent an invalid batch; "
                              "nothing from it is copied: " + describe(err));
      break;
    }
    pos += h.total_size();
  }
  return pos - begin;
}

void replica_fsm::start_copy(replica_fetch_response& resp, int64_t now) {
  auto plan = plan_follower_copy(resp.records, log_end_);
  if (plan.misaligned)
    log(log_level::warn, "the leader's answer has a batch across offset " + to_string(log_end_)
                           + "; fetching again");
  if (plan.append_bytes == 0) {
    hw_ = std::max(hw_, std::min(resp.high_watermark, log_end_));
    send_fetch(now);
    return;
  }
  // Only the valid batches before the first invalid one are copied.
  auto stop = plan.skip_bytes + valid_prefix(resp.records, plan.skip_bytes, plan.append_bytes);
  if (stop == plan.skip_bytes) {
    retry_fetch_later(now);
    return;
  }
  pending_write w;
  w.what = log_write::kind::replicate;
  w.end_before = log_end_;
  w.leader_hw = resp.high_watermark;
  size_t pos = plan.skip_bytes;
  while (pos < stop) {
    batch_header h;
    read_batch_header(resp.records.data() + pos, resp.records.size() - pos, h);
    // The epoch history follows the batches' stamped epochs (KIP-101); it may name an epoch
    // the log does not reach yet if the copy fails (load trims such entries).
    note_epoch(leader_epoch{h.partition_leader_epoch}, h.base());
    w.batches.push_back(h);
    pos += h.total_size();
  }
  write_ = std::move(w);
  log_write out;
  out.what = log_write::kind::replicate;
  out.begin = plan.skip_bytes;
  out.size = stop - plan.skip_bytes;
  out.records = std::move(resp.records);
  out_.write = std::move(out);
}

void replica_fsm::follower_write_done(const pending_write& w, log_offset log_end,
                                      int64_t now) {
  switch (w.what) {
    case log_write::kind::replicate:
      // Requires: every batch landed.
      assert(w.batches.empty() || log_end == w.batches.back().next_offset());
      // A new leader needs the idempotence table its predecessor built.
      for (auto& h : w.batches)
        producers_.on_append(h);
      log_end_ = log_end;
      hw_ = std::max(hw_, std::min(w.leader_hw, log_end_));
      break;
    case log_write::kind::truncate:
      log_end_ = log_end;
      epochs_.truncate_from_end(log_end_);
      producers_.truncate(log_end_);
      out_.persist_epochs = true;
      out_.persist_producers = true;
      hw_ = std::min(hw_, log_end_);
      break;
    case log_write::kind::restart:
      log_start_ = w.offset;
      log_end_ = log_end;
      epochs_ = leader_epoch_cache{};
      producers_.clear();
      producers_.start_at(w.offset);
      out_.persist_epochs = true;
      out_.persist_producers = true;
      hw_ = w.offset;
      break;
    case log_write::kind::append:
      assert(false);
      break;
  }
  send_fetch(now);
}

void replica_fsm::follower_write_failed(const pending_write& w, const caf::error& err,
                                        log_offset log_end, int64_t now) {
  switch (w.what) {
    case log_write::kind::replicate:
      log(log_level::error, "cannot append a replicated batch: " + describe(err));
      // The batches that landed before the failure count.
      for (auto& h : w.batches)
        if (h.next_offset() <= log_end)
          producers_.on_append(h);
      log_end_ = log_end;
      epochs_.truncate_from_end(log_end_);
      retry_fetch_later(now);
      break;
    case log_write::kind::truncate:
      // The log is as it was; the next answer asks again.
      log(log_level::error, "truncation failed: " + describe(err));
      send_fetch(now);
      break;
    case log_write::kind::restart:
      log(log_level::error, "cannot restart the log: " + describe(err));
      retry_fetch_later(now);
      break;
    case log_write::kind::append:
      assert(false);
      break;
  }
}

} // namespace cafka
