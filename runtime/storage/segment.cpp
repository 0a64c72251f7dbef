#include "runtime/storage/segment.hpp"

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <utility>

#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

constexpr uint64_t max_position = segment::max_position;
constexpr int64_t max_relative_offset = segment::max_relative_offset;

// Index capacity: one entry per index_interval_bytes of a full segment, at most 10 MiB
// (Kafka's segment.index.bytes); a full index rolls the segment.
size_t max_index_entries(const segment_config& cfg) {
  constexpr size_t cap = (10u << 20) / offset_index::entry_size;
  auto n = cfg.segment_bytes / std::max<uint64_t>(cfg.index_interval_bytes, 1) + 2;
  return static_cast<size_t>(std::min<uint64_t>(n, cap));
}

} // namespace

std::string segment::file_name(log_offset base, const char* ext) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020" PRId64, base.value);
  return std::string{buf} + ext;
}

segment::segment(storage::env& env, std::string dir, log_offset base, segment_config cfg,
                 std::unique_ptr<storage::file> log, std::unique_ptr<offset_index> index,
                 std::unique_ptr<time_index> tindex, uint64_t size)
  : env_(env), dir_(std::move(dir)), base_(base), cfg_(cfg), log_path_(log->path()),
    log_(std::move(log)), index_(std::move(index)), time_index_(std::move(tindex)), size_(size),
    next_offset_(base) {
}

segment::~segment() {
  static_cast<void>(close());
}

std::optional<log_offset> segment::parse_file_name(const std::string& name,
                                                   const std::string& ext) {
  constexpr size_t digits = 20;
  if (name.size() != digits + ext.size() || name.compare(digits, ext.size(), ext) != 0)
    return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < digits; ++i) {
    auto c = name[i];
    if (c < '0' || c > '9' || v > (max_base_offset - (c - '0')) / 10)
      return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return log_offset{v};
}

caf::expected<std::unique_ptr<segment>>
segment::create(storage::env& env, const std::string& dir, log_offset base, segment_config cfg,
                const std::string& suffix) {
  auto dir_path = std::filesystem::path{dir};
  auto log = env.open((dir_path / (file_name(base, ".log") + suffix)).string(),
                      storage::open_mode::truncate);
  if (!log)
    return std::move(log.error());
  auto idx = offset_index::open(env, (dir_path / (file_name(base, ".index") + suffix)).string(),
                                base, max_index_entries(cfg));
  if (!idx)
    return std::move(idx.error());
  if (auto err = (*idx)->clear())
    return err;
  if (auto err = (*idx)->unseal())
    return err;
  auto tidx = time_index::open(
    env, (dir_path / (file_name(base, ".timeindex") + suffix)).string(), base);
  if (!tidx)
    return std::move(tidx.error());
  if (auto err = (*tidx)->clear())
    return err;
  std::unique_ptr<segment> seg{new segment(env, dir, base, cfg, std::move(*log), std::move(*idx),
                                           std::move(*tidx), 0)};
  seg->max_timestamp_ = -1;
  return seg;
}

caf::expected<std::unique_ptr<segment>>
segment::open(storage::env& env, const std::string& dir, log_offset base, segment_config cfg,
              bool tail, bool& truncated) {
  segment_check how;
  how.tail = tail;
  return open(env, dir, base, cfg, how, truncated);
}

