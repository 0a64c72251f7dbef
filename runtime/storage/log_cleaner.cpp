#include "runtime/storage/log_cleaner.hpp"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/storage/key_offset_map.hpp"
#include "runtime/storage/segment.hpp"

namespace cafka {

namespace {

// now - then > limit, without overflow for any inputs.
bool older_than(int64_t then, int64_t now, int64_t limit) {
  return static_cast<__int128>(now) - then > limit;
}

// Calls f(batch) for each whole batch of `data` (as partition_log::read returns them).
template <class F>
caf::error for_each_batch(const std::string& data, F&& f) {
  for (size_t pos = 0; pos < data.size();) {
    batch_header h;
    if (!read_batch_header(data.data() + pos, data.size() - pos, h)
        || h.batch_length < segment::min_batch_length || h.total_size() > data.size() - pos)
      return make_error(errc::corrupt_message, "log cleaner: bad batch header in a read");
    if (auto err = f(std::string_view{data.data() + pos, h.total_size()}, h))
      return err;
    pos += h.total_size();
  }
  return caf::none;
}

} // namespace

log_cleaner::log_cleaner(cleaner_config cfg) : cfg_(cfg) {
}

log_cleaner::~log_cleaner() {
  abort();
}

caf::expected<double> log_cleaner::dirty_ratio(partition_log& log, log_offset limit) const {
  auto segs = log.sealed_segments();
  if (!segs)
    return std::move(segs.error());
  auto cleaned = cleaned_point(*segs, log.log_start_offset());
  uint64_t clean = 0;
  uint64_t dirty = 0;
  for (auto& s : *segs)
    if (s.next <= limit)
      (s.base >= cleaned ? dirty : clean) += s.size;
  if (dirty == 0)
    return 0.0;
  return static_cast<double>(dirty) / static_cast<double>(clean + dirty);
}

log_offset log_cleaner::cleaned_point(const std::vector<segment_info>& segs,
                                      log_offset log_start) const {
  // A truncation below the cleaned point (the last segment written is gone or changed while
  // still in the log's range): what is there now was not cleaned.
  if (boundary_ && boundary_->base >= log_start
      && std::find(segs.begin(), segs.end(), *boundary_) == segs.end())
    return log_offset{0};
  return cleaned_up_to_;
}

caf::expected<bool> log_cleaner::needs_cleaning(partition_log& log, log_offset limit) const {
  if (in_pass())
    return true;
  auto ratio = dirty_ratio(log, limit);
  if (!ratio)
    return std::move(ratio.error());
  return *ratio > 0 && *ratio >= cfg_.min_cleanable_dirty_ratio;
}

caf::expected<cleaner_progress> log_cleaner::step(partition_log& log, log_offset limit,
                                                  size_t max_bytes, int64_t now_ms) {
  max_bytes = std::max<size_t>(max_bytes, 1);  // always some progress
  cleaner_progress p;
  if (in_pass()) {
    auto same = unchanged(log);
    if (!same)
      return std::move(same.error());
    if (!*same) {
      spdlog::info("partition log {}: the log changed under the cleaner; pass restarted",
                   log.dir());
      reset();
      ++stats_.restarts;
      p.restarted = true;
      p.done = true;
      return p;
    }
  } else {
    auto started = start(log, limit);
    if (!started)
      return std::move(started.error());
    if (!*started) {
      p.done = true;
      return p;
    }
  }
  auto err = phase_ == phase::mapping ? map_some(log, max_bytes, p) : caf::error{};
  if (!err && phase_ == phase::cleaning)
    err = clean_some(log, max_bytes, now_ms, p);
  stats_.bytes_read += p.bytes_read;
  stats_.bytes_written += p.bytes_written;
  if (err) {
    if (stale_) {  // install found the log changed
      reset();
      ++stats_.restarts;
      p.restarted = true;
      p.done = true;
      return p;
    }
    spdlog::error("partition log {}: cleaning stopped: {}", log.dir(), describe(err));
    reset();
    return err;
  }
  p.done = !in_pass();
  return p;
}

void log_cleaner::abort() {
  reset();
}

caf::expected<bool> log_cleaner::start(partition_log& log, log_offset limit) {
  auto segs = log.sealed_segments();
  if (!segs)
    return std::move(segs.error());
  cleaned_up_to_ = cleaned_point(*segs, log.log_start_offset());
  if (cleaned_up_to_ == log_offset{0})
    boundary_.reset();
  segments_.clear();
  for (auto& s : *segs)
    if (s.next <= limit)
      segments_.push_back(s);
  first_dirty_ = 0;
  while (first_dirty_ < segments_.size() && segments_[first_dirty_].base < cleaned_up_to_)
    ++first_dirty_;
  if (first_dirty_ == segments_.size())
    return false;
  map_ = std::make_unique<key_offset_map>(cfg_.dedupe_buffer_bytes, cfg_.dedupe_load_factor);
  producer_last_.clear();
  mapped_ = first_dirty_;
  cursor_ = segments_[mapped_].base;
  log_ = &log;
  log_instance_ = log.instance();
  phase_ = phase::mapping;
  return true;
}

caf::expected<bool> log_cleaner::unchanged(partition_log& log) const {
  if (&log != log_ || log.instance() != log_instance_)
    return false;
  auto segs = log.sealed_segments();
  if (!segs)
    return std::move(segs.error());
  // Both lists are sorted by base offset: one walk.
  auto it = segs->begin();
  for (auto& s : segments_) {
    while (it != segs->end() && it->base < s.base)
      ++it;
    if (it == segs->end() || *it != s)
      return false;
  }
  return true;
}

caf::error log_cleaner::map_some(partition_log& log, size_t budget, cleaner_progress& p) {
  bool fits = true;
  while (mapped_ < segments_.size() && fits && p.bytes_read < budget) {
    auto& seg = segments_[mapped_];
    auto got = log.read(cursor_, budget - p.bytes_read, seg.next);
    if (!got)
      return std::move(got.error());
    p.bytes_read += got->data.size();
    auto ok = map_batches(got->data);
    if (!ok)
      return std::move(ok.error());
    fits = *ok;
    cursor_ = got->next_offset;
    if (fits && (got->data.empty() || cursor_ >= seg.next)) {
      if (++mapped_ < segments_.size())
        cursor_ = segments_[mapped_].base;
    }
  }
  if (fits && mapped_ < segments_.size())
    return caf::none;  // more to map at the next step
  if (!fits && mapped_ == first_dirty_)
    return make_error(errc::invalid_config,
                      "log cleaner of " + log.dir() + ": the dedupe buffer of "
                        + std::to_string(cfg_.dedupe_buffer_bytes) + " bytes holds "
                        + std::to_string(map_->capacity()) + " keys, fewer than segment "
                        + segment::file_name(segments_[mapped_].base, ".log") + " has");
  // The segment whose keys did not fit (if any) and those after it wait for the next pass.
  clean_count_ = mapped_;
  map_end_ = fits ? segments_.back().next : segments_[mapped_].base;
  next_src_ = 0;
  phase_ = phase::cleaning;
  return caf::none;
}

caf::expected<bool> log_cleaner::map_batches(const std::string& data) {
  bool fits = true;
  auto err = for_each_batch(data, [&](std::string_view batch, const batch_header& h) {
    if (auto err = validate_stored_batch_crc(batch))
      return err;
    if (h.producer_id.value >= 0)
      producer_last_[h.producer_id.value] = h.base();
    if (h.is_control())
      return caf::error{};
    // Once a key does not fit, the segment and those after it wait for the next pass; the
    // keys that still go in (here and in the rest of `data`) are of records after anything
    // this pass cleans, so they only remove records that a later one supersedes.
    return for_each_stored_record(
      batch,
      [&](const record_view& r, std::string_view) {
        if (r.key && !map_->put(*r.key, r.offset))
          fits = false;
      },
      cfg_.max_uncompressed);
  });
  if (err)
    return err;
  return fits;
}

caf::error log_cleaner::clean_some(partition_log& log, size_t budget, int64_t now_ms,
                                   cleaner_progress& p) {
  while (p.bytes_read + p.bytes_written < budget) {
    if (!output_) {
      if (next_src_ == clean_count_) {
        finish_pass();
        return caf::none;
      }
      group_.assign(1, segments_[next_src_]);
      auto out = log.create_cleaned(group_.front().base);
      if (!out)
        return std::move(out.error());
      output_ = std::move(*out);
      cursor_ = group_.front().base;
    }
    auto got = log.read(cursor_, budget - p.bytes_read - p.bytes_written, group_.back().next);
    if (!got)
      return std::move(got.error());
    p.bytes_read += got->data.size();
    auto before = output_->size();
    auto err = for_each_batch(got->data, [&](std::string_view batch, const batch_header& h) {
      // The source segment of the batch: the last of the group starting at or before it.
      auto src = group_.begin();
      while (src + 1 != group_.end() && (src + 1)->base <= h.base())
        ++src;
      return clean_batch(batch, *src, now_ms);
    });
    p.bytes_written += output_->size() - before;
    if (err)
      return err;
    cursor_ = got->next_offset;
    if (!got->data.empty() && cursor_ < group_.back().next)
      continue;
    // The source segment is done. The output takes the next one too while it stays within
    // segment_bytes (counting the next source whole) and offsets relative to its base fit.
    if (++next_src_ < clean_count_) {
      auto& next = segments_[next_src_];
      if (output_->size() + next.size <= log.config().segment_bytes
          && next.next - group_.front().base - 1 <= segment::max_relative_offset) {
        group_.push_back(next);
        cursor_ = next.base;
        continue;
      }
    }
    if (auto err = install(log))
      return err;
  }
  // What this step wrote is made durable now, so that the fsync at install stays small.
  return output_ ? output_->flush() : caf::none;
}

caf::error log_cleaner::clean_batch(std::string_view batch, const segment_info& src,
                                    int64_t now_ms) {
  if (auto err = validate_stored_batch_crc(batch))
    return err;
  batch_header h;
  read_batch_header(batch.data(), batch.size(), h);
  std::string kept;  // the encoded records kept
  int32_t count = 0;
  int32_t removed = 0;
  if (!h.is_control()) {
    bool expired = older_than(src.max_timestamp, now_ms, cfg_.delete_retention_ms);
    auto err = for_each_stored_record(
      batch,
      [&](const record_view& r, std::string_view encoded) {
        bool keep = r.key.has_value();
        if (keep) {
          auto latest = map_->get(*r.key);
          keep = !latest || *latest <= r.offset;
        }
        if (keep && !r.value && expired) {
          keep = false;
          ++stats_.tombstones_removed;
        }
        if (keep) {
          kept.append(encoded);
          ++count;
        } else {
          ++removed;
        }
      },
      cfg_.max_uncompressed);
    if (err)
      return err;
  }
  stats_.records_removed += static_cast<uint64_t>(removed);
  std::string rebuilt;
  if (count == 0 && !h.is_control()) {
    // An empty batch stays while it may be its producer's last: the producer's state is
    // rebuilt from batch headers. Not if a later batch of the producer was mapped.
    auto last = producer_last_.find(h.producer_id.value);
    if (h.producer_id.value < 0 || (last != producer_last_.end() && last->second != h.base())) {
      ++stats_.batches_removed;
      return caf::none;
    }
  }
  if (removed > 0) {
    auto b = rebuild_batch(batch, kept, count);
    if (!b)
      return std::move(b.error());
    rebuilt = std::move(*b);
    batch = rebuilt;
    read_batch_header(batch.data(), batch.size(), h);
  }
  return output_->append(batch, h);
}

caf::error log_cleaner::install(partition_log& log) {
  auto base = group_.front().base;
  if (auto err = log.install_cleaned(std::move(output_), group_)) {
    stale_ = errc_of(err) == errc::invalid_request;
    return err;
  }
  ++stats_.segments_installed;
  auto segs = log.sealed_segments();
  if (!segs)
    return std::move(segs.error());
  auto now = std::find_if(segs->begin(), segs->end(),
                          [&](const segment_info& s) { return s.base == base; });
  if (now == segs->end())
    return make_error(errc::storage_error, "log cleaner of " + log.dir()
                                             + ": the installed segment is missing");
  // segments_[next_src_ - group size, next_src_) were the group.
  auto first = segments_.begin() + static_cast<std::ptrdiff_t>(next_src_ - group_.size());
  *first = *now;
  segments_.erase(first + 1, first + static_cast<std::ptrdiff_t>(group_.size()));
  next_src_ -= group_.size() - 1;
  clean_count_ -= group_.size() - 1;
  group_.clear();
  return caf::none;
}

void log_cleaner::finish_pass() {
  cleaned_up_to_ = map_end_;
  boundary_ = clean_count_ > 0 ? std::optional<segment_info>{segments_[clean_count_ - 1]}
                               : std::nullopt;
  ++stats_.passes;
  reset();
}

void log_cleaner::reset() {
  if (output_)
    static_cast<void>(output_->remove());
  output_.reset();
  map_.reset();
  producer_last_.clear();
  segments_.clear();
  group_.clear();
  next_src_ = 0;
  stale_ = false;
  log_ = nullptr;
  phase_ = phase::idle;
}

} // namespace cafka
