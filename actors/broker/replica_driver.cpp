// The partition replica's driver: drain the replica_fsm's output and do what it says, in the
// order of replica_fsm.hpp (persist, write and report, answer and send, wake consumers),
// through the log (on the node's storage env, cfg.io.disk), response promises, the node's
// fault table (cfg.io.faults) and CAF timers.
#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/broker/replica_metrics.hpp"
#include "actors/broker/replica_state.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/batch_recompress.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka {

namespace {

constexpr auto alter_isr_timeout = std::chrono::seconds{10};
// Beyond the leader's long-poll wait: a hung leader's node costs at most this much.
constexpr int64_t fetch_timeout_slack_ms = 2000;
constexpr int64_t fetch_retry_backoff_ms = 50;

std::string join_ids(const std::vector<node_id>& xs) {
  std::string out;
  for (auto x : xs)
    out += (out.empty() ? "" : ",") + to_string(x);
  return out;
}

void write_log(const replica_state& st, const log_line& l) {
  auto tp = to_string(st.cfg.tp);
  switch (l.level) {
    case log_level::debug: spdlog::debug("partition {}: {}", tp, l.text); break;
    case log_level::info: spdlog::info("partition {}: {}", tp, l.text); break;
    case log_level::warn: spdlog::warn("partition {}: {}", tp, l.text); break;
    case log_level::error: spdlog::error("partition {}: {}", tp, l.text); break;
  }
}

// A leader append: the produce's batch, stamped with the epoch, at the log end. False if the
// replica stopped.
bool append(replica_self self, const log_write& w) {
  auto& st = self->state;
  auto i = st.produces.find(w.produce_id);
  if (i == st.produces.end()) {  // the fsm appends only produces it was given
    st.fsm->write_failed(make_error(errc::invalid_request, "no such produce"),
                         st.log->log_end_offset(), mono_ms(self));
    return true;
  }
  auto batch = std::move(i->second.batch);
  auto produced_bytes = batch.size();  // bytes_in: the batch as the producer sent it
  auto append_time = i->second.append_time_ms;
  auto& fsm_cfg = st.fsm->config();
  if (fsm_cfg.codec) {  // compression.type: checked by describe_batch, so it decompresses
    auto recompressed = recompress_batch(batch, *fsm_cfg.codec,
                                         max_uncompressed_for(fsm_cfg.message_max_bytes));
    if (!recompressed) {
      st.fsm->write_failed(recompressed.error(), st.log->log_end_offset(), mono_ms(self));
      return true;
    }
    batch = std::move(*recompressed);
    // Kafka checks the size again after recompression (RECORD_TOO_LARGE).
    auto max = static_cast<size_t>(std::max(0, fsm_cfg.message_max_bytes));
    if (batch.size() > max) {
      st.fsm->write_failed(make_error(errc::message_too_large,
                                      "record batch of " + std::to_string(batch.size())
                                        + " bytes after recompression exceeds "
                                          "max.message.bytes (" + std::to_string(max) + ")"),
                           st.log->log_end_offset(), mono_ms(self));
      return true;
    }
  }
  set_partition_leader_epoch(batch.data(), w.epoch);
  auto now = now_ms();
  // The time the produce's describe_batch chose: the fsm's producer state and answer have it.
  if (st.fsm->config().log_append_time)
    set_log_append_time(batch.data(), batch.size(), append_time);
  auto end_before = st.log->log_end_offset();
  auto base = st.log->append(batch, now);
  if (!base && st.log->log_end_offset() != end_before) {
    // A failed fsync after the write leaves pages of unknown state (the kernel may have
    // dropped them): the replica stops, and the broker reopens it with backoff, flushing it
    // before it serves again.
    spdlog::error("partition {}: append failed: {}", to_string(st.cfg.tp),
                  describe(base.error()));
    fail_replica(self, base.error());
    return false;
  }
  // A failed write is cut off again and the log stays as it was.
  if (!base) {
    st.fsm->write_failed(base.error(), st.log->log_end_offset(), mono_ms(self));
    return true;
  }
  // Only here: a duplicate of an idempotent producer's batch is answered, never appended.
  count_append(st, st.log->log_end_offset().value - end_before.value, produced_bytes);
  st.fsm->write_done(st.log->log_end_offset(), mono_ms(self));
  return true;
}

// A follower's copy: each whole batch in turn. False if the replica stopped.
bool replicate(replica_self self, const log_write& w) {
  auto& st = self->state;
  std::string_view rest{w.records.data() + w.begin, w.size};
  auto now = now_ms();
  while (!rest.empty()) {
    batch_header h;
    read_batch_header(rest.data(), rest.size(), h);
    auto end_before = st.log->log_end_offset();
    if (auto err = st.log->append_replicated(rest.substr(0, h.total_size()), now)) {
      if (st.log->log_end_offset() != end_before) {
        spdlog::error("partition {}: cannot append a replicated batch: {}", to_string(st.cfg.tp),
                      describe(err));
        fail_replica(self, err);
        return false;
      }
      st.fsm->write_failed(err, st.log->log_end_offset(), mono_ms(self));
      return true;
    }
    rest.remove_prefix(h.total_size());
  }
  st.fsm->write_done(st.log->log_end_offset(), mono_ms(self));
  return true;
}

// Step 2 of the order: the write, reported to the fsm. False if the replica stopped.
bool write(replica_self self, const log_write& w) {
  auto& st = self->state;
  caf::error err;
  switch (w.what) {
    case log_write::kind::append:
      return append(self, w);
    case log_write::kind::replicate:
      return replicate(self, w);
    case log_write::kind::truncate:
      err = st.log->truncate_to(w.offset);
      break;
    case log_write::kind::restart:
      err = st.log->truncate_fully_and_start_at(w.offset);
      break;
  }
  if (err)
    st.fsm->write_failed(err, st.log->log_end_offset(), mono_ms(self));
  else
    st.fsm->write_done(st.log->log_end_offset(), mono_ms(self));
  return true;
}

void answer_produce(replica_state& st, produce_reply& r) {
  auto i = st.produces.find(r.id);
  if (i == st.produces.end())
    return;
  if (r.result)
    i->second.rp.deliver(std::move(*r.result));
  else
    i->second.rp.deliver(std::move(r.result.error()));
  st.produces.erase(i);
}

void answer_follower_fetch(replica_state& st, fetch_reply& r) {
  auto i = st.follower_fetches.find(r.id);
  if (i == st.follower_fetches.end())
    return;
  auto rp = i->second;
  st.follower_fetches.erase(i);
  if (r.error) {
    rp.deliver(std::move(r.error));
    return;
  }
  if (r.read_from) {
    auto read = st.log->read(*r.read_from, r.read_max_bytes);
    if (!read) {
      rp.deliver(std::move(read.error()));
      return;
    }
    r.resp.records = std::move(read->data);
    st.cfg.io.metrics->replication_bytes_out.inc(r.resp.records.size());
  }
  rp.deliver(std::move(r.resp));
}

// The longest a throttled follower sleeps before it looks again: a changed or cleared rate
// takes effect within it.
constexpr int64_t max_throttle_sleep_ms = 1000;

void send_fetch(replica_self self, fetch_send& f) {
  auto& st = self->state;
  if (!st.leader_broker || st.leader_broker_id != f.leader) {
    // The broker sends the new leader's handle (peer_atom): leader_reachable.
    st.leader_broker = nullptr;
    st.leader_broker_id = no_node;
    st.fsm->fetch_unsent(f.id);
    return;
  }
  bool throttle = throttled(st);
  if (throttle) {
    // Not sent: the fsm starts the next fetch when resume_fetch_atom calls leader_reachable.
    if (auto wait = st.cfg.throttle->wait_ms(mono_ms(self)); wait > 0) {
      st.fsm->fetch_unsent(f.id);
      if (!st.fetch_resume_queued) {
        st.fetch_resume_queued = true;
        auto sleep = std::min(wait, max_throttle_sleep_ms);
        self->delayed_send(self, std::chrono::milliseconds{sleep}, resume_fetch_atom::value);
      }
      return;
    }
    f.req.max_bytes = st.cfg.throttle->fetch_max_bytes(f.req.max_bytes);
  }
  // The node's fault table cut the link: the fetch is lost. The fsm sends another once a real
  // network's cut connection would show (lost_fetch_retry_ms), or at its deadline.
  if (st.cfg.io.faults->exchange_lost(st.cfg.self, f.leader)) {
    st.fsm->fetch_lost(f.id, mono_ms(self));
    return;
  }
  auto leader = caf::actor_cast<broker_actor>(st.leader_broker);
  auto id = f.id;
  auto timeout = std::chrono::milliseconds{f.req.max_wait_ms + fetch_timeout_slack_ms};
  self->request(leader, timeout, replica_fetch_atom::value, std::move(f.req))
    .then(
      [=](replica_fetch_response& resp) {
        if (!self->state.fsm)
          return;
        if (throttle)
          self->state.cfg.throttle->charge(static_cast<int64_t>(resp.records.size()),
                                           mono_ms(self));
        self->state.fsm->fetch_answered(id, std::move(resp), mono_ms(self));
        drive(self);
      },
      [=](caf::error& err) {
        if (!self->state.fsm)
          return;
        self->state.fsm->fetch_failed(id, err, mono_ms(self));
        drive(self);
      });
}

void send_proposal(replica_self self, isr_proposal& p) {
  auto& st = self->state;
  auto owner = caf::actor_cast<broker_actor>(st.cfg.owner);
  if (!owner) {
    // No broker (unit tests): the ISR stays as configured.
    st.fsm->isr_change_failed(p.id, make_error(errc::invalid_request, "no broker to ask"),
                              mono_ms(self));
    return;
  }
  spdlog::info("partition {}: proposing ISR {} (was {})", to_string(st.cfg.tp),
               join_ids(p.req.isr), join_ids(st.fsm->partition().isr));
  auto id = p.id;
  auto epoch = p.req.epoch;
  self->request(owner, alter_isr_timeout, alter_isr_atom::value, std::move(p.req))
    .then(
      [=](partition_metadata& pm) {
        if (!self->state.fsm)
          return;
        self->state.fsm->isr_change_committed(id, pm, mono_ms(self));
        drive(self);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        if (!st.fsm)
          return;
        if (st.fsm->partition().epoch == epoch)
          spdlog::warn("partition {}: ISR change refused: {}", to_string(st.cfg.tp),
                       describe(err));
        st.fsm->isr_change_failed(id, err, mono_ms(self));
        drive(self);
      });
}

void fail_waiting(replica_state& st, const caf::error& err) {
  for (auto& kv : st.waiting)
    kv.second.rp.deliver(err);
  st.waiting.clear();
}

// A tick of the fsm at its next deadline (the earliest one a wake-up is not on its way for).
void schedule_wakeup(replica_self self) {
  auto& st = self->state;
  auto at = st.fsm->next_deadline();
  if (!at || (!st.wakeups.empty() && *st.wakeups.begin() <= *at))
    return;
  st.wakeups.insert(*at);
  auto in = std::max<int64_t>(0, *at - mono_ms(self));
  self->delayed_send(self, std::chrono::milliseconds{in}, wake_atom::value,
                     static_cast<uint64_t>(*at));
}

} // namespace