caf::expected<std::unique_ptr<segment>>
segment::open(storage::env& env, const std::string& dir, log_offset base, segment_config cfg,
              const segment_check& how, bool& truncated) {
  truncated = false;
  auto dir_path = std::filesystem::path{dir};
  auto index_path = (dir_path / file_name(base, ".index")).string();
  auto time_path = (dir_path / file_name(base, ".timeindex")).string();
  auto index_existed = env.exists(index_path);
  if (!index_existed)
    return std::move(index_existed.error());
  auto time_existed = env.exists(time_path);
  if (!time_existed)
    return std::move(time_existed.error());
  auto log = env.open((dir_path / file_name(base, ".log")).string(), storage::open_mode::write);
  if (!log)
    return std::move(log.error());
  auto size = (*log)->size();
  if (!size)
    return std::move(size.error());
  auto idx = offset_index::open(env, std::move(index_path), base, max_index_entries(cfg));
  if (!idx)
    return std::move(idx.error());
  auto tidx = time_index::open(env, std::move(time_path), base);
  if (!tidx)
    return std::move(tidx.error());
  std::unique_ptr<segment> seg{new segment(env, dir, base, cfg, std::move(*log), std::move(*idx),
                                           std::move(*tidx), *size)};
  auto fail = [&](caf::error err) {
    seg->abandon(*index_existed, *time_existed);
    return err;
  };
  if (how.tail) {
    if (how.resume) {
      std::string reason;
      if (auto err = seg->resume(*how.resume, reason, truncated))
        return fail(std::move(err));
      if (how.resumed)
        *how.resumed = reason.empty();
      if (reason.empty())
        return seg;
      spdlog::warn("partition log {}: checking all of {}: the recovery point does not match "
                   "it: {}",
                   dir, file_name(base, ".log"), reason);
    }
    if (auto err = seg->recover(true, truncated))
      return fail(std::move(err));
    return seg;
  }
  if (how.all_batches) {
    if (auto err = seg->recover(false, truncated))
      return fail(std::move(err));
    if (auto err = seg->seal())
      return err;
    return seg;
  }
  std::string reason = *index_existed ? seg->index_->check(seg->size_) : "index file missing";
  if (reason.empty()) {
    auto why = seg->time_index_->check(seg->size_);
    if (!why)
      return fail(std::move(why.error()));
    reason = *time_existed ? std::move(*why) : "time index file missing";
  }
  std::vector<batch_place> missing;
  if (reason.empty()) {
    if (auto err = seg->verify_tail(reason, missing))
      return fail(std::move(err));
  }
  if (reason.empty()) {
    if (auto err = seg->verify_time_tail(reason))
      return fail(std::move(err));
  }
  if (reason.empty()) {
    for (auto& b : missing)
      seg->maybe_index(b.base, b.position);
  } else {
    spdlog::warn("partition log {}: rebuilding index of {} by a full scan: {}", dir,
                 file_name(base, ".log"), reason);
    if (auto err = seg->recover(false, truncated))
      return fail(std::move(err));
  }
  if (auto err = seg->seal())
    return err;
  return seg;
}

std::optional<recovery_point> segment::end_point() const {
  if (!max_timestamp_ || (!empty() && !last_batch_))
    return std::nullopt;
  recovery_point p;
  p.segment_base = base_;
  p.position = size_;
  p.next_offset = next_offset_;
  p.index_entries = index_->size();
  p.time_index_entries = time_index_->size();
  p.max_timestamp = *max_timestamp_;
  if (!empty())
    p.last_batch = last_batch_;
  return p;
}

bool segment::should_roll(size_t batch_size, int64_t offset_count) const {
  if (empty())
    return false;
  return size_ + batch_size > cfg_.segment_bytes || index_->full()
         || next_offset_ - base_ > max_relative_offset - offset_count;
}

caf::error segment::append(std::string_view batch, const batch_header& h) {
  if (batch.size() != h.total_size() || h.last_offset_delta < 0 || h.base() < next_offset_
      || h.base() - base_ > max_relative_offset - h.last_offset_delta - 1
      || size_ > max_position)
    return make_error(errc::invalid_request,
                      "append to " + log_path_ + ": batch at offset "
                        + std::to_string(h.base_offset) + " does not fit the segment at "
                        + to_string(next_offset_));
  if (auto err = log_->write_at(batch.data(), batch.size(), size_)) {
    // Cut a partial write so the file keeps ending on a batch boundary.
    static_cast<void>(log_->truncate(size_));
    return err;
  }
  maybe_index(h.base(), size_);
  dirty_ = true;
  last_batch_ = batch_place{h.base(), size_};
  if (recent_.size() == recent_capacity)
    recent_.erase(recent_.begin());
  recent_.push_back(recent_batch{h.base(), h.next_offset(), size_});
  size_ += batch.size();
  next_offset_ = h.next_offset();
  if (max_timestamp_)
    max_timestamp_ = std::max(*max_timestamp_, h.max_timestamp);
  maybe_time_index();
  return caf::none;
}

void segment::maybe_index(log_offset offset, uint64_t position) {
  uint64_t last = index_->empty() ? 0 : index_->at(index_->size() - 1).position;
  if (!index_->empty() && position <= last)
    return;
  if (position - last < cfg_.index_interval_bytes || index_->full() || position > max_position
      || offset - base_ > max_relative_offset)
    return;
  if (auto err = index_->append(offset, static_cast<uint32_t>(position)))
    spdlog::warn("partition log {}: cannot extend {}: {} (reads scan further)", dir_,
                 index_->path(), describe(err));
}

caf::error segment::read_header(uint64_t position, batch_header& h) const {
  char hdr[batch_header_size];
  auto got = log_->read_at(hdr, batch_header_size, position);
  if (!got)
    return std::move(got.error());
  if (*got < batch_header_size || !read_batch_header(hdr, *got, h)
      || h.batch_length < min_batch_length || h.total_size() > size_ - position
      || h.last_offset_delta < 0)
    return make_error(errc::corrupt_message, "bad batch header at position "
                                               + std::to_string(position) + " of " + log_path_);
  return caf::none;
}

