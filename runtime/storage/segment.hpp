// One log segment: <20-digit base offset>.log holding whole record batches back to back, its
// sparse <base>.index and <base>.timeindex. Append, positioned reads of whole batches, search
// by timestamp, recovery scan, truncate; its files opened through the log's storage env. Owned
// by its partition_log; not thread-safe. See docs/storage-format.md. The timestamp functions
// are in segment_time.cpp, the checks and repairs of open() in segment_recovery.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/storage/env.hpp"
#include "runtime/storage/offset_index.hpp"
#include "runtime/storage/recovery_point.hpp"
#include "runtime/storage/time_index.hpp"

namespace cafka {

struct segment_config {
  uint64_t segment_bytes = 1ull << 30;   // roll when an append would pass this size
  uint32_t index_interval_bytes = 4096;  // log bytes between two index entries
};

// How segment::open checks an existing segment (see "Recovery at open" in
// docs/storage-format.md).
struct segment_check {
  // The log's last segment: every batch is checked and a torn tail may be cut.
  bool tail = false;
  // A sealed segment not known to be intact (written after the log's recovery point): every
  // batch is checked as for the tail, but nothing is cut. Otherwise its indexes are trusted.
  bool all_batches = false;
  // The tail only: a point of this segment before which the bytes are known intact (the
  // log's recovery checkpoint). Only the batches after it are checked; a point that does not
  // match the files (a shorter .log, an index with fewer entries, a different batch before
  // it) is dropped with a warning and the whole segment checked. Null: no such point.
  const recovery_point* resume = nullptr;
  // Set (if not null) to whether `resume` matched and only the bytes after it were checked.
  bool* resumed = nullptr;
};

class segment {
public:
  // Positions and offsets relative to the base are uint32 in both indexes.
  static constexpr uint64_t max_position = std::numeric_limits<uint32_t>::max();
  static constexpr int64_t max_relative_offset = std::numeric_limits<uint32_t>::max();
  // The smallest batch_length of a batch: the header after base_offset and batch_length.
  static constexpr int32_t min_batch_length =
    static_cast<int32_t>(batch_header_size - batch_log_overhead);

  // Segment base offsets above this are refused, and appends stop there (offsets exhausted):
  // room for any batch's offsets without overflow, and every segment name parses at open.
  static constexpr int64_t max_base_offset = std::numeric_limits<int64_t>::max() / 2;

  // "00000000000000000042" + ext (".log", ".index", ".timeindex").
  static std::string file_name(log_offset base, const char* ext);
  // The base offset in "<20 digits><ext>" (at most max_base_offset), if the name has that form.
  static std::optional<log_offset> parse_file_name(const std::string& name,
                                                   const std::string& ext);

  // Creates an empty active segment, replacing leftover files of the same name. `suffix` is
  // appended to the three file names (the log cleaner's ".cleaned" outputs).
  // Requires (here and in open): env outlives the segment.
  static caf::expected<std::unique_ptr<segment>>
  create(storage::env& env, const std::string& dir, log_offset base, segment_config cfg,
         const std::string& suffix = {});

  // Opens an existing segment; never throws on garbage. `tail` (the log's last segment):
  // every batch is checked (length, offsets, CRC) and both indexes rebuilt. A torn tail is
  // cut off (one warning, `truncated` set): the bytes from the first bad batch on when no
  // valid batch starts anywhere in them (a partial batch, zeros, a last batch failing its
  // CRC). Otherwise (a sealed segment) the indexes are trusted if they check out: only the
  // batches after the last offset index entry are walked by header, and the batch of the
  // last time index entry is read; a missing or bad index (either) or a bad tail falls back
  // to the full check, which repairs only the indexes. A bad batch that is not a torn tail
  // of the tail segment is errc::corrupt_message "<log path>: corrupt batch at position P
  // (offset O): <reason>", and no file is changed (not even an index).
  // `how` refines this (recovery points, sealed segments not known to be intact).
  static caf::expected<std::unique_ptr<segment>> open(storage::env& env, const std::string& dir,
                                                      log_offset base, segment_config cfg,
                                                      bool tail, bool& truncated);
  static caf::expected<std::unique_ptr<segment>> open(storage::env& env, const std::string& dir,
                                                      log_offset base, segment_config cfg,
                                                      const segment_check& how,
                                                      bool& truncated);