bool throttled(const replica_state& st) {
  auto& pm = st.fsm->partition();
  auto has = [&](const std::vector<node_id>& xs) {
    return std::find(xs.begin(), xs.end(), st.cfg.self) != xs.end();
  };
  return has(pm.adding_replicas) && !has(pm.isr) && st.cfg.throttle->rate() > 0;
}

void resume_fetch(replica_self self) {
  auto& st = self->state;
  st.fetch_resume_queued = false;
  if (!st.fsm)
    return;
  st.fsm->leader_reachable(mono_ms(self));
  drive(self);
}

void on_partition_update(replica_self self, const partition_metadata& pm) {
  auto& st = self->state;
  st.fsm->update_partition(pm, mono_ms(self));
  drive(self);
  // A follower the throttle held back that no longer is throttled (in sync, or the move is
  // over) fetches at once.
  if (st.fetch_resume_queued && st.fsm && !throttled(st))
    resume_fetch(self);
}

int64_t mono_ms(replica_self self) {
  using namespace std::chrono;
  return duration_cast<milliseconds>(self->clock().now().time_since_epoch()).count();
}

replica_fsm_config fsm_config(const replica_config& cfg) {
  replica_fsm_config out;
  out.tp = cfg.tp;
  out.self = cfg.self;
  out.timestamp_before_max_ms = cfg.defaults.log_message_timestamp_before_max_ms;
  out.timestamp_after_max_ms = cfg.defaults.log_message_timestamp_after_max_ms;
  out.replica_lag_time_max_ms = cfg.defaults.replica_lag_time_max_ms;
  out.replica_fetch_wait_max_ms = cfg.defaults.replica_fetch_wait_max_ms;
  out.replica_fetch_max_bytes = cfg.defaults.replica_fetch_max_bytes;
  out.fetch_timeout_slack_ms = fetch_timeout_slack_ms;
  out.fetch_retry_backoff_ms = fetch_retry_backoff_ms;
  out.max_producer_ids
    = static_cast<size_t>(std::max(1, cfg.limits.max_producer_ids_per_partition));
  out.isr_change_timeout_ms
    = std::chrono::duration_cast<std::chrono::milliseconds>(alter_isr_timeout).count();
  apply_topic_config(out, *cfg.topic);
  return out;
}

