#include "runtime/storage/partition_log.hpp"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <system_error>

#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/storage/recovery_point.hpp"
#include "runtime/storage/segment.hpp"
#include "runtime/storage/segment_swap.hpp"

namespace cafka {

namespace {

namespace fs = std::filesystem;

// Segment base offsets above this are refused, and appends stop there (offsets exhausted).
constexpr int64_t max_base_offset = segment::max_base_offset;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// now - then, without overflow for any inputs.
__int128 age_ms(int64_t then, int64_t now) {
  return static_cast<__int128>(now) - then;
}

segment_config segment_config_of(const log_config& cfg) {
  return segment_config{cfg.segment_bytes, cfg.index_interval_bytes};
}

} // namespace

partition_log::partition_log(storage::env& env, std::string dir, log_config cfg)
  : env_(env), dir_(std::move(dir)), cfg_(cfg) {
  static std::atomic<uint64_t> instances{0};
  instance_ = ++instances;
}

partition_log::~partition_log() = default;

caf::expected<std::unique_ptr<partition_log>>
partition_log::open(storage::env& env, std::string dir, log_config cfg, int64_t now_ms,
                    bool settle) {
  if (cfg.segment_bytes == 0 || cfg.segment_bytes > std::numeric_limits<uint32_t>::max())
    return make_error(errc::invalid_config,
                      "segment bytes must be in [1, 4294967295], not "
                        + std::to_string(cfg.segment_bytes));
  if (auto err = env.create_dirs(dir))
    return err;
  // A log cleaner's replacement cut short: finished or undone before the segments are read.
  if (auto swapped = recover_swap_files(env, dir); !swapped)
    return std::move(swapped.error());
  auto entries = env.list_dir(dir);
  if (!entries)
    return std::move(entries.error());
  // The directory's segment logs, indexes, and leftovers of interrupted operations.
  std::vector<log_offset> bases;
  std::set<std::pair<log_offset, const char*>> indexes;
  std::vector<std::string> stray;
  for (auto& e : *entries) {
    if (!e.is_file)
      continue;
    auto& name = e.name;
    if (auto base = segment::parse_file_name(name, ".log"))
      bases.push_back(*base);
    else if (auto base = segment::parse_file_name(name, ".index"))
      indexes.emplace(*base, ".index");
    else if (auto base = segment::parse_file_name(name, ".timeindex"))
      indexes.emplace(*base, ".timeindex");
    else if (ends_with(name, ".tmp") || ends_with(name, ".deleted"))
      stray.push_back(name);
  }
  bool dir_changed = false;
  for (auto& name : stray) {
    if (auto err = env.remove((fs::path{dir} / name).string()))
      return err;
    spdlog::warn("partition log {}: removed leftover file {}", dir, name);
    dir_changed = true;
  }
  std::sort(bases.begin(), bases.end());
  for (auto [base, ext] : indexes) {
    if (std::binary_search(bases.begin(), bases.end(), base))
      continue;
    if (auto err = env.remove((fs::path{dir} / segment::file_name(base, ext)).string()))
      return err;
    spdlog::warn("partition log {}: removed index {} that has no log file", dir,
                 segment::file_name(base, ext));
    dir_changed = true;
  }
  std::unique_ptr<partition_log> log{new partition_log(env, dir, cfg)};
  // The bytes before the recovery point are known intact: only those after it are checked.
  auto ckpt = read_checkpoint(env, dir, !bases.empty());
  std::optional<recovery_point> point;
  if (ckpt)
    point = trusted_point(dir, *ckpt, bases);
  bool resumed = false;
  auto scfg = segment_config_of(cfg);
  for (size_t i = 0; i < bases.size(); ++i) {
    bool tail = i + 1 == bases.size();
    bool truncated = false;
    segment_check how;
    how.tail = tail;
    if (point && bases[i] > point->segment_base) {
      how.all_batches = !tail;
    } else if (point && bases[i] == point->segment_base) {
      how.all_batches = !tail;
      how.resume = tail ? &*point : nullptr;
      how.resumed = &resumed;
    }
    auto seg = segment::open(env, dir, bases[i], scfg, how, truncated);
    if (!seg)
      return std::move(seg.error());
    // Segments never overlap: one that does is damage, not something to repair by deleting.
    if (!tail && (*seg)->next_offset() > bases[i + 1])
      return make_error(errc::corrupt_message,
                        (*seg)->log_path() + ": ends at offset "
                          + to_string((*seg)->next_offset()) + ", past the start of "
                          + segment::file_name(bases[i + 1], ".log"));
    log->segments_.push_back(std::move(*seg));
  }
  // Without a trusted point, sealed segments were not checked, and no fsync vouches for
  // them either.
  if (point)
    log->unsynced_from_ = resumed ? point->next_offset : point->segment_base;
  if (log->segments_.empty()) {
    auto seg = segment::create(env, dir, log_offset{0}, scfg);
    if (!seg)
      return std::move(seg.error());
    log->segments_.push_back(std::move(*seg));
    dir_changed = true;
  }
  if (auto err = log->segments_.back()->unseal())
    return err;
  if (dir_changed) {
    if (auto err = env.sync_dir(dir))
      return err;
  }
  // The fsynced point stays known while the point open resumed from is the checkpoint's.
  if (ckpt && resumed)
    log->durable_point_ = ckpt->durable;
  log->opened_unflushed_ = !log->durable_point_
                           || log->durable_point_ != log->segments_.back()->end_point();
  log->last_flush_ms_ = now_ms;
  log->last_mark_ms_ = now_ms;
  log->settle_marks_ = !ckpt || ckpt->boot_id != current_boot_id()
                      || ckpt->durable != log->durable_point_
                      || ckpt->written != log->segments_.back()->end_point();
  if (!log->settle_marks_)
    log->saved_written_ = ckpt->written;
  if (settle) {
    if (auto err = log->settle())
      return err;
  }
  return log;
}

caf::error partition_log::settle() {
  // With a flush policy, what the log holds is made durable before it serves anything: a
  // replica reopened after a failed fsync must not ack what is only in the page cache.
  if (has_flush_policy()) {
    for (auto& seg : segments_)
      seg->mark_dirty();
    return flush();
  }
  // What open checked is now the written point of this boot.
  if (settle_marks_)
    try_save_checkpoint();
  settle_marks_ = false;
  return caf::none;
}

caf::expected<log_offset> partition_log::append(std::string& batch, int64_t now_ms) {
  batch_header h;
  if (!read_batch_header(batch.data(), batch.size(), h) || h.total_size() != batch.size()
      || h.total_size() < batch_header_size || h.last_offset_delta < 0)
    return make_error(errc::corrupt_message, "append to " + dir_ + ": not one whole batch");
  auto base = log_end_offset();
  int64_t count = int64_t{h.last_offset_delta} + 1;
  if (base > log_offset{max_base_offset - count})
    return make_error(errc::offset_out_of_range, "append to " + dir_ + ": offsets exhausted");
  if (segments_.back()->should_roll(batch.size(), count)) {
    if (auto err = roll(base))
      return err;
  }
  set_base_offset(batch.data(), base);
  h.base_offset = base.value;
  if (auto err = segments_.back()->append(batch, h))
    return err;
  // Invariant (an internal one: the base was patched to the log end above): offsets are
  // assigned contiguously.
  assert(log_end_offset() == base + count);
  unflushed_messages_ += count;
  unmarked_bytes_ += batch.size();
  mark_stale_ = true;
  if (auto err = maybe_flush(now_ms))
    return err;
  return base;
}

caf::error partition_log::append_replicated(std::string_view batch, int64_t now_ms) {
  batch_header h;
  if (!read_batch_header(batch.data(), batch.size(), h) || h.total_size() != batch.size()
      || h.total_size() < batch_header_size || h.last_offset_delta < 0)
    return make_error(errc::corrupt_message, "append to " + dir_ + ": not one whole batch");
  auto end = log_end_offset();
  if (h.base() < end)
    return make_error(errc::offset_out_of_range,
                      "append to " + dir_ + ": batch at " + std::to_string(h.base_offset)
                        + " does not continue the log at " + to_string(end));
  int64_t count = int64_t{h.last_offset_delta} + 1;
  if (h.base() > log_offset{max_base_offset - count})
    return make_error(errc::offset_out_of_range, "append to " + dir_ + ": offsets exhausted");
  // A compacted leader's log has gaps between batches: the offsets skipped count too.
  if (segments_.back()->should_roll(batch.size(), (h.base() - end) + count)) {
    if (auto err = roll(h.base()))
      return err;
  }
  if (auto err = segments_.back()->append(batch, h))
    return err;
  // Invariant (an internal one: segment::append sets the end to h.next_offset()).
  assert(log_end_offset() == h.next_offset());
  unflushed_messages_ += count;
  unmarked_bytes_ += batch.size();
  mark_stale_ = true;
  return maybe_flush(now_ms);
}

caf::error partition_log::roll(log_offset next) {
  // Requires: next == log_end_offset(), so the new segment starts where the old one ends
  // (both callers pass it: an internal invariant, not input).
  assert(next == log_end_offset());
  // No fsync of the data here (it would stall the owner for a whole segment's worth of
  // writeback): the sealed segment's records become durable at the next flush(), as in
  // Kafka, whose roll schedules the flush in the background. The directory entry of the new
  // file is synced at once (cheap): a crash never loses a file that later records land in.
  if (auto err = segments_.back()->seal())
    return err;
  auto seg = segment::create(env_, dir_, next, segment_config_of(cfg_));
  if (!seg) {
    static_cast<void>(segments_.back()->unseal());
    return std::move(seg.error());
  }
  segments_.push_back(std::move(*seg));
  dir_dirty_ = true;
  if (auto err = env_.sync_dir(dir_))
    return err;
  dir_dirty_ = false;
  // The written point moves to the new segment: a later open trusts the sealed one whole.
  try_save_checkpoint();
  return caf::none;
}

caf::expected<log_read_result> partition_log::read(log_offset from, size_t max_bytes) const {
  return read(from, max_bytes, log_end_offset());
}

caf::expected<log_read_result> partition_log::read(log_offset from, size_t max_bytes,
                                                   log_offset upto) const {
  auto start = log_start_offset();
  auto end = log_end_offset();
  if (from < start || from > end)
    return make_error(errc::offset_out_of_range,
                      "offset " + to_string(from) + " is outside [" + to_string(start) + ", "
                        + to_string(end) + "] of " + dir_);
  log_read_result res;
  res.next_offset = from;
  auto limit = std::min(upto, end);
  if (from >= limit)
    return res;
  // The segment containing `from`: the last one with base offset <= from.
  auto it = std::upper_bound(segments_.begin(), segments_.end(), from,
                             [](log_offset o, const std::unique_ptr<segment>& s) {
                               return o < s->base_offset();
                             });
  assert(it != segments_.begin());  // internal: from >= log start was checked above
  for (--it; it != segments_.end(); ++it) {
    if (!res.data.empty() && res.data.size() >= max_bytes)
      break;
    auto budget = max_bytes - std::min(max_bytes, res.data.size());
    auto done = (*it)->read(from, budget, limit, res.data.empty(), res.data, res.next_offset);
    if (!done)
      return std::move(done.error());
    if (*done)
      break;
  }
  return res;
}

caf::expected<std::optional<timestamp_offset>>
partition_log::offset_for_timestamp(int64_t ts) const {
  // Offsets and timestamps both grow from segment to segment only loosely (timestamps come
  // from producers): the first segment with a match holds the answer.
  for (auto& seg : segments_) {
    auto found = seg->find_timestamp(ts);
    if (!found || *found)
      return found;
  }
  return std::optional<timestamp_offset>{};
}

log_offset partition_log::log_start_offset() const {
  return segments_.front()->base_offset();
}

log_offset partition_log::log_end_offset() const {
  return segments_.back()->next_offset();
}

uint64_t partition_log::size_bytes() const {
  uint64_t n = 0;
  for (auto& s : segments_)
    n += s->size();
  return n;
}

size_t partition_log::segment_count() const {
  return segments_.size();
}

caf::error partition_log::truncate_to(log_offset offset) {
  if (offset >= log_end_offset())
    return caf::none;
  if (offset < log_offset{0} || offset > log_offset{max_base_offset})
    return make_error(errc::offset_out_of_range,
                      "truncate " + dir_ + " to offset " + to_string(offset));
  if (auto err = drop_checkpoint_from(offset))
    return err;
  bool dir_changed = false;
  if (offset < log_start_offset()) {
    // Everything goes and the log restarts at `offset` (Kafka's truncateFullyAndStartAt).
    // The new segment comes first so that the log always has one.
    auto seg = segment::create(env_, dir_, offset, segment_config_of(cfg_));
    if (!seg)
      return std::move(seg.error());
    segments_.insert(segments_.begin(), std::move(*seg));
    dir_changed = true;
  }
  // Invariant: at least one segment remains; segments stay sorted.
  while (segments_.size() > 1 && segments_.back()->base_offset() >= offset) {
    auto err = segments_.back()->remove();
    segments_.pop_back();
    dir_changed = true;
    if (err)
      return err;
  }
  auto& last = segments_.back();
  if (auto err = last->truncate_to(offset))
    return err;
  if (auto err = last->unseal())
    return err;
  spdlog::info("partition log {}: truncated to offset {}; log end offset now {}", dir_,
               to_string(offset), to_string(log_end_offset()));
  if (dir_changed) {
    if (auto err = env_.sync_dir(dir_))
      return err;
  }
  checkpoint_truncation();
  return caf::none;
}

caf::error partition_log::truncate_fully_and_start_at(log_offset start) {
  if (start < log_offset{0} || start > log_offset{max_base_offset})
    return make_error(errc::offset_out_of_range,
                      "restart " + dir_ + " at offset " + to_string(start));
  if (auto err = drop_checkpoint_from(log_offset{0}))
    return err;
  // Invariant: the log always has a segment. A segment based at `start` is emptied and
  // kept; otherwise the new one is created before the old ones go.
  std::unique_ptr<segment> keep;
  for (auto& seg : segments_)
    if (seg->base_offset() == start)
      keep = std::move(seg);
  if (keep) {
    if (auto err = keep->truncate_to(start))
      return err;
    if (auto err = keep->unseal())
      return err;
  } else {
    auto seg = segment::create(env_, dir_, start, segment_config_of(cfg_));
    if (!seg)
      return std::move(seg.error());
    keep = std::move(*seg);
  }
  auto old = std::move(segments_);
  segments_.clear();
  segments_.push_back(std::move(keep));
  for (auto& seg : old)
    if (seg)
      if (auto err = seg->remove())
        spdlog::error("partition log {}: cannot remove an old segment: {}", dir_,
                      describe(err));
  unflushed_messages_ = 0;
  spdlog::info("partition log {}: restarted empty at offset {}", dir_, to_string(start));
  if (auto err = env_.sync_dir(dir_))
    return err;
  checkpoint_truncation();
  return caf::none;
}

caf::error partition_log::maybe_flush(int64_t now_ms) {
  if (unflushed_messages_ >= cfg_.flush_messages
      || age_ms(last_flush_ms_, now_ms) >= cfg_.flush_ms) {
    last_flush_ms_ = now_ms;
    if (unflushed_messages_ > 0) {
      if (auto err = sync_segments())
        return err;
    }
  }
  maybe_save_checkpoint(now_ms);
  return caf::none;
}

caf::expected<size_t> partition_log::enforce_retention(int64_t now_ms) {
  size_t deleted = 0;
  uint64_t total = size_bytes();
  caf::error err;
  while (segments_.size() > 1) {  // never the active segment
    auto& oldest = segments_.front();
    bool expired = false;
    if (cfg_.retention_ms >= 0) {
      auto ts = oldest->max_timestamp();
      if (!ts) {
        err = std::move(ts.error());
        break;
      }
      expired = age_ms(*ts, now_ms) > cfg_.retention_ms;
    }
    if (!expired && cfg_.retention_bytes >= 0)
      expired = total - oldest->size() >= static_cast<uint64_t>(cfg_.retention_bytes);
    if (!expired)
      break;
    total -= oldest->size();
    err = oldest->remove();
    segments_.erase(segments_.begin());
    ++deleted;
    if (err)
      break;
  }
  if (deleted > 0) {
    spdlog::info("partition log {}: retention deleted {} segment(s); log start offset now {}",
                 dir_, deleted, to_string(log_start_offset()));
    auto err2 = env_.sync_dir(dir_);
    if (!err)
      err = std::move(err2);
  }
  if (err)
    return err;
  return deleted;
}

std::string segment_bytes(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".log")
      files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::string out;
  for (auto& f : files) {
    std::ifstream in{f, std::ios::binary};
    out.append(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
  }
  return out;
}

} // namespace cafka
