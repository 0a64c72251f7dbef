// The timestamp side of a segment: its time index entries (on append, at seal, checked at
// open), its largest timestamp and the search for the first record at or after a timestamp.
#include "runtime/storage/segment.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"

namespace cafka {

void segment::maybe_time_index() {
  // Without the running max (a failed rescan after a truncation) the index only gets sparser.
  if (!max_timestamp_ || !last_batch_)
    return;
  auto& last = time_index_->last();
  int64_t last_ts = last ? last->timestamp : -1;
  uint64_t last_pos = last ? last->position : 0;
  auto pos = last_batch_->position;
  if (*max_timestamp_ <= last_ts || (last && pos <= last_pos)
      || pos - last_pos < cfg_.index_interval_bytes || pos > max_position
      || last_batch_->base - base_ > max_relative_offset)
    return;
  time_index::entry e{*max_timestamp_, last_batch_->base, static_cast<uint32_t>(pos)};
  if (auto err = time_index_->append(e))
    spdlog::warn("partition log {}: cannot extend {}: {} (timestamp searches scan further)",
                 dir_, time_index_->path(), describe(err));
}

void segment::seal_time_index() {
  if (empty())
    return;
  if (!max_timestamp_ || !last_batch_) {
    if (auto err = scan_time_tail()) {
      spdlog::warn("partition log {}: no seal entry in {}: {}", dir_, time_index_->path(),
                   describe(err));
      return;
    }
    if (!max_timestamp_ || !last_batch_)
      return;  // a corrupt header ended the walk (warned)
  }
  auto& last = time_index_->last();
  if (last && (last->offset >= last_batch_->base || last->timestamp > *max_timestamp_))
    return;  // the last batch has its entry already
  if (last_batch_->position > max_position || last_batch_->base - base_ > max_relative_offset)
    return;
  time_index::entry e{*max_timestamp_, last_batch_->base,
                      static_cast<uint32_t>(last_batch_->position)};
  if (auto err = time_index_->append(e))
    spdlog::warn("partition log {}: no seal entry in {}: {}", dir_, time_index_->path(),
                 describe(err));
}

caf::error segment::scan_time_tail() {
  auto& last = time_index_->last();
  int64_t max_ts = last ? last->timestamp : -1;
  uint64_t pos = last ? last->position : 0;
  std::optional<batch_place> last_batch;
  while (pos < size_) {
    batch_header h;
    if (auto err = read_header(pos, h)) {
      if (errc_of(err) != errc::corrupt_message)
        return err;
      spdlog::warn("partition log {}: max timestamp of {} from its first {} bytes only: {}",
                   dir_, file_name(base_, ".log"), pos, describe(err));
      max_timestamp_ = max_ts;
      last_batch_.reset();
      return caf::none;
    }
    max_ts = std::max(max_ts, h.max_timestamp);
    last_batch = batch_place{h.base(), pos};
    pos += h.total_size();
  }
  max_timestamp_ = max_ts;
  last_batch_ = last_batch;
  return caf::none;
}

caf::error segment::verify_time_tail(std::string& reason) {
  auto& last = time_index_->last();
  if (!last)
    return caf::none;
  batch_header h;
  if (auto err = read_header(last->position, h)) {
    if (errc_of(err) != errc::corrupt_message)
      return err;
    reason = describe(err);
    return caf::none;
  }
  auto at = "last time index entry (offset " + to_string(last->offset) + ", timestamp "
            + std::to_string(last->timestamp) + ")";
  if (h.base() != last->offset)
    reason = at + ": the batch at " + std::to_string(last->position) + " has base offset "
             + std::to_string(h.base_offset);
  else if (h.max_timestamp > last->timestamp)
    reason = at + ": its batch has max timestamp " + std::to_string(h.max_timestamp);
  else if (last_batch_ && last_batch_->base == last->offset)
    max_timestamp_ = last->timestamp;  // the seal entry: the segment's max
  return caf::none;
}

caf::expected<int64_t> segment::max_timestamp() {
  if (!max_timestamp_) {
    if (auto err = scan_time_tail())
      return err;
  }
  return *max_timestamp_;
}

caf::expected<std::optional<timestamp_offset>> segment::find_timestamp(int64_t target) const {
  if (max_timestamp_ && *max_timestamp_ < target)
    return std::optional<timestamp_offset>{};
  // Every record up to and including the batch of this entry is older than target.
  auto start = time_index_->lookup(target);
  if (!start)
    return std::move(start.error());
  uint64_t pos = *start ? (*start)->position : 0;
  std::string batch;
  while (pos < size_) {
    batch_header h;
    if (auto err = read_header(pos, h))
      return err;
    if (h.max_timestamp >= target) {
      batch.resize(h.total_size());
      auto got = log_->read_at(batch.data(), batch.size(), pos);
      if (!got)
        return std::move(got.error());
      if (*got < batch.size())
        return make_error(errc::storage_error, "short read of " + log_path_);
      std::optional<timestamp_offset> found;
      auto err = for_each_stored_record(batch, [&](const record_view& r, std::string_view) {
        if (!found && r.timestamp >= target)
          found = timestamp_offset{r.offset, r.timestamp};
      });
      if (err)
        return make_error(errc::corrupt_message, "batch at position " + std::to_string(pos)
                                                   + " of " + log_path_ + ": "
                                                   + describe(err));
      if (found)
        return found;
    }
    pos += h.total_size();
  }
  return std::optional<timestamp_offset>{};
}

} // namespace cafka