void drive(replica_self self) {
  auto& st = self->state;
  if (!st.fsm)
    return;
  bool wrote = false;  // the log's size changed: the size gauge is refreshed too
  for (;;) {
    auto out = st.fsm->take_output();
    if (out.empty())
      break;
    for (auto& l : out.log)
      write_log(st, l);
    // 1. persist
    // A new epoch's entry is synced with the log (close_log), or at once if the log has a
    // flush policy and so syncs itself. A batch is never written without its entry: a
    // failed save stops the replica, whose reopen rebuilds the history from the log.
    if (out.persist_epochs || out.epochs_extended) {
      if (auto err = st.save_epochs(out.persist_epochs || st.log->has_flush_policy())) {
        fail_replica(self, err);
        return;
      }
    }
    if (out.persist_producers)
      st.save_producers();
    // 2. the write, reported before anything else
    if (out.write && !write(self, *out.write))
      return;  // the replica stopped
    wrote = wrote || out.write.has_value();
    // 3. answers and sends
    for (auto& r : out.produce_replies)
      answer_produce(st, r);
    for (auto& r : out.fetch_replies)
      answer_follower_fetch(st, r);
    if (out.fetch)
      send_fetch(self, *out.fetch);
    if (out.proposal)
      send_proposal(self, *out.proposal);
    // 4. consumers
    if (out.high_watermark_advanced && !st.waiting.empty())
      wake_waiting(self);
    if (out.stopped_leading)
      fail_waiting(st, *out.stopped_leading);
  }
  update_partition_series(st, wrote);
  schedule_wakeup(self);
  tick_sooner_if_busy(self);
}

void fail_replica(replica_self self, const caf::error& err) {
  auto& st = self->state;
  for (auto& kv : st.produces)
    kv.second.rp.deliver(err);
  st.produces.clear();
  for (auto& kv : st.follower_fetches)
    kv.second.deliver(err);
  st.follower_fetches.clear();
  fail_waiting(st, err);
  st.fsm.reset();
  self->quit(err);
}

} // namespace cafka
