// The follower side of a partition replica (see replica_state.hpp): one fetch in flight to
// the leader at a time, a fetch right after each answer (the leader long-polls), truncation
// of a divergent tail, and a copy of the leader's batches with their offsets and epochs.
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

constexpr auto fetch_retry_backoff = std::chrono::milliseconds{50};
// Beyond the leader's long-poll wait: a hung leader's node costs at most this much.
constexpr auto fetch_timeout_slack = std::chrono::milliseconds{2000};

void retry_later(replica_self self) {
  self->delayed_send(self, fetch_retry_backoff, wake_atom::value,
                     self->state.fetch_generation);
}

// Truncates the log to `at` and the epoch history with it.
void truncate(replica_state& st, log_offset at) {
  auto end = st.log->log_end_offset();
  spdlog::warn("partition {}: truncating the divergent tail [{}, {}) to follow leader {} "
               "(epoch {})",
               to_string(st.cfg.tp), at.value, end.value, st.pm.leader.value,
               st.pm.epoch.value);
  if (auto err = st.log->truncate_to(at)) {
    spdlog::error("partition {}: truncation failed: {}", to_string(st.cfg.tp), describe(err));
    return;
  }
  st.epochs.truncate_from_end(at);
  st.save_epochs();
  st.producers.truncate(st.log->log_end_offset());
  st.save_producers();
  st.hw = std::min(st.hw, at);
}

enum class copy_result { ok, failed, stopped };

// Appends the batches of a fetch answer that continue the log. `failed` on a storage error;
// `stopped` after one that left the batch in the log (a failed fsync): the replica stops, to
// be reopened by its broker (see leader_produce).
copy_result copy_batches(replica_self self, const std::string& records) {
  auto& st = self->state;
  auto plan = plan_follower_copy(records, st.log->log_end_offset());
  if (plan.gap)
    spdlog::warn("partition {}: the leader's answer skips offsets after {}; fetching again",
                 to_string(st.cfg.tp), st.log->log_end_offset().value);
  size_t pos = plan.skip_bytes;
  auto stop = plan.skip_bytes + plan.append_bytes;
  auto now = now_ms();
  while (pos < stop) {
    batch_header h;
    read_batch_header(records.data() + pos, records.size() - pos, h);
    std::string_view batch{records.data() + pos, h.total_size()};
    // The epoch history follows the batches' stamped epochs (KIP-101).
    st.note_epoch(leader_epoch{h.partition_leader_epoch}, log_offset{h.base_offset});
    auto end_before = st.log->log_end_offset();
    if (auto err = st.log->append_replicated(batch, now)) {
      spdlog::error("partition {}: cannot append a replicated batch: {}", to_string(st.cfg.tp),
                    describe(err));
      if (st.log->log_end_offset() == end_before)
        return copy_result::failed;
      fail_replica(self, err);
      return copy_result::stopped;
    }
    // A new leader needs the idempotence table its predecessor built.
    st.producers.on_append(h);
    pos += h.total_size();
  }
  return copy_result::ok;
}

