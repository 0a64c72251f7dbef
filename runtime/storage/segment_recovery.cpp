// The checks and repairs of segment::open: the full check of every batch (length, offsets,
// CRC), the rule that only a torn tail of the log's last segment is cut, the header walk of a
// sealed segment's tail, and the index rebuild. See "Recovery at open" in
// docs/storage-format.md.
#include "runtime/storage/segment.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

constexpr size_t scan_chunk = 1 << 20;  // bytes read at a time by the full check

// Reads a .log front to back through a buffer of at least scan_chunk bytes.
class chunk_reader {
public:
  chunk_reader(const storage::file& f, uint64_t size, const std::string& path)
    : file_(f), size_(size), path_(path) {
  }

  // Pointer to the bytes [pos, pos + n) of the file. Requires: pos + n <= size.
  caf::expected<const char*> bytes(uint64_t pos, size_t n) {
    if (pos >= buf_pos_ && pos + n <= buf_pos_ + buf_.size())
      return buf_.data() + (pos - buf_pos_);
    auto want = static_cast<size_t>(std::min<uint64_t>(std::max(n, scan_chunk), size_ - pos));
    buf_.resize(want);
    auto got = file_.read_at(buf_.data(), want, pos);
    if (!got)
      return std::move(got.error());
    buf_.resize(*got);
    buf_pos_ = pos;
    if (*got < n)
      return make_error(errc::storage_error, "short read of " + path_);
    return buf_.data();
  }

private:
  const storage::file& file_;
  uint64_t size_;
  const std::string& path_;
  std::string buf_;
  uint64_t buf_pos_ = 0;
};

// Why the header of a batch at `pos` cannot be the next batch of a segment starting at
// `base` whose previous batch ended at `min_offset` (empty string: plausible). No CRC check.
std::string header_problem(const batch_header& h, uint64_t pos, uint64_t file_size,
                           log_offset base, log_offset min_offset) {
  if (h.batch_length < segment::min_batch_length)
    return "batch length " + std::to_string(h.batch_length) + " below the header size";
  if (h.total_size() > file_size - pos)
    return "batch of " + std::to_string(h.total_size()) + " bytes runs past the end of the file ("
           + std::to_string(file_size - pos) + " bytes left)";
  if (h.magic != batch_magic)
    return "unsupported magic " + std::to_string(h.magic);
  if (h.last_offset_delta < 0)
    return "negative last offset delta";
  if (h.base() < min_offset)
    return "base offset " + std::to_string(h.base_offset) + " below the previous batch end "
           + to_string(min_offset);
  if (h.base() - base > segment::max_relative_offset - h.last_offset_delta - 1)
    return "offset " + std::to_string(h.base_offset) + " too far from the segment base";
  if (pos > segment::max_position)
    return "segment larger than 4 GiB";
  return {};
}

// Where the full check stopped: the end of the valid batches from position 0.
struct scan_end {
  uint64_t pos = 0;     // position after the last valid batch
  log_offset next;      // offset after it (the segment base if none)
  std::string reason;   // why the batch at pos is bad; empty if pos is the end of the file
};

// Why the bytes at `pos` are not a valid next batch (header and CRC); empty if they are.
caf::expected<std::string> batch_problem(chunk_reader& rd, uint64_t pos, uint64_t size,
                                         log_offset base, log_offset min_offset) {
  if (size - pos < batch_header_size)
    return std::string{"incomplete batch header"};
  auto p = rd.bytes(pos, batch_header_size);
  if (!p)
    return std::move(p.error());
  batch_header h;
  read_batch_header(*p, batch_header_size, h);
  auto why = header_problem(h, pos, size, base, min_offset);
  if (!why.empty())
    return why;
  p = rd.bytes(pos, h.total_size());
  if (!p)
    return std::move(p.error());
  if (auto err = validate_stored_batch_crc(std::string_view{*p, h.total_size()}))
    return context_of(err);
  return std::string{};
}

// Checks the batches from position 0 to the first bad one.
caf::expected<scan_end> check_batches(chunk_reader& rd, uint64_t size, log_offset base) {
  scan_end out;
  out.next = base;
  while (out.pos < size) {
    auto why = batch_problem(rd, out.pos, size, base, out.next);
    if (!why)
      return std::move(why.error());
    if (!why->empty()) {
      out.reason = std::move(*why);
      break;
    }
    auto p = rd.bytes(out.pos, batch_header_size);
    if (!p)
      return std::move(p.error());
    batch_header h;
    read_batch_header(*p, batch_header_size, h);
    out.pos += h.total_size();
    out.next = h.next_offset();
  }
  return out;
}

