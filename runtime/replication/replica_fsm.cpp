// replica_fsm: roles (which view makes this replica lead or follow), time, writes and output.
// The leader's rules are in replica_fsm_leader.cpp, the follower's in replica_fsm_follower.cpp.
#include "runtime/replication/replica_fsm.hpp"

#include <algorithm>
#include <cassert>

#include "runtime/base/errc.hpp"

namespace cafka {

produce_batch describe_batch(std::string_view bytes, const replica_fsm_config& cfg,
                             int64_t wall_now_ms) {
  produce_batch out;
  out.size = bytes.size();
  read_batch_header(bytes.data(), bytes.size(), out.header);
  if (out.size > static_cast<size_t>(std::max(0, cfg.message_max_bytes)))
    return out;
  batch_limits limits;
  limits.max_uncompressed = max_uncompressed_for(cfg.message_max_bytes);
  if (!cfg.log_append_time)
    limits.timestamps = timestamp_window{wall_now_ms, cfg.timestamp_before_max_ms,
                                         cfg.timestamp_after_max_ms};
  else
    out.header.max_timestamp = wall_now_ms;  // what the leader stamps on the bytes
  out.invalid = validate_batch(bytes, limits);
  if (!out.invalid && cfg.compacted && !out.header.is_control()) {
    bool keyless = false;
    out.invalid = for_each_record(
      bytes, [&](const record_view& r) { keyless = keyless || !r.key; },
      limits.max_uncompressed);
    if (!out.invalid && keyless)
      out.invalid = make_error(errc::invalid_record,
                               "Compacted topic cannot accept message without key in topic "
                               "partition " + to_string(cfg.tp) + ".");
  }
  return out;
}

void apply_topic_config(replica_fsm_config& cfg, const topic_config& topic) {
  cfg.min_insync_replicas = topic.min_insync_replicas;
  cfg.message_max_bytes = topic.max_message_bytes;
  cfg.log_append_time = topic.message_timestamp_type == timestamp_type::log_append_time;
  cfg.compacted = topic.cleanup_compact;
  cfg.codec = codec_of(topic.compression);
}

batch_limits follower_limits(const replica_fsm_config&) {
  batch_limits limits;
  // Not this broker's message-max-bytes: the leader took the batch under its own, and a
  // follower refusing it would stay out of the ISR for good.
  limits.max_uncompressed = max_uncompressed_ceiling;
  return limits;
}

replica_fsm::replica_fsm(replica_fsm_config cfg, log_offset log_start, log_offset log_end,
                         leader_epoch_cache epochs, producer_state producers,
                         std::optional<log_offset> checkpointed_hw)
  : cfg_(std::move(cfg)),
    log_start_(log_start),
    log_end_(log_end),
    hw_(recovered_high_watermark(checkpointed_hw, log_end)),
    epochs_(std::move(epochs)),
    producers_(std::move(producers)) {
  pm_.leader = no_node;
  pm_.epoch = no_leader_epoch;
  // Epochs that start at or beyond the log end hold no records.
  epochs_.truncate_from_end(log_end_);
  producers_.set_max_entries(std::max<size_t>(1, cfg_.max_producer_ids));
}

bool replica_fsm::leading() const {
  return pm_.leader == cfg_.self && !deposed_;
}

bool replica_fsm::following() const {
  return pm_.leader != cfg_.self && pm_.leader != no_node;
}

caf::error replica_fsm::not_leader() const {
  return make_error(errc::not_leader_for_partition,
                    "broker " + to_string(cfg_.self) + " does not lead "
                      + to_string(cfg_.tp) + " (leader epoch " + to_string(pm_.epoch) + ")");
}

void replica_fsm::log(log_level level, std::string text) {
  out_.log.push_back(log_line{level, std::move(text)});
}

void replica_fsm::update_partition(const partition_metadata& pm, int64_t now) {
  bool newer = pm.epoch > pm_.epoch
               || (pm.epoch == pm_.epoch && pm.partition_epoch > pm_.partition_epoch);
  if (!newer)
    return;
  bool new_epoch = pm.epoch != pm_.epoch;
  bool was_leading = leading();
  pm_ = pm;
  if (new_epoch)
    deposed_ = false;
  // A newer partition epoch shows what the controller made of a change in flight: committed
  // (the view has it) or never to be (the change named an older partition epoch).
  if (proposal_ && proposal_->req.partition_epoch != pm_.partition_epoch)
    proposal_.reset();
  // No request sent at an older partition epoch can commit any more.
  maybe_added_.clear();
  confirm_at_.reset();
  if (leading()) {
    if (!was_leading || new_epoch) {
      become_leader(now);
    } else {
      sync_followers(now);
      reset_maximal_isr();
      advance_high_watermark(now);
    }
    return;
  }
  if (was_leading)
    stop_leading(not_leader());
  // An ISR-only change (same epoch) leaves a running fetch loop alone.
  if (following() && (was_leading || new_epoch))
    become_follower(now);
}

void replica_fsm::become_leader(int64_t now) {
  fetch_.reset();  // answers to a fetch in flight are dropped
  retry_at_.reset();
  proposal_.reset();
  if (std::find(pm_.isr.begin(), pm_.isr.end(), cfg_.self) == pm_.isr.end())
    log(log_level::error, "leader " + to_string(cfg_.self)
                            + " is not in the ISR it was given; adding it");
  // A new leader gives every follower a full lag window to show up.
  followers_.clear();
  sync_followers(now);
  hw_ = std::min(hw_, log_end_);
  took_over_at_ = log_end_;
  log(log_level::info, "leading in epoch " + to_string(pm_.epoch) + " (log end "
                         + to_string(log_end_) + ", high watermark " + to_string(hw_) + ")");
  // A previous incarnation of this broker may have led this epoch and sent ISR changes that
  // can still commit at this partition epoch. Until the partition epoch moves, every replica
  // counts for the high watermark; a change that keeps the ISR as it is moves it.
  maybe_added_.clear();
  confirm_at_.reset();
  for (auto& kv : followers_)
    if (std::find(pm_.isr.begin(), pm_.isr.end(), kv.first) == pm_.isr.end())
      maybe_added_.push_back(kv.first);
  reset_maximal_isr();
  if (!maybe_added_.empty())
    propose_isr(pm_.isr, now);
  advance_high_watermark(now);
}

void replica_fsm::sync_followers(int64_t now) {
  for (auto i = followers_.begin(); i != followers_.end();) {
    if (std::find(pm_.replicas.begin(), pm_.replicas.end(), i->first) == pm_.replicas.end())
      i = followers_.erase(i);
    else
      ++i;
  }
  for (auto r : pm_.replicas)
    if (r != cfg_.self && followers_.count(r) == 0)
      followers_[r] = follower_progress{log_offset{0}, now};
}

void replica_fsm::stop_leading(const caf::error& err) {
  for (auto& kv : acks_)
    out_.produce_replies.push_back(produce_reply{kv.first, err});
  acks_.clear();
  for (auto& kv : parked_fetches_) {
    fetch_reply r;
    r.id = kv.first;
    r.error = err;
    out_.fetch_replies.push_back(std::move(r));
  }
  parked_fetches_.clear();
  followers_.clear();
  maximal_isr_.clear();
  proposal_.reset();
  maybe_added_.clear();
  confirm_at_.reset();
  out_.stopped_leading = err;
}

void replica_fsm::become_follower(int64_t now) {
  fetch_.reset();
  retry_at_.reset();
  log(log_level::info, "following leader " + to_string(pm_.leader) + " in epoch "
                         + to_string(pm_.epoch) + " from offset " + to_string(log_end_));
  send_fetch(now);
}

void replica_fsm::stop(const caf::error& err) {
  stop_leading(err);
  fetch_.reset();
  retry_at_.reset();
  pm_.leader = no_node;
}

void replica_fsm::write_done(log_offset log_end, int64_t now) {
  // Requires: a write is pending (the driver reports the output's write, once).
  assert(write_);
  auto w = std::move(*write_);
  write_.reset();
  if (w.what == log_write::kind::append)
    append_done(w, log_end, now);
  else
    follower_write_done(w, log_end, now);
}

void replica_fsm::write_failed(const caf::error& err, log_offset log_end, int64_t now) {
  assert(write_);
  auto w = std::move(*write_);
  write_.reset();
  if (w.what == log_write::kind::append) {
    log(log_level::error, "append failed: " + describe(err));
    // The epoch history names no epoch without records: a follower's fetch carries its
    // latest epoch, and one the leader never saw would diverge for ever.
    epochs_.truncate_from_end(log_end_);
    out_.produce_replies.push_back(produce_reply{w.produce_id, err});
    return;
  }
  follower_write_failed(w, err, log_end, now);
}

void replica_fsm::log_start_moved(log_offset start) {
  log_start_ = start;
  epochs_.truncate_from_start(start);
  out_.persist_epochs = true;
  out_.persist_producers = true;  // never behind the log start
}

size_t replica_fsm::expire_producers(int64_t wall_now_ms, int64_t expiration_ms) {
  return producers_.expire(wall_now_ms, expiration_ms);
}

void replica_fsm::tick(int64_t now) {
  expire(now);
  if (leading())
    check_lagging(now);
}

void replica_fsm::expire(int64_t now) {
  for (auto i = acks_.begin(); i != acks_.end();) {
    if (i->second.deadline > now) {
      ++i;
      continue;
    }
    out_.produce_replies.push_back(produce_reply{
      i->first, make_error(errc::request_timed_out,
                           to_string(cfg_.tp)
                             + ": not every in-sync replica confirmed the batch in time")});
    i = acks_.erase(i);
  }
  for (auto i = parked_fetches_.begin(); i != parked_fetches_.end();) {
    if (i->second.deadline > now) {
      ++i;
      continue;
    }
    mark_caught_up(i->second.req, now);  // no append woke it: the log end did not move
    answer_fetch(i->first, i->second.req, now);  // at the log end: the header only
    i = parked_fetches_.erase(i);
  }
  if (proposal_ && !proposal_->outcome_unknown && proposal_->deadline <= now) {
    abandon_proposal(now);  // unanswered
    reset_maximal_isr();
  }
  if (confirm_at_ && *confirm_at_ <= now && !proposal_ && leading())
    propose_isr(pm_.isr, now);
  if (fetch_ && fetch_deadline_ <= now) {
    fetch_.reset();  // lost on the way; a late answer is dropped
    send_fetch(now);
  }
  if (retry_at_ && *retry_at_ <= now) {
    retry_at_.reset();
    send_fetch(now);
  }
}

std::optional<int64_t> replica_fsm::next_deadline() const {
  std::optional<int64_t> out;
  auto consider = [&](int64_t t) {
    if (!out || t < *out)
      out = t;
  };
  for (auto& kv : acks_)
    consider(kv.second.deadline);
  for (auto& kv : parked_fetches_)
    consider(kv.second.deadline);
  if (proposal_ && !proposal_->outcome_unknown)
    consider(proposal_->deadline);
  if (confirm_at_ && !proposal_)
    consider(*confirm_at_);
  if (fetch_)
    consider(fetch_deadline_);
  if (retry_at_)
    consider(*retry_at_);
  return out;
}

replica_output replica_fsm::take_output() {
  replica_output out = std::move(out_);
  out_ = replica_output{};
  return out;
}

} // namespace cafka