void on_fetched(replica_self self, replica_fetch_response& resp) {
  auto& st = self->state;
  if (resp.diverging_end_offset >= log_offset{0}) {
    auto end = st.log->log_end_offset();
    auto at = truncation_point(st.epochs, end, st.hw,
                               epoch_end{resp.diverging_epoch, resp.diverging_end_offset});
    if (at >= end) {
      // Nothing left to cut (e.g. the leader's log start is past this log): wait and retry.
      spdlog::warn("partition {}: leader {} reports a divergence at epoch {} offset {} that "
                   "truncation cannot resolve (log end {}, high watermark {})",
                   to_string(st.cfg.tp), st.pm.leader.value, resp.diverging_epoch.value,
                   resp.diverging_end_offset.value, end.value, st.hw.value);
      retry_later(self);
      return;
    }
    truncate(st, at);
    follower_fetch(self);
    return;
  }
  if (resp.records.empty() && resp.log_start_offset > st.log->log_end_offset()) {
    // The leader no longer has the records after this log's end (retention): start over
    // at its log start, as Kafka's truncateFullyAndStartAt.
    spdlog::warn("partition {}: leader {} starts at offset {}, past this log's end {}; "
                 "restarting the log there",
                 to_string(st.cfg.tp), st.pm.leader.value, resp.log_start_offset.value,
                 st.log->log_end_offset().value);
    if (auto err = st.log->truncate_fully_and_start_at(resp.log_start_offset)) {
      spdlog::error("partition {}: cannot restart the log: {}", to_string(st.cfg.tp),
                    describe(err));
      retry_later(self);
      return;
    }
    st.epochs = leader_epoch_cache{};
    st.save_epochs();
    st.producers.clear();
    st.producers.start_at(resp.log_start_offset);
    st.save_producers();
    st.hw = resp.log_start_offset;
    follower_fetch(self);
    return;
  }
  if (auto r = copy_batches(self, resp.records); r != copy_result::ok) {
    if (r == copy_result::failed)
      retry_later(self);
    return;
  }
  st.hw = std::max(st.hw, std::min(resp.high_watermark, st.log->log_end_offset()));
  follower_fetch(self);
}

} // namespace

void follower_fetch(replica_self self) {
  auto& st = self->state;
  if (!st.following() || !st.leader_broker || st.fetching || !st.log)
    return;
  auto leader = caf::actor_cast<broker_actor>(st.leader_broker);
  replica_fetch_request req;
  req.tp = st.cfg.tp;
  req.follower = st.cfg.self;
  req.epoch = st.pm.epoch;
  req.offset = st.log->log_end_offset();
  auto latest = st.epochs.latest();
  req.last_fetched_epoch = latest ? latest->epoch : leader_epoch{-1};
  req.max_bytes = st.cfg.defaults.replica_fetch_max_bytes;
  req.max_wait_ms = st.cfg.defaults.replica_fetch_wait_max_ms;
  if (st.cfg.io.faults->exchange_lost(st.cfg.self, st.pm.leader)) {
    // Fault injection cut the link: the fetch is lost and times out, as on a real network.
    // A new generation makes this the only retry scheduled.
    auto next = ++st.fetch_generation;
    self->delayed_send(self, std::chrono::milliseconds{req.max_wait_ms} + fetch_timeout_slack,
                       wake_atom::value, next);
    return;
  }
  auto generation = st.fetch_generation;
  st.fetching = true;
  self
    ->request(leader, std::chrono::milliseconds{req.max_wait_ms} + fetch_timeout_slack,
              replica_fetch_atom::value, std::move(req))
    .then(
      [=](replica_fetch_response& resp) {
        auto& st = self->state;
        if (generation != st.fetch_generation)
          return;
        st.fetching = false;
        on_fetched(self, resp);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        if (generation != st.fetch_generation)
          return;
        st.fetching = false;
        // Leader changes show up here first (fenced/unknown epoch, not leader); the
        // metadata push that follows starts a new fetch generation.
        spdlog::debug("partition {}: fetch from leader {} failed: {}", to_string(st.cfg.tp),
                      st.pm.leader.value, describe(err));
        retry_later(self);
      });
}

void become_follower(replica_self self) {
  auto& st = self->state;
  ++st.fetch_generation;
  st.fetching = false;
  if (st.leader_broker_id != st.pm.leader) {
    st.leader_broker = nullptr; // the broker sends the new leader's handle (peer_atom)
    st.leader_broker_id = node_id{-1};
  }
  spdlog::info("partition {}: following leader {} in epoch {} from offset {}",
               to_string(st.cfg.tp), st.pm.leader.value, st.pm.epoch.value,
               st.log->log_end_offset().value);
  follower_fetch(self);
}

} // namespace cafka