// The first position in (from, size) where a valid batch starts whose offsets are at or
// after `min_offset`, or size if there is none. Only positions whose magic byte is right get
// the header check, and only plausible headers the CRC check.
caf::expected<uint64_t> find_valid_batch(chunk_reader& rd, uint64_t from, uint64_t size,
                                         log_offset base, log_offset min_offset) {
  for (auto q = from + 1; q + batch_header_size <= size; ++q) {
    auto p = rd.bytes(q, batch_header_size);
    if (!p)
      return std::move(p.error());
    if (static_cast<int8_t>((*p)[batch_magic_pos]) != batch_magic)
      continue;
    auto why = batch_problem(rd, q, size, base, min_offset);
    if (!why)
      return std::move(why.error());
    if (why->empty())
      return q;
  }
  return size;
}

} // namespace

caf::error segment::recover(bool tail, bool& truncated) {
  truncated = false;
  chunk_reader rd{*log_, size_, log_path_};
  auto end = check_batches(rd, size_, base_);
  if (!end)
    return std::move(end.error());
  if (end->pos < size_) {
    auto corrupt = [&](const std::string& why) {
      return make_error(errc::corrupt_message,
                        log_path_ + ": corrupt batch at position " + std::to_string(end->pos)
                          + " (offset " + to_string(end->next) + "): " + why);
    };
    if (!tail)
      return corrupt(end->reason + " (in a sealed segment)");
    auto later = find_valid_batch(rd, end->pos, size_, base_, end->next);
    if (!later)
      return std::move(later.error());
    if (*later < size_)
      return corrupt(end->reason + "; a valid batch follows at position "
                     + std::to_string(*later));
  }
  if (auto err = rebuild_indexes(end->pos))
    return err;
  next_offset_ = end->next;
  return cut_torn_tail(end->pos, end->reason, truncated);
}

caf::error segment::cut_torn_tail(uint64_t end, const std::string& why, bool& truncated) {
  if (end >= size_)
    return caf::none;
  auto dropped = size_ - end;
  if (auto err = log_->truncate(end))
    return err;
  size_ = end;
  truncated = true;
  spdlog::warn("partition log {}: truncated torn tail of {} at position {} ({} bytes "
               "dropped, no valid batch after it): {}",
               dir_, file_name(base_, ".log"), end, dropped, why);
  return log_->sync();
}

caf::error segment::resume(const recovery_point& from, std::string& reason, bool& truncated) {
  truncated = false;
  // Does the point describe these files? Read-only until every check has passed.
  if (from.segment_base != base_ || from.position > size_) {
    reason = "the .log has " + std::to_string(size_) + " bytes, the point is at "
             + std::to_string(from.position);
    return caf::none;
  }
  if (from.last_batch) {
    batch_header h;
    if (auto err = read_header(from.last_batch->position, h); err
        || h.base() != from.last_batch->base
        || from.last_batch->position + h.total_size() != from.position
        || h.next_offset() != from.next_offset) {
      reason = "no batch at " + to_string(from.last_batch->base) + " ends at position "
               + std::to_string(from.position);
      return caf::none;
    }
  }
  reason = index_->check_prefix(from.index_entries, from.position);
  if (!reason.empty())
    return caf::none;
  auto why = time_index_->check_prefix(from.time_index_entries, from.position);
  if (!why)
    return std::move(why.error());
  if (!why->empty()) {
    reason = std::move(*why);
    return caf::none;
  }
  // The batches after the point: checked like recover(true), remembered for the indexes.
  struct found {
    batch_place place;
    int64_t max_timestamp;
  };
  std::vector<found> after;
  chunk_reader rd{*log_, size_, log_path_};
  uint64_t pos = from.position;
  log_offset next = from.next_offset;
  std::string bad;
  while (pos < size_) {
    auto problem = batch_problem(rd, pos, size_, base_, next);
    if (!problem)
      return std::move(problem.error());
    if (!problem->empty()) {
      bad = std::move(*problem);
      break;
    }
    auto p = rd.bytes(pos, batch_header_size);
    if (!p)
      return std::move(p.error());
    batch_header h;
    read_batch_header(*p, batch_header_size, h);
    after.push_back(found{batch_place{h.base(), pos}, h.max_timestamp});
    pos += h.total_size();
    next = h.next_offset();
  }
  if (pos < size_) {
    auto later = find_valid_batch(rd, pos, size_, base_, next);
    if (!later)
      return std::move(later.error());
    if (*later < size_)
      return make_error(errc::corrupt_message,
                        log_path_ + ": corrupt batch at position " + std::to_string(pos)
                          + " (offset " + to_string(next) + "): " + bad
                          + "; a valid batch follows at position " + std::to_string(*later));
  }
  // Resume there: the indexes keep the point's entries and get those of the batches after.
  index_->keep_first(from.index_entries);
  if (auto err = time_index_->keep_first(from.time_index_entries))
    return err;
  next_offset_ = from.next_offset;
  max_timestamp_ = from.max_timestamp;
  last_batch_ = from.last_batch;
  for (auto& b : after) {
    maybe_index(b.place.base, b.place.position);
    last_batch_ = b.place;
    max_timestamp_ = std::max(*max_timestamp_, b.max_timestamp);
    maybe_time_index();
  }
  next_offset_ = next;
  return cut_torn_tail(pos, bad, truncated);
}