  ~segment();

  segment(const segment&) = delete;
  segment& operator=(const segment&) = delete;

  log_offset base_offset() const { return base_; }
  // Offset after the last batch; base_offset() when empty.
  log_offset next_offset() const { return next_offset_; }
  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::string& log_path() const { return log_path_; }
  const offset_index& index() const { return *index_; }

  // The point after the last batch, for the log's recovery checkpoint; nullopt when the
  // last batch or the running max timestamp is unknown (a failed rescan after truncation).
  std::optional<recovery_point> end_point() const;

  // True when a non-empty segment cannot take a batch of `batch_size` bytes spanning
  // `offset_count` offsets: size limit, full index, or relative offsets beyond uint32.
  bool should_roll(size_t batch_size, int64_t offset_count) const;

  // Writes one whole batch at the end (one pwrite) and indexes it when due. errc::
  // invalid_request (nothing written) unless h describes `batch`, h.base_offset >=
  // next_offset() and the batch's offsets stay within uint32 of the base.
  caf::error append(std::string_view batch, const batch_header& h);

  // Appends to `out` whole batches from the one containing `from` (or the first after it),
  // while out grows by at most max_bytes (but at least one batch if `need_one`), skipping
  // batches with next_offset() > upto. Sets `next` to the offset after the last batch taken.
  // Returns true when the read is complete (budget or upto reached), false when the segment
  // ran out first.
  caf::expected<bool> read(log_offset from, size_t max_bytes, log_offset upto, bool need_one,
                           std::string& out, log_offset& next) const;

  // Calls f with the header of every batch from the one containing `from` (or the first
  // after it) to the end, read alone (one pread each, no CRC); stops at f's first error.
  caf::error for_each_header(log_offset from,
                             const std::function<caf::error(const batch_header&)>& f) const;

  // Largest batch max_timestamp in the segment (-1 when empty or below -1). Known for the
  // active segment and a sealed one whose last time index entry is its last batch; otherwise
  // computed on first use by walking the batch headers after the last time index entry, then
  // cached.
  caf::expected<int64_t> max_timestamp();

  // The first record (lowest offset) whose timestamp is >= target, if any: the time index
  // gives the batch to start from, batches whose max_timestamp is below target are skipped
  // by header, the first other batch is decoded. corrupt_message if a batch does not parse.
  caf::expected<std::optional<timestamp_offset>> find_timestamp(int64_t target) const;

  // Cuts the segment before the first batch with next_offset() > offset: the batch
  // containing `offset` goes too, and the index entries of the batches cut. next_offset()
  // becomes min(offset, that batch's base). Durable at the next flush().
  caf::error truncate_to(log_offset offset);

  // The segment stops taking appends: its index file is trimmed to its entries and its time
  // index gets an entry for its last batch (the seal entry) if it has none. No fsync: the
  // data becomes durable at the next flush() (or when the OS writes it back).
  caf::error seal();
  // The segment takes appends again (after a truncation made it the last one).
  caf::error unseal();
  // fsync the log and both indexes if anything changed since the last flush.
  caf::error flush();
  // True when appends or a truncation happened since the last flush().
  bool dirty() const { return dirty_; }
  // Makes the next flush() fsync even if nothing was written since the last one (a log
  // reopened after a failed fsync holds pages of unknown durability).
  void mark_dirty() { dirty_ = true; }
  // Closes the three files (no fsync).
  caf::error close();
  // Closes and deletes the three files (.log first).
  caf::error remove();

private:
  segment(storage::env& env, std::string dir, log_offset base, segment_config cfg,
          std::unique_ptr<storage::file> log, std::unique_ptr<offset_index> index,
          std::unique_ptr<time_index> tindex, uint64_t size);