caf::expected<uint64_t> segment::locate(log_offset offset) const {
  // Every batch before the first recent one ends at or before its base.
  if (!recent_.empty() && offset >= recent_.front().base) {
    auto i = std::upper_bound(recent_.begin(), recent_.end(), offset,
                              [](log_offset o, const recent_batch& b) { return o < b.next; });
    return i == recent_.end() ? size_ : i->position;
  }
  auto e = index_->lookup(offset);
  uint64_t pos = e ? e->position : 0;
  while (pos < size_) {
    batch_header h;
    if (auto err = read_header(pos, h))
      return err;
    if (h.next_offset() > offset)
      return pos;
    pos += h.total_size();
  }
  return size_;
}

caf::expected<bool> segment::read(log_offset from, size_t max_bytes, log_offset upto,
                                  bool need_one, std::string& out, log_offset& next) const {
  auto start = locate(from);
  if (!start)
    return std::move(start.error());
  if (*start >= size_)
    return false;
  const uint64_t avail = size_ - *start;
  const size_t old = out.size();
  // Makes out hold at least n bytes from start (n <= avail).
  auto fill = [&](size_t n) -> caf::error {
    auto have = out.size() - old;
    if (n <= have)
      return caf::none;
    out.resize(old + n);
    auto got = log_->read_at(out.data() + old + have, n - have, *start + have);
    if (!got)
      return std::move(got.error());
    if (*got < n - have)
      return make_error(errc::storage_error, "short read of " + log_path_);
    return caf::none;
  };
  auto first = static_cast<size_t>(std::min<uint64_t>(avail, max_bytes));
  if (need_one)
    first = std::max(first, std::min<size_t>(static_cast<size_t>(avail), batch_header_size));
  if (auto err = fill(first)) {
    out.resize(old);
    return err;
  }
  size_t p = 0;
  bool done = true;
  for (;;) {
    if (p == avail) {
      done = false;  // the segment ran out
      break;
    }
    auto have = out.size() - old;
    if (p + batch_header_size > have)
      break;  // budget reached (need_one always has a header for p == 0)
    batch_header h;
    read_batch_header(out.data() + old + p, batch_header_size, h);
    if (h.batch_length < min_batch_length || h.total_size() > avail - p) {
      out.resize(old);
      return make_error(errc::corrupt_message, "bad batch header at position "
                                                 + std::to_string(*start + p) + " of "
                                                 + log_path_);
    }
    if (h.next_offset() > upto)
      break;
    if (p + h.total_size() > have) {
      if (!(need_one && p == 0))
        break;
      if (auto err = fill(h.total_size())) {
        out.resize(old);
        return err;
      }
    }
    p += h.total_size();
    next = h.next_offset();
  }
  out.resize(old + p);
  return done;
}

caf::error segment::for_each_header(
  log_offset from, const std::function<caf::error(const batch_header&)>& f) const {
  auto pos = locate(from);
  if (!pos)
    return std::move(pos.error());
  for (auto p = *pos; p < size_;) {
    batch_header h;
    if (auto err = read_header(p, h))
      return err;
    if (auto err = f(h))
      return err;
    p += h.total_size();
  }
  return caf::none;
}

caf::error segment::truncate_to(log_offset offset) {
  auto pos = locate(offset);
  if (!pos)
    return std::move(pos.error());
  if (*pos >= size_)
    return caf::none;
  batch_header h;
  if (auto err = read_header(*pos, h))
    return err;
  // The time index first: if the log is not cut after all, it is only sparser.
  if (auto err = time_index_->truncate_to_position(*pos))
    return err;
  if (auto err = log_->truncate(*pos))
    return err;
  index_->truncate_to_position(*pos);
  recent_.clear();
  size_ = *pos;
  // Invariant: base_ <= next_offset_; the cut batch started at or after the previous end.
  next_offset_ = std::max(base_, std::min(offset, h.base()));
  // Internal: partition_log::truncate_to keeps this segment only if base_ <= offset.
  assert(next_offset_ >= base_ && next_offset_ <= offset);
  dirty_ = true;
  // The running max and the last batch, for the time index entries of later appends.
  return scan_time_tail();
}

caf::error segment::seal() {
  if (auto err = index_->seal())
    return err;
  seal_time_index();
  return caf::none;
}

caf::error segment::unseal() {
  return index_->unseal();
}

caf::error segment::flush() {
  if (!dirty_)
    return caf::none;
  if (auto err = log_->sync())
    return err;
  if (auto err = index_->flush())
    return err;
  if (auto err = time_index_->flush())
    return err;
  dirty_ = false;
  return caf::none;
}

caf::error segment::close() {
  auto err = index_ ? index_->close() : caf::error{};
  auto err2 = time_index_ ? time_index_->close() : caf::error{};
  auto err3 = log_->close();
  return err ? err : err2 ? err2 : err3;
}

caf::error segment::remove() {
  auto err = close();
  if (auto e = env_.remove(log_path_))
    return e;
  auto err2 = index_->remove();
  auto err3 = time_index_->remove();
  return err ? err : err2 ? err2 : err3;
}

} // namespace cafka
