// partition_log's recovery checkpoint (<dir>/recovery-point-checkpoint): which point open
// trusts, and keeping the file true as the log is flushed, rolled and truncated. See
// "Recovery checkpoint" in docs/storage-format.md.
#include "runtime/storage/partition_log.hpp"

#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/storage/segment.hpp"

namespace cafka {

std::optional<recovery_checkpoint>
partition_log::read_checkpoint(storage::env& env, const std::string& dir, bool has_segments) {
  auto c = load_recovery_checkpoint(env, dir);
  if (!c) {
    spdlog::warn("partition log {}: ignoring {}: {}; checking the last segment in full", dir,
                 recovery_checkpoint_file, describe(c.error()));
    return std::nullopt;
  }
  if (!*c && has_segments)
    spdlog::warn("partition log {}: no {}; checking the last segment in full", dir,
                 recovery_checkpoint_file);
  return std::move(*c);
}

std::optional<recovery_point>
partition_log::trusted_point(const std::string& dir, const recovery_checkpoint& c,
                             const std::vector<log_offset>& bases) {
  // A killed process loses nothing it wrote; a crash of the machine loses what was not
  // fsynced, and brings a new boot id.
  bool same_boot = !c.boot_id.empty() && c.boot_id == current_boot_id();
  auto point = same_boot && c.written ? c.written : c.durable;
  if (point && (bases.empty() || point->segment_base > bases.back())) {
    spdlog::warn("partition log {}: ignoring {}: its point in segment {} is past the last "
                 "segment; checking the last segment in full",
                 dir, recovery_checkpoint_file, to_string(point->segment_base));
    return std::nullopt;
  }
  return point;
}

caf::error partition_log::for_each_header(
  log_offset from, const std::function<caf::error(const batch_header&)>& f) const {
  if (from < log_start_offset())
    return make_error(errc::offset_out_of_range,
                      "offset " + to_string(from) + " is before the start of " + dir_);
  for (auto& seg : segments_) {
    if (seg->next_offset() <= from)
      continue;
    if (auto err = seg->for_each_header(from, f))
      return err;
  }
  return caf::none;
}

caf::error partition_log::sync_segments() {
  // Usually only the active segment is dirty, plus the one sealed by a roll since.
  for (auto& seg : segments_)
    if (auto err = seg->flush())
      return err;
  if (dir_dirty_) {
    if (auto err = env_.sync_dir(dir_))
      return err;
    dir_dirty_ = false;
  }
  unflushed_messages_ = 0;
  if (auto end = segments_.back()->end_point()) {
    if (end != durable_point_)
      mark_stale_ = true;
    durable_point_ = end;
  }
  return caf::none;
}

caf::error partition_log::flush() {
  if (auto err = sync_segments())
    return err;
  if (auto err = save_checkpoint(true))
    spdlog::warn("partition log {}: cannot write {}: {} (the next open checks more)", dir_,
                 recovery_checkpoint_file, describe(err));
  return caf::none;
}

caf::error partition_log::save_checkpoint(bool durable) {
  recovery_checkpoint c;
  c.boot_id = current_boot_id();
  c.durable = durable_point_;
  c.written = segments_.back()->end_point();
  if (!c.written)
    c.written = durable_point_;  // the end is unknown (a failed rescan): no further
  if (auto err = save_recovery_checkpoint(env_, dir_, c, durable))
    return err;
  saved_written_ = c.written;
  mark_stale_ = false;
  unmarked_bytes_ = 0;
  mark_warned_ = false;
  return caf::none;
}

void partition_log::try_save_checkpoint() {
  if (auto err = save_checkpoint(false); err && !mark_warned_) {
    mark_warned_ = true;
    spdlog::warn("partition log {}: cannot write {}: {} (the next open checks more)", dir_,
                 recovery_checkpoint_file, describe(err));
  }
}

void partition_log::maybe_save_checkpoint(int64_t now_ms) {
  if (!mark_stale_)
    return;
  if (unmarked_bytes_ < recovery_mark_bytes && now_ms - last_mark_ms_ < recovery_mark_ms
      && now_ms >= last_mark_ms_)
    return;
  last_mark_ms_ = now_ms;
  try_save_checkpoint();
}

caf::error partition_log::drop_checkpoint_from(log_offset offset) {
  auto reaches = [&](const std::optional<recovery_point>& p) {
    return p && p->next_offset >= offset;
  };
  // The file may hold a point this object has not seen (one open did not trust): gone too.
  if (!reaches(durable_point_) && !reaches(saved_written_) && saved_written_)
    return caf::none;
  if (auto err = remove_recovery_checkpoint(env_, dir_))
    return err;
  saved_written_.reset();
  mark_stale_ = true;
  return caf::none;
}

void partition_log::checkpoint_truncation() {
  // The records below the cut that were fsynced stay so: the fsynced point moves back with
  // the end (the cut itself is durable at the next flush; until then a crash may bring back
  // the cut records, which the check after the point then sees whole).
  auto end = segments_.back()->end_point();
  if (durable_point_ && (!end || durable_point_->next_offset >= log_end_offset()
                         || durable_point_->segment_base > end->segment_base))
    durable_point_ = end;
  mark_stale_ = true;
  try_save_checkpoint();
}

} // namespace cafka
