// replica_fsm, the leader side: produce with acks 0/1/all, followers' fetches with epoch
// fencing and the KIP-320 divergence check, the high watermark, and ISR changes proposed to
// the controller. The rules themselves are in isr_rules.hpp.
#include <algorithm>
#include <cassert>

#include "runtime/base/errc.hpp"
#include "runtime/replication/isr_rules.hpp"
#include "runtime/replication/replica_fsm.hpp"
#include "runtime/replication/replica_sync.hpp"

namespace cafka {

namespace {

bool contains(const std::vector<node_id>& xs, node_id x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::string join_ids(const std::vector<node_id>& xs) {
  std::string out;
  for (auto x : xs)
    out += (out.empty() ? "" : ",") + to_string(x);
  return out;
}

} // namespace

// -- produce -----------------------------------------------------------------------------------

caf::error replica_fsm::check_produce(const produce_batch& batch, int16_t acks) const {
  if (!leading())
    return not_leader();
  auto max = static_cast<size_t>(cfg_.message_max_bytes);
  if (batch.size > max)
    return make_error(errc::message_too_large,
                      "record batch of " + std::to_string(batch.size)
                        + " bytes exceeds message.max.bytes (" + std::to_string(max) + ")");
  if (batch.invalid)
    return batch.invalid;
  auto& h = batch.header;
  if (h.is_transactional() || h.is_control())
    return make_error(errc::invalid_request, to_string(cfg_.tp) + ": transactional and "
                                               "control batches are not supported");
  if (acks == -1 && static_cast<int32_t>(pm_.isr.size()) < cfg_.min_insync_replicas)
    return make_error(errc::not_enough_replicas,
                      to_string(cfg_.tp) + ": the ISR has " + std::to_string(pm_.isr.size())
                        + " member(s), fewer than min.insync.replicas ("
                        + std::to_string(cfg_.min_insync_replicas) + "); nothing was written");
  return {};
}

void replica_fsm::produce(uint64_t id, const produce_batch& batch, int16_t acks,
                          int32_t timeout_ms, int64_t now) {
  // Requires: no write pending (the driver reported the last one).
  assert(!write_);
  if (auto err = check_produce(batch, acks)) {
    out_.produce_replies.push_back(produce_reply{id, std::move(err)});
    return;
  }
  // Idempotence: a retried batch already in the log is answered with its first offset.
  auto checked = producers_.check(batch.header);
  if (!checked) {
    out_.produce_replies.push_back(produce_reply{id, std::move(checked.error())});
    return;
  }
  if (checked->kind == check_result::duplicate) {
    produce_response resp{cfg_.tp, checked->base_offset, log_start_,
                          cfg_.log_append_time ? checked->timestamp : -1};
    auto end = checked->last_offset + 1;
    if (acks != -1 || hw_ >= end)
      out_.produce_replies.push_back(produce_reply{id, resp});
    else
      acks_.emplace(id, parked_ack{end, resp, now + std::max(1, timeout_ms)});
    return;
  }
  start_append(id, batch, acks, timeout_ms);
}

void replica_fsm::start_append(uint64_t id, const produce_batch& batch, int16_t acks,
                               int32_t timeout_ms) {
  // The first write of a new leader epoch records where it starts (KIP-101).
  note_epoch(pm_.epoch, log_end_);
  pending_write w;
  w.what = log_write::kind::append;
  w.end_before = log_end_;
  w.produce_id = id;
  w.header = batch.header;
  w.acks = acks;
  w.timeout_ms = timeout_ms;
  write_ = std::move(w);
  log_write out;
  out.what = log_write::kind::append;
  out.produce_id = id;
  out.epoch = pm_.epoch;
  out_.write = std::move(out);
}

void replica_fsm::note_epoch(leader_epoch epoch, log_offset start) {
  auto latest = epochs_.latest();
  if (latest && latest->epoch >= epoch)
    return;
  epochs_.assign(epoch, start);
  out_.epochs_extended = true;
}

void replica_fsm::append_done(const pending_write& w, log_offset log_end, int64_t now) {
  auto h = w.header;
  h.base_offset = w.end_before.value;
  // Requires: the log appended the batch at its end.
  assert(log_end == h.next_offset());
  producers_.on_append(h);
  log_end_ = log_end;
  wake_parked_fetches(now);
  advance_high_watermark(now);
  answer_ack(w.produce_id, log_end_,
             produce_response{cfg_.tp, w.end_before, log_start_,
                              cfg_.log_append_time ? h.max_timestamp : -1},
             w.acks, w.timeout_ms, now);
}

void replica_fsm::answer_ack(uint64_t id, log_offset end, produce_response resp, int16_t acks,
                             int32_t timeout_ms, int64_t now) {
  if (acks != -1) {
    out_.produce_replies.push_back(produce_reply{id, std::move(resp)});
    return;
  }
  auto v = acks_all_verdict(end, hw_, pm_.isr.size(), cfg_.min_insync_replicas);
  if (v != ack_verdict::wait)
    finish_ack(id, resp, v);
  else
    acks_.emplace(id, parked_ack{end, std::move(resp), now + std::max(1, timeout_ms)});
}

void replica_fsm::finish_ack(uint64_t id, const produce_response& resp, ack_verdict v) {
  if (v == ack_verdict::too_few_replicas)
    out_.produce_replies.push_back(produce_reply{
      id, make_error(errc::not_enough_replicas_after_append,
                     to_string(cfg_.tp) + ": written, but the ISR shrank to "
                       + std::to_string(pm_.isr.size()) + " below min.insync.replicas ("
                       + std::to_string(cfg_.min_insync_replicas) + ")")});
  else
    out_.produce_replies.push_back(produce_reply{id, resp});
}

// -- high watermark ----------------------------------------------------------------------------

void replica_fsm::advance_high_watermark(int64_t now) {
  if (!leading())
    return;
  std::vector<log_offset> ends;
  for (auto r : maximal_isr_) {
    if (r == cfg_.self)
      continue;
    auto i = followers_.find(r);
    ends.push_back(i == followers_.end() ? log_offset{0} : i->second.end);
  }
  auto hw = next_high_watermark(hw_, log_end_, ends);
  // Invariant: on a leader the high watermark never decreases and never passes the log end.
  assert(hw >= hw_ && hw <= std::max(hw_, log_end_));
  if (hw == hw_)
    return;
  hw_ = hw;
  out_.high_watermark_advanced = true;
  for (auto& kv : parked_fetches_)
    notify_if_behind(kv.second, now);
  for (auto i = acks_.begin(); i != acks_.end();) {
    auto v = acks_all_verdict(i->second.end, hw_, pm_.isr.size(), cfg_.min_insync_replicas);
    if (v == ack_verdict::wait) {
      ++i;
      continue;
    }
    finish_ack(i->first, i->second.resp, v);
    i = acks_.erase(i);
  }
}

// -- follower fetches --------------------------------------------------------------------------

replica_fetch_response replica_fsm::fetch_header() const {
  replica_fetch_response resp;
  resp.tp = cfg_.tp;
  resp.epoch = pm_.epoch;
  resp.high_watermark = hw_;
  resp.log_start_offset = log_start_;
  return resp;
}

caf::error replica_fsm::fence_fetch(const replica_fetch_request& req) {
  if (req.epoch > pm_.epoch) {
    if (leading()) {
      // A follower of a newer epoch: another leader was elected; take no more writes.
      log(log_level::warn, "a follower is in leader epoch " + to_string(req.epoch) + " > "
                             + to_string(pm_.epoch) + "; this replica no longer leads");
      deposed_ = true;
      stop_leading(not_leader());
    }
    return make_error(errc::unknown_leader_epoch,
                      to_string(cfg_.tp) + ": leader epoch " + to_string(req.epoch)
                        + " is newer than this replica's " + to_string(pm_.epoch));
  }
  if (req.epoch < pm_.epoch)
    return make_error(errc::fenced_leader_epoch,
                      to_string(cfg_.tp) + ": leader epoch " + to_string(req.epoch)
                        + " is older than the current " + to_string(pm_.epoch));
  if (!leading())
    return not_leader();
  return {};
}

void replica_fsm::follower_fetch(uint64_t id, const replica_fetch_request& req, int64_t now) {
  fetch_reply reply;
  reply.id = id;
  if (auto err = fence_fetch(req)) {
    reply.error = std::move(err);
    out_.fetch_replies.push_back(std::move(reply));
    return;
  }
  if (auto d = find_divergence(epochs_, log_start_, log_end_, req.last_fetched_epoch,
                               req.offset)) {
    reply.resp = fetch_header();
    reply.resp.diverging_epoch = d->epoch;
    // end_offset -1 (no common epoch): "keep only what is committed", i.e. the log start.
    reply.resp.diverging_end_offset = d->end_offset >= log_offset{0} ? d->end_offset
                                                                     : log_start_;
    out_.fetch_replies.push_back(std::move(reply));
    return;
  }
  if (req.offset < log_start_) {
    reply.resp = fetch_header();  // the follower restarts its log at our log start
    out_.fetch_replies.push_back(std::move(reply));
    return;
  }
  if (req.offset > log_end_) {
    reply.error = make_error(errc::offset_out_of_range,
                             to_string(cfg_.tp) + ": follower offset " + to_string(req.offset)
                               + " is outside [" + to_string(log_start_) + ", "
                               + to_string(log_end_) + "]");
    out_.fetch_replies.push_back(std::move(reply));
    return;
  }
  note_fetch_position(req, now);
  advance_high_watermark(now);
  maybe_expand_isr(req.follower, now);
  // A follower has one fetch in flight: an older one parked here was lost on its way back,
  // or its follower restarted.
  for (auto i = parked_fetches_.begin(); i != parked_fetches_.end();) {
    if (i->second.req.follower != req.follower) {
      ++i;
      continue;
    }
    answer_fetch(i->first, i->second.req, now);
    i = parked_fetches_.erase(i);
  }
  if (req.offset >= log_end_ && req.max_wait_ms > 0) {
    // Nothing new: park until the next append, the high watermark news or max_wait_ms.
    parked_fetch p{req, now + req.max_wait_ms};
    notify_if_behind(p, now);
    parked_fetches_.emplace(id, p);
    return;
  }
  answer_fetch(id, req, now);
}

void replica_fsm::note_fetch_position(const replica_fetch_request& req, int64_t now) {
  auto i = followers_.find(req.follower);
  if (i == followers_.end())
    return;
  auto& f = i->second;
  f.end = std::min(req.offset, log_end_);
  f.fetched = true;
  if (req.offset >= log_end_)
    f.last_caught_up_ms = now;
  else if (req.offset >= f.answered_end)
    f.last_caught_up_ms = std::max(f.last_caught_up_ms, f.answered_ms);
}

void replica_fsm::note_answered(node_id follower, int64_t now) {
  if (auto i = followers_.find(follower); i != followers_.end()) {
    i->second.answered_end = log_end_;
    i->second.answered_ms = now;
  }
}

void replica_fsm::notify_if_behind(parked_fetch& p, int64_t now) const {
  if (p.req.high_watermark < hw_)
    p.deadline = std::min(p.deadline, now + cfg_.hw_notify_ms);
}

void replica_fsm::answer_fetch(uint64_t id, const replica_fetch_request& req, int64_t now) {
  note_answered(req.follower, now);
  fetch_reply reply;
  reply.id = id;
  reply.resp = fetch_header();
  if (req.offset < log_end_) {
    reply.read_from = req.offset;
    reply.read_max_bytes = static_cast<size_t>(
      std::max(1, std::min(req.max_bytes, cfg_.replica_fetch_max_bytes)));
  }
  out_.fetch_replies.push_back(std::move(reply));
}

void replica_fsm::wake_parked_fetches(int64_t now) {
  for (auto& kv : parked_fetches_) {
    mark_caught_up(kv.second.req, now);
    answer_fetch(kv.first, kv.second.req, now);
  }
  parked_fetches_.clear();
}

void replica_fsm::mark_caught_up(const replica_fetch_request& parked, int64_t now) {
  auto f = followers_.find(parked.follower);
  if (f != followers_.end() && f->second.end >= parked.offset)
    f->second.last_caught_up_ms = now;
}

// -- ISR changes -------------------------------------------------------------------------------

log_offset replica_fsm::join_floor() const {
  auto latest = epochs_.latest();
  auto epoch_start = latest && latest->epoch == pm_.epoch ? latest->start_offset : log_end_;
  // A leader that restarted within its epoch knows only its last checkpointed high watermark:
  // anything below its log end at the restart may have been acknowledged.
  return std::max(epoch_start, took_over_at_);
}

void replica_fsm::maybe_expand_isr(node_id follower, int64_t now) {
  if (proposal_ || contains(pm_.isr, follower))
    return;
  auto i = followers_.find(follower);
  if (i == followers_.end() || !may_join_isr(i->second.end, hw_, join_floor()))
    return;
  auto isr = pm_.isr;
  isr.push_back(follower);
  propose_isr(std::move(isr), now);
}

void replica_fsm::expand_caught_up(int64_t now) {
  for (auto& kv : followers_) {
    if (proposal_)
      return;
    if (kv.second.fetched)
      maybe_expand_isr(kv.first, now);
  }
}

bool replica_fsm::followers_behind() const {
  if (!leading())
    return false;
  for (auto& [id, f] : followers_)
    if (f.end < log_end_ && contains(pm_.isr, id))
      return true;
  return false;
}

void replica_fsm::check_lagging(int64_t now) {
  if (proposal_)
    return;
  std::vector<node_id> lagging;
  for (auto& [id, f] : followers_)
    if (contains(pm_.isr, id)
        && is_lagging(f.end, f.last_caught_up_ms, log_end_, now, cfg_.replica_lag_time_max_ms))
      lagging.push_back(id);
  if (lagging.empty())
    return;
  std::vector<node_id> isr;
  for (auto r : pm_.isr)
    if (!contains(lagging, r))
      isr.push_back(r);
  log(log_level::warn, "follower(s) " + join_ids(lagging) + " behind for more than "
                         + std::to_string(cfg_.replica_lag_time_max_ms)
                         + " ms; shrinking the ISR");
  propose_isr(std::move(isr), now);
}

void replica_fsm::propose_isr(std::vector<node_id> isr, int64_t now) {
  // Keep the replicas' order so views compare equal across brokers.
  std::vector<node_id> ordered;
  for (auto r : pm_.replicas)
    if (contains(isr, r))
      ordered.push_back(r);
  pending_proposal p;
  p.id = next_proposal_++;
  p.req = alter_isr_request{cfg_.tp, cfg_.self, pm_.epoch, pm_.partition_epoch, ordered};
  p.deadline = now + cfg_.isr_change_timeout_ms;
  out_.proposal = isr_proposal{p.id, p.req};
  proposal_ = std::move(p);
  confirm_at_.reset();
  reset_maximal_isr();
}

void replica_fsm::confirm_isr_later(int64_t at) {
  if (!maybe_added_.empty())
    confirm_at_ = at;
}

void replica_fsm::abandon_proposal(int64_t now) {
  // It may still commit at this partition epoch: its additions keep counting until the
  // partition epoch moves, which proposing the ISR as it is makes happen.
  for (auto r : proposal_->req.isr)
    if (!contains(pm_.isr, r) && !contains(maybe_added_, r))
      maybe_added_.push_back(r);
  proposal_.reset();
  confirm_isr_later(now);
}

void replica_fsm::reset_maximal_isr() {
  maximal_isr_ = pm_.isr;
  auto add = [this](node_id r) {
    if (!contains(maximal_isr_, r))
      maximal_isr_.push_back(r);
  };
  add(cfg_.self);
  if (proposal_)
    for (auto r : proposal_->req.isr)
      add(r);
  for (auto r : maybe_added_)
    add(r);
}

void replica_fsm::isr_change_committed(uint64_t id, const partition_metadata& pm,
                                       int64_t now) {
  if (proposal_ && proposal_->id == id) {
    proposal_.reset();
    if (leading())
      reset_maximal_isr();
  }
  update_partition(pm, now);
  advance_high_watermark(now);
  if (leading())
    expand_caught_up(now);
}

void replica_fsm::isr_change_failed(uint64_t id, const caf::error& err, int64_t now) {
  if (!proposal_ || proposal_->id != id)
    return;
  auto code = errc_of(err);
  if (code == errc::stale_epoch) {
    // The partition moved on: the newer view on its way decides (update_partition). Until
    // then the maximal ISR stays.
    proposal_->outcome_unknown = true;
    return;
  }
  if (code == errc::invalid_request || code == errc::unknown_topic_or_partition) {
    // The controller checked the request (sent once) against the current partition epoch
    // and refused it: it is not applied and never will be.
    proposal_.reset();
    confirm_isr_later(now + cfg_.fetch_retry_backoff_ms);
  } else {
    // Lost or timed out on the way, or no controller: the outcome is unknown.
    abandon_proposal(now + cfg_.fetch_retry_backoff_ms);
  }
  reset_maximal_isr();
  advance_high_watermark(now);
}

} // namespace cafka