  // -- recovery (segment_recovery.cpp) --
  // The full check of open() from position 0: `tail` allows cutting a torn tail. Changes
  // nothing on a corrupt batch; otherwise rebuilds both indexes.
  caf::error recover(bool tail, bool& truncated);
  // The check of open() from a recovery point of this segment: sets `reason` (changing
  // nothing) if the point does not match the files; otherwise checks the batches after it
  // like recover(true) and adds their index entries.
  caf::error resume(const recovery_point& from, std::string& reason, bool& truncated);
  // Cuts the torn tail at `end` (after the check found no valid batch from there on): one
  // warning naming `why`, and the .log fsynced.
  caf::error cut_torn_tail(uint64_t end, const std::string& why, bool& truncated);
  // Walks the headers after the last index entry; `missing` gets the batches that are due
  // an index entry (added by the caller once every check passed). Sets `reason` if the log
  // and index disagree. Changes no file.
  caf::error verify_tail(std::string& reason, std::vector<batch_place>& missing);
  // Empties both indexes and fills them (and max_timestamp_, last_batch_) by walking the
  // headers of the batches in [0, end), which the full check found valid.
  caf::error rebuild_indexes(uint64_t end);
  // Closes the files of a segment whose open failed, leaving the disk as it was: no index
  // trimmed, and the index files removed if open() created them.
  void abandon(bool index_existed, bool time_index_existed);
  // Adds an index entry for a batch at `position` if index_interval_bytes passed.
  void maybe_index(log_offset offset, uint64_t position);

  // -- time index (segment_time.cpp) --
  // Adds a time index entry for the last batch (last_batch_) if the running max timestamp
  // rose above the last entry's and index_interval_bytes passed since that entry.
  void maybe_time_index();
  // Adds the seal entry: the last batch with the segment's max timestamp, unless the last
  // entry is that batch already. Best effort: a failure leaves the index sparser (a warning).
  void seal_time_index();
  // Sets max_timestamp_ and last_batch_ by walking the headers from the last time index
  // entry's batch (position 0 if none) to the end. A corrupt header ends the walk with a
  // warning (max_timestamp_ from the batches before it, last_batch_ unknown).
  caf::error scan_time_tail();
  // Sets `reason` if the last time index entry does not name the batch at its position or
  // understates its max_timestamp; learns max_timestamp_ when it is the last batch.
  caf::error verify_time_tail(std::string& reason);
  // Position of the first batch with next_offset() > offset, or size() if none.
  caf::expected<uint64_t> locate(log_offset offset) const;
  // Reads and sanity-checks the batch header at `position` (< size()).
  caf::error read_header(uint64_t position, batch_header& h) const;

  storage::env& env_;
  std::string dir_;
  log_offset base_;
  segment_config cfg_;
  std::string log_path_;
  std::unique_ptr<storage::file> log_;  // Invariant: not null
  std::unique_ptr<offset_index> index_;
  std::unique_ptr<time_index> time_index_;
  uint64_t size_;            // Invariant: == the .log file size, whole batches only
  log_offset next_offset_;   // Invariant: >= base_
  // Largest batch max_timestamp so far, at least -1; nullopt until computed.
  std::optional<int64_t> max_timestamp_;
  std::optional<batch_place> last_batch_;  // the last batch; nullopt if empty or unknown
  // The batches appended last (at most recent_capacity, oldest first), so that a read at the
  // tail (a follower or consumer that is caught up) finds its start without reading the
  // headers after the last index entry one by one. Empty until an append; cleared by a
  // truncation. Invariant: consecutive, in offset order, the last one ending at size_.
  struct recent_batch {
    log_offset base;
    log_offset next;
    uint64_t position;
  };
  static constexpr size_t recent_capacity = 16;
  std::vector<recent_batch> recent_;
  bool dirty_ = false;       // written or truncated since the last flush()
};

} // namespace cafka
