// Compaction of a partition replica's log (its topic's cleanup.policy has compact): the log
// cleaner (runtime/storage/log_cleaner.hpp) in bounded steps between the replica's other
// messages, below the high watermark, holding one of the node's cleaner slots for the length
// of a pass (see replica_state.hpp). Replica actor context.
#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/broker/replica_metrics.hpp"
#include "actors/broker/replica_state.hpp"
#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

cleaner_config cleaner_config_of(const replica_config& cfg) {
  cleaner_config out;
  out.dedupe_buffer_bytes = static_cast<size_t>(cfg.defaults.log_cleaner_dedupe_buffer_size);
  out.delete_retention_ms = cfg.topic->delete_retention_ms;
  out.min_cleanable_dirty_ratio = cfg.topic->min_cleanable_dirty_ratio;
  return out;
}

void queue_step(replica_self self, uint64_t moved_bytes) {
  auto& st = self->state;
  st.clean_queued = true;
  auto rate = st.cfg.defaults.log_cleaner_io_max_bytes_per_second;
  if (rate > 0 && moved_bytes > 0) {
    auto wait = static_cast<int64_t>(moved_bytes * 1000 / static_cast<uint64_t>(rate));
    self->delayed_send(self, std::chrono::milliseconds{wait}, clean_atom::value);
  } else {
    self->send(self, clean_atom::value);
  }
}

} // namespace

void stop_cleaning(replica_state& st) {
  if (st.cleaner)
    st.cleaner->abort();
  st.cleaner.reset();  // a new one takes the topic's current delete.retention.ms and ratio
  st.cleaner_slot.reset();
}

void maybe_clean(replica_self self, int64_t now) {
  auto& st = self->state;
  if (!st.cfg.topic->cleanup_compact || !st.log || !st.fsm || st.cleaner_slot)
    return;
  if (now - st.last_cleaner_check_ms < st.cfg.defaults.log_cleaner_backoff_ms)
    return;
  st.last_cleaner_check_ms = now;
  if (!st.cleaner)
    st.cleaner = std::make_unique<log_cleaner>(cleaner_config_of(st.cfg));
  auto due = st.cleaner->needs_cleaning(*st.log, st.fsm->high_watermark());
  if (!due) {
    spdlog::error("partition {}: cannot tell whether to clean: {}", to_string(st.cfg.tp),
                  describe(due.error()));
    return;
  }
  if (!*due)
    return;
  st.cleaner_slot = cleaner_slots::try_take(st.cfg.cleaning);
  if (st.cleaner_slot && !st.clean_queued)
    queue_step(self, 0);
}

void clean_step(replica_self self) {
  auto& st = self->state;
  st.clean_queued = false;
  if (!st.cleaner_slot)
    return;  // the pass was dropped meanwhile
  if (!st.cleaner || !st.log || !st.fsm) {
    stop_cleaning(st);
    return;
  }
  auto step = st.cleaner->step(*st.log, st.fsm->high_watermark(), wall_ms());
  if (!step) {
    spdlog::error("partition {}: cleaning stopped: {}", to_string(st.cfg.tp),
                  describe(step.error()));
    if (errc_of(step.error()) == errc::storage_error) {
      fail_replica(self, step.error());  // the broker reopens the log, which finishes a swap
      return;
    }
    stop_cleaning(st);
    return;
  }
  update_partition_series(st, true);  // an installed segment changes the log's size
  if (!step->done) {
    queue_step(self, step->bytes_read + step->bytes_written);
    return;
  }
  auto& s = st.cleaner->stats();
  spdlog::info("partition {}: cleaned up to offset {} ({} records and {} tombstones removed, "
               "{} segments written so far)",
               to_string(st.cfg.tp), to_string(st.cleaner->cleaned_up_to()),
               s.records_removed, s.tombstones_removed, s.segments_installed);
  st.cleaner_slot.reset();
}

} // namespace cafka