caf::error segment::rebuild_indexes(uint64_t end) {
  if (auto err = index_->clear())
    return err;
  if (auto err = index_->unseal())
    return err;
  if (auto err = time_index_->clear())
    return err;
  max_timestamp_ = -1;
  last_batch_.reset();
  chunk_reader rd{*log_, end, log_path_};
  for (uint64_t pos = 0; pos < end;) {
    auto p = rd.bytes(pos, batch_header_size);
    if (!p)
      return std::move(p.error());
    batch_header h;
    read_batch_header(*p, batch_header_size, h);
    maybe_index(h.base(), pos);
    last_batch_ = batch_place{h.base(), pos};
    max_timestamp_ = std::max(*max_timestamp_, h.max_timestamp);
    maybe_time_index();
    pos += h.total_size();
  }
  return caf::none;
}

caf::error segment::verify_tail(std::string& reason, std::vector<batch_place>& missing) {
  uint64_t pos = 0;
  log_offset next = base_;
  std::optional<offset_index::entry> last;
  if (!index_->empty()) {
    last = index_->at(index_->size() - 1);
    pos = last->position;
    next = last->offset;
  }
  // The batches the index lacks an entry for (maybe_index's spacing).
  missing.clear();
  uint64_t indexed = last ? last->position : 0;
  bool any_indexed = last.has_value();
  std::optional<batch_place> last_batch;
  char hdr[batch_header_size];
  while (pos < size_) {
    if (size_ - pos < batch_header_size) {
      reason = "incomplete batch header at position " + std::to_string(pos);
      return caf::none;
    }
    auto got = log_->read_at(hdr, batch_header_size, pos);
    if (!got)
      return std::move(got.error());
    batch_header h;
    if (*got < batch_header_size || !read_batch_header(hdr, *got, h)) {
      reason = "short read at position " + std::to_string(pos);
      return caf::none;
    }
    reason = header_problem(h, pos, size_, base_, next);
    if (reason.empty() && last && pos == last->position && h.base() != last->offset)
      reason = "last index entry says offset " + to_string(last->offset) + " but the batch at "
               + std::to_string(pos) + " has base offset " + std::to_string(h.base_offset);
    if (!reason.empty())
      return caf::none;
    if ((!any_indexed || pos > indexed) && pos - indexed >= cfg_.index_interval_bytes) {
      missing.push_back(batch_place{h.base(), pos});
      indexed = pos;
      any_indexed = true;
    }
    last_batch = batch_place{h.base(), pos};
    pos += h.total_size();
    next = h.next_offset();
  }
  last_batch_ = last_batch;
  next_offset_ = next;
  return caf::none;
}

void segment::abandon(bool index_existed, bool time_index_existed) {
  index_->close_unchanged();
  static_cast<void>(time_index_->close());
  static_cast<void>(log_->close());
  if (!index_existed)
    static_cast<void>(env_.remove(index_->path()));
  if (!time_index_existed)
    static_cast<void>(env_.remove(time_index_->path()));
}

} // namespace cafka
