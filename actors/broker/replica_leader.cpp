// The leader side of a partition replica (see replica_state.hpp): produce with acks 0/1/all,
// followers' fetches with the KIP-320 divergence check, the high watermark, and ISR changes
// proposed to the controller through the broker.
#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/broker/replica_state.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/replication/replica_sync.hpp"

namespace cafka {

namespace {

constexpr auto alter_isr_timeout = std::chrono::seconds{10};

bool contains(const std::vector<node_id>& xs, node_id x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::string join_ids(const std::vector<node_id>& xs) {
  std::string out;
  for (auto x : xs)
    out += (out.empty() ? "" : ",") + std::to_string(x.value);
  return out;
}

int32_t min_isr(const replica_state& st) {
  return st.cfg.defaults.min_insync_replicas;
}

void finish_ack(replica_state& st, pending_ack& a) {
  if (static_cast<int32_t>(st.pm.isr.size()) < min_isr(st))
    a.rp.deliver(make_error(errc::not_enough_replicas_after_append,
                            to_string(st.cfg.tp) + ": written, but the ISR shrank to "
                              + std::to_string(st.pm.isr.size())
                              + " below min.insync.replicas ("
                              + std::to_string(min_isr(st)) + ")"));
  else
    a.rp.deliver(a.resp);
}

// Moves the high watermark up to what every ISR member has; answers acks=all produces and
// consumer long polls it unblocks.
void advance_hw(replica_self self) {
  auto& st = self->state;
  auto hw = st.tracker->high_watermark();
  if (hw <= st.hw)
    return;
  st.hw = hw;
  for (auto i = st.acks.begin(); i != st.acks.end();) {
    if (i->second.end <= st.hw) {
      finish_ack(st, i->second);
      i = st.acks.erase(i);
    } else {
      ++i;
    }
  }
  if (!st.waiting.empty())
    wake_waiting(self);
}

replica_fetch_response replica_response(const replica_state& st) {
  replica_fetch_response resp;
  resp.tp = st.cfg.tp;
  resp.epoch = st.pm.epoch;
  resp.high_watermark = st.hw;
  resp.log_start_offset = st.log->log_start_offset();
  return resp;
}

caf::expected<replica_fetch_response> read_for_follower(const replica_state& st,
                                                        const replica_fetch_request& req) {
  auto resp = replica_response(st);
  if (req.offset >= st.log->log_end_offset())
    return resp;
  auto max_bytes = static_cast<size_t>(
    std::max(1, std::min(req.max_bytes, st.cfg.defaults.replica_fetch_max_bytes)));
  auto r = st.log->read(req.offset, max_bytes);
  if (!r)
    return std::move(r.error());
  resp.records = std::move(r->data);
  return resp;
}

// Answers parked follower fetches now that the log grew.
void wake_followers(replica_self self) {
  auto& st = self->state;
  for (auto& kv : st.followers) {
    auto r = read_for_follower(st, kv.second.req);
    if (r)
      kv.second.rp.deliver(std::move(*r));
    else
      kv.second.rp.deliver(std::move(r.error()));
  }
  st.followers.clear();
}

// Where the current leader epoch's records start (the log end if it wrote none yet): a
// follower joins the ISR only once it has everything before it.
log_offset epoch_start(const replica_state& st) {
  auto latest = st.epochs.latest();
  if (latest && latest->epoch == st.pm.epoch)
    return latest->start_offset;
  return st.log->log_end_offset();
}

void propose_isr(replica_self self, std::vector<node_id> isr) {
  auto& st = self->state;
  auto owner = caf::actor_cast<broker_actor>(st.cfg.owner);
  if (!owner)
    return; // no broker (unit tests): the ISR stays as configured
  // Keep the replicas' order so views compare equal across brokers.
  std::vector<node_id> ordered;
  for (auto r : st.pm.replicas)
    if (contains(isr, r))
      ordered.push_back(r);
  alter_isr_request req{st.cfg.tp, st.cfg.self, st.pm.epoch, st.pm.partition_epoch, ordered};
  spdlog::info("partition {}: proposing ISR {} (was {})", to_string(st.cfg.tp),
               join_ids(ordered), join_ids(st.pm.isr));
  st.isr_change_in_flight = true;
  // Until the controller answers, the high watermark counts the maximal ISR (the current
  // one plus every replica being added), as Kafka's pending AlterPartition state does: a
  // joining follower is in the ISR the moment the change commits, so nothing past its log
  // end may be acknowledged meanwhile, or a later election could pick it without them.
  std::vector<node_id> maximal = st.pm.isr;
  for (auto r : ordered)
    if (!contains(maximal, r))
      maximal.push_back(r);
  st.tracker->set_isr(std::move(maximal));
  auto epoch = st.pm.epoch;
  self->request(owner, alter_isr_timeout, alter_isr_atom::value, std::move(req))
    .then(
      [=](partition_metadata& pm) {
        self->state.isr_change_in_flight = false;
        adopt_partition(self, pm);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        st.isr_change_in_flight = false;
        if (st.tracker)
          st.tracker->set_isr(st.pm.isr);  // back to the committed ISR
        if (st.pm.epoch == epoch)
          spdlog::warn("partition {}: ISR change refused: {}", to_string(st.cfg.tp),
                       describe(err));
      });
}

void maybe_expand_isr(replica_self self, node_id follower) {
  auto& st = self->state;
  if (st.isr_change_in_flight || contains(st.pm.isr, follower))
    return;
  auto end = st.tracker->log_end(follower);
  if (end < st.hw || end < epoch_start(st))
    return;
  auto isr = st.pm.isr;
  isr.push_back(follower);
  propose_isr(self, std::move(isr));
}

// Parks an acks=all answer until the high watermark reaches `end` (or the timeout).
caf::result<produce_response> park_ack(replica_self self, log_offset end,
                                       produce_response resp, int32_t timeout_ms) {
  auto& st = self->state;
  auto rp = self->make_response_promise<produce_response>();
  auto id = st.next_wait_id++;
  st.acks.emplace(id, pending_ack{end, std::move(resp), rp});
  self->delayed_send(self, std::chrono::milliseconds{std::max(1, timeout_ms)},
                     expire_atom::value, expire_ack_kind, id);
  return rp;
}

} // namespace

caf::result<produce_response> leader_produce(replica_self self, produce_request& req) {
  auto& st = self->state;
  if (!st.leading())
    return not_leader(st);
  auto max = static_cast<size_t>(st.cfg.defaults.message_max_bytes);
  if (req.batch.size() > max)
    return make_error(errc::message_too_large,
                      "record batch of " + std::to_string(req.batch.size())
                        + " bytes exceeds message.max.bytes (" + std::to_string(max) + ")");
  if (auto err = validate_batch(req.batch))
    return err;
  batch_header h;
  read_batch_header(req.batch.data(), req.batch.size(), h);
  if (h.is_transactional() || h.is_control())
    return make_error(errc::invalid_request, to_string(st.cfg.tp) + ": transactional and "
                                               "control batches are not supported");
  if (req.acks == -1 && static_cast<int32_t>(st.pm.isr.size()) < min_isr(st))
    return make_error(errc::not_enough_replicas,
                      to_string(st.cfg.tp) + ": the ISR has " + std::to_string(st.pm.isr.size())
                        + " member(s), fewer than min.insync.replicas ("
                        + std::to_string(min_isr(st)) + "); nothing was written");
  // Idempotence: a retried batch already in the log is answered with its first offset.
  auto checked = st.producers.check(h);
  if (!checked)
    return std::move(checked.error());
  if (checked->kind == check_result::duplicate) {
    produce_response resp{req.tp, checked->base_offset, st.log->log_start_offset()};
    auto end = checked->last_offset + 1;
    if (req.acks != -1 || st.hw >= end)
      return resp;
    return park_ack(self, end, resp, req.timeout_ms);
  }
  set_partition_leader_epoch(req.batch.data(), st.pm.epoch);
  // First write of a new leader epoch: record where it starts (KIP-101).
  st.note_epoch(st.pm.epoch, st.log->log_end_offset());
  auto end_before = st.log->log_end_offset();
  auto base = st.log->append(req.batch, now_ms());
  if (!base) {
    spdlog::error("partition {}: append failed: {}", to_string(st.cfg.tp),
                  describe(base.error()));
    // A failed write is cut off again and the log stays as it was. A failed fsync after the
    // write leaves pages of unknown state (the kernel may have dropped them): the replica
    // stops, and the broker reopens it with backoff, flushing it before it serves again.
    if (st.log->log_end_offset() != end_before)
      fail_replica(self, base.error());
    return std::move(base.error());
  }
  h.base_offset = base->value;
  st.producers.on_append(h);
  auto end = st.log->log_end_offset();
  st.tracker->leader_appended(end);
  if (!st.followers.empty())
    wake_followers(self);
  advance_hw(self);
  produce_response resp{req.tp, *base, st.log->log_start_offset()};
  if (req.acks != -1)
    return resp;
  if (st.hw >= end) {
    auto rp = self->make_response_promise<produce_response>();
    pending_ack a{end, resp, rp};
    finish_ack(st, a);
    return rp;
  }
  return park_ack(self, end, resp, req.timeout_ms);
}

caf::result<replica_fetch_response> leader_replica_fetch(replica_self self,
                                                         replica_fetch_request& req) {
  auto& st = self->state;
  if (req.epoch > st.pm.epoch) {
    if (st.leading()) {
      // A follower of a newer epoch: another leader was elected; take no more writes.
      spdlog::warn("partition {}: a follower is in leader epoch {} > {}; this replica no "
                   "longer leads",
                   to_string(st.cfg.tp), req.epoch.value, st.pm.epoch.value);
      st.deposed = true;
      stop_leading(self, not_leader(st));
    }
    return make_error(errc::unknown_leader_epoch,
                      to_string(st.cfg.tp) + ": leader epoch " + to_string(req.epoch)
                        + " is newer than this replica's " + to_string(st.pm.epoch));
  }
  if (req.epoch < st.pm.epoch)
    return make_error(errc::fenced_leader_epoch,
                      to_string(st.cfg.tp) + ": leader epoch " + to_string(req.epoch)
                        + " is older than the current " + to_string(st.pm.epoch));
  if (!st.leading())
    return not_leader(st);
  auto end = st.log->log_end_offset();
  auto start = st.log->log_start_offset();
  if (auto d = find_divergence(st.epochs, start, end, req.last_fetched_epoch, req.offset)) {
    auto resp = replica_response(st);
    resp.diverging_epoch = d->epoch;
    // end_offset -1 (no common epoch): "keep only what is committed", i.e. the log start.
    resp.diverging_end_offset = d->end_offset >= log_offset{0} ? d->end_offset
                                                               : st.log->log_start_offset();
    return resp;
  }
  if (req.offset < start)
    return replica_response(st); // the follower restarts its log at our log start
  if (req.offset > end)
    return make_error(errc::offset_out_of_range,
                      to_string(st.cfg.tp) + ": follower offset " + to_string(req.offset)
                        + " is outside [" + to_string(st.log->log_start_offset()) + ", "
                        + to_string(end) + "]");
  st.tracker->follower_fetched(req.follower, req.offset, self->clock().now());
  advance_hw(self);
  maybe_expand_isr(self, req.follower);
  auto r = read_for_follower(st, req);
  if (!r)
    return std::move(r.error());
  if (!r->records.empty() || req.max_wait_ms <= 0)
    return std::move(*r);
  auto id = st.next_wait_id++;
  auto rp = self->make_response_promise<replica_fetch_response>();
  st.followers.emplace(id, pending_replica_fetch{req, rp});
  self->delayed_send(self, std::chrono::milliseconds{req.max_wait_ms}, expire_atom::value,
                     expire_follower_fetch_kind, id);
  return rp;
}

void leader_tick(replica_self self) {
  auto& st = self->state;
  if (!st.tracker || st.isr_change_in_flight)
    return;
  auto lag_max = std::chrono::milliseconds{st.cfg.defaults.replica_lag_time_max_ms};
  auto lagging = st.tracker->lagging(self->clock().now(), lag_max);
  if (lagging.empty())
    return;
  std::vector<node_id> isr;
  for (auto r : st.pm.isr)
    if (!contains(lagging, r))
      isr.push_back(r);
  spdlog::warn("partition {}: follower(s) {} behind for more than {} ms; shrinking the ISR",
               to_string(st.cfg.tp), join_ids(lagging),
               lag_max.count());
  propose_isr(self, std::move(isr));
}

void become_leader(replica_self self) {
  auto& st = self->state;
  ++st.fetch_generation; // answers to a follower fetch in flight are dropped
  st.fetching = false;
  auto isr = st.pm.isr;
  if (!contains(isr, st.cfg.self)) {
    spdlog::error("partition {}: leader {} is not in the ISR it was given; adding it",
                  to_string(st.cfg.tp), st.cfg.self.value);
    isr.push_back(st.cfg.self);
  }
  auto replicas = st.pm.replicas;
  if (!contains(replicas, st.cfg.self))
    replicas.push_back(st.cfg.self);
  st.hw = std::min(st.hw, st.log->log_end_offset());
  st.tracker.emplace(st.cfg.self, replicas, isr, st.log->log_end_offset(), st.hw,
                     self->clock().now());
  st.isr_change_in_flight = false;
  spdlog::info("partition {}: leading in epoch {} (log end {}, high watermark {})",
               to_string(st.cfg.tp), st.pm.epoch.value, st.log->log_end_offset().value,
               st.hw.value);
  advance_hw(self);
}

void stop_leading(replica_self self, const caf::error& err) {
  auto& st = self->state;
  for (auto& kv : st.acks)
    kv.second.rp.deliver(err);
  st.acks.clear();
  for (auto& kv : st.followers)
    kv.second.rp.deliver(err);
  st.followers.clear();
  for (auto& kv : st.waiting)
    kv.second.rp.deliver(err);
  st.waiting.clear();
  st.tracker.reset();
  st.isr_change_in_flight = false;
}

void fail_replica(replica_self self, const caf::error& err) {
  stop_leading(self, err);
  self->quit(err);
}

void expire_ack(replica_self self, uint64_t id) {
  auto& st = self->state;
  auto i = st.acks.find(id);
  if (i == st.acks.end())
    return;
  i->second.rp.deliver(make_error(errc::request_timed_out,
                                  to_string(st.cfg.tp)
                                    + ": not every in-sync replica confirmed the batch in time"));
  st.acks.erase(i);
}

void expire_follower_fetch(replica_self self, uint64_t id) {
  auto& st = self->state;
  auto i = st.followers.find(id);
  if (i == st.followers.end())
    return;
  i->second.rp.deliver(replica_response(st));
  st.followers.erase(i);
}

} // namespace cafka
