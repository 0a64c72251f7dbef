// The partition replica's periodic tick (flush, retention, snapshots, checkpoints, compaction,
// the ISR shrink check), rare while none of it is pending: at rest the ticks of ten thousand
// replicas were most of what a node did. Replica actor context only.
#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/broker/replica_metrics.hpp"
#include "actors/broker/replica_state.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"

namespace cafka {

namespace {

// How often a replica snapshots its idempotence table (bounds the replay after a crash).
constexpr int64_t producer_snapshot_interval_ms = 30000;

// A quiet tick comes this much after the interval its checks count (by the wall clock, which
// may run a little slower than the actor clock that arms the tick), so none finds itself early.
constexpr int64_t quiet_margin_ms = 1000;

// The intervals of the checks every replica makes, pending or not: retention, flush.ms,
// compaction.
int64_t upkeep_interval(const replica_state& st) {
  auto& d = st.cfg.defaults;
  auto& topic = *st.cfg.topic;
  int64_t every = d.log_retention_check_interval_ms;
  if (topic.log.flush_ms > 0)
    every = std::min<int64_t>(every, topic.log.flush_ms);
  if (topic.cleanup_compact)
    every = std::min<int64_t>(every, d.log_cleaner_backoff_ms);
  return std::max<int64_t>(every, 1);
}

// With a checkpoint, a snapshot, a flush or an ISR shrink check pending: the checkpoint
// interval, and at least two ISR shrink checks per replica-lag-time-max-ms.
int64_t busy_interval(const replica_state& st) {
  auto& d = st.cfg.defaults;
  int64_t every = std::min<int64_t>(upkeep_interval(st), d.replica_hw_checkpoint_interval_ms);
  every = std::min<int64_t>(every, std::max<int64_t>(d.replica_lag_time_max_ms / 2, 5));
  return std::max<int64_t>(every, 1);
}

// Nothing for a tick to do but the periodic checks: the checkpoints and the snapshot hold the
// current high watermark and log end, the log has nothing to sync, no ISR follower is behind.
bool quiet(const replica_state& st) {
  return st.saved_hw == st.fsm->high_watermark()
         && st.snapshot_log_end == st.log->log_end_offset() && !st.log->upkeep_pending()
         && !st.fsm->followers_behind();
}

void arm_tick(replica_self self, int64_t in_ms) {
  auto& st = self->state;
  st.tick_at = mono_ms(self) + in_ms;
  self->delayed_send(self, std::chrono::milliseconds{in_ms}, caf::tick_atom::value,
                     static_cast<uint64_t>(st.tick_at));
}

// Only topics whose cleanup.policy has delete (not __consumer_offsets, whose committed offsets
// and group state compaction keeps).
void enforce_retention(replica_self self, int64_t now) {
  auto& st = self->state;
  if (now - st.last_retention_check_ms < st.cfg.defaults.log_retention_check_interval_ms
      || !st.cfg.topic->cleanup_delete)
    return;
  st.last_retention_check_ms = now;
  auto n = st.log->enforce_retention(now);
  if (!n) {
    spdlog::error("partition {}: retention failed: {}", to_string(st.cfg.tp),
                  describe(n.error()));
    return;
  }
  if (*n == 0)
    return;
  spdlog::info("partition {}: retention deleted {} segment(s), log start is now {}",
               to_string(st.cfg.tp), *n, st.log->log_start_offset());
  st.fsm->log_start_moved(st.log->log_start_offset());
  update_partition_series(st, true);  // the log's start and size moved
}

} // namespace

void schedule_tick(replica_self self) {
  auto& st = self->state;
  if (st.fsm && st.log && quiet(st))
    arm_tick(self, upkeep_interval(st) + quiet_margin_ms);
  else
    arm_tick(self, busy_interval(st));
}

void tick_sooner_if_busy(replica_self self) {
  auto& st = self->state;
  if (!st.fsm || !st.log)
    return;
  auto busy = busy_interval(st);
  if (st.tick_at <= mono_ms(self) + busy || quiet(st))
    return;
  arm_tick(self, busy);  // the tick armed before is ignored when it comes
}

void on_tick(replica_self self, uint64_t at) {
  auto& st = self->state;
  if (static_cast<int64_t>(at) != st.tick_at || !st.fsm || !st.log)
    return;
  auto now = now_ms();
  if (auto err = st.log->maybe_flush(now)) {
    spdlog::error("partition {}: flush failed: {}", to_string(st.cfg.tp), describe(err));
    fail_replica(self, err);
    return;
  }
  enforce_retention(self, now);
  st.fsm->expire_producers(now, default_producer_id_expiration_ms);
  if (now - st.last_producer_snapshot_ms >= producer_snapshot_interval_ms) {
    // Nothing appended since the last snapshot: a new one would bound no more replay (and
    // costs two fsyncs per replica and interval at rest).
    if (st.log->log_end_offset() != st.snapshot_log_end)
      st.save_producers();
    else
      st.last_producer_snapshot_ms = now;
  }
  if (now - st.last_hw_checkpoint_ms >= st.cfg.defaults.replica_hw_checkpoint_interval_ms)
    st.save_high_watermark();
  maybe_clean(self, now);
  st.fsm->tick(mono_ms(self));
  drive(self);
  schedule_tick(self);
}

} // namespace cafka
