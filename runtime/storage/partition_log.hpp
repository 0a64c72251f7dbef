// A partition's durable log: a directory of segments (<base offset>.log + sparse .index and
// .timeindex), append of whole record batches, reads of whole batches, search by timestamp,
// roll, retention, flush, recovery. Every file operation goes through the storage env it is
// opened with (runtime/storage/env.hpp). Owned by exactly one partition replica actor; not
// thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/config/log_config.hpp"
#include "runtime/storage/env.hpp"
#include "runtime/storage/recovery_point.hpp"
#include "runtime/storage/time_index.hpp"

namespace cafka {

class segment;

// A sealed segment as the log cleaner sees it (partition_log::sealed_segments).
struct segment_info {
  log_offset base;        // its base offset
  log_offset next;        // the offset after its last batch (base if empty)
  uint64_t size = 0;      // bytes of its .log
  int64_t max_timestamp;  // its largest batch max_timestamp (-1 if none)

  // The same segment, unchanged (base, next and size; the timestamp follows from them).
  friend bool operator==(const segment_info& a, const segment_info& b) {
    return a.base == b.base && a.next == b.next && a.size == b.size;
  }
  friend bool operator!=(const segment_info& a, const segment_info& b) { return !(a == b); }
};

struct log_read_result {
  std::string data;        // whole batches, concatenated, bytes as stored
  log_offset next_offset;  // offset after the last record returned (== from if data empty)
};

class partition_log {
public:
  // Opens (creating if absent) the log in `dir` and recovers it: checks every batch after
  // the log's recovery point (<dir>/recovery-point-checkpoint: the point up to which the log
  // was written in this boot, or fsynced before it; without one, every batch of the last
  // segment, with one warning) by length, offsets and CRC and cuts a torn tail (bytes after
  // the last valid batch in which no valid batch starts; one warning line); rebuilds a
  // missing or bad index.
  // Any other damage (a bad batch with a valid one after it, a bad batch in a sealed segment,
  // overlapping segments) is errc::corrupt_message naming the file, position and offset, and
  // no segment file is changed or deleted. Never throws on a corrupt file. Every file of the
  // log is reached through `env`. Requires: env outlives the log.
  // settle: settle() before returning; without it the caller calls settle() itself, after
  // what it must make durable before the log's new recovery point (its side files).
  static caf::expected<std::unique_ptr<partition_log>> open(storage::env& env, std::string dir,
                                                            log_config cfg, int64_t now_ms,
                                                            bool settle = true);
  // Records what open checked as the recovery point of this boot (or, with a flush policy,
  // fsyncs the whole log first): from then on, the next open checks only what comes after.
  caf::error settle();
  ~partition_log();

  partition_log(const partition_log&) = delete;
  partition_log& operator=(const partition_log&) = delete;

  // Appends one whole, CRC-valid batch (validated by the caller). Patches its base offset to
  // log_end_offset() in place, writes it with one write, rolls first if the active segment
  // would exceed segment_bytes. Returns the base offset assigned. errc::offset_out_of_range
  // if its offsets would pass 2^62 - 1 (here and in append_replicated).
  caf::expected<log_offset> append(std::string& batch, int64_t now_ms);

  // A follower's append: one whole batch copied from the leader, whose base offset must be at
  // or after log_end_offset() (errc::offset_out_of_range otherwise): a compacted leader's log
  // has gaps between batches, which the copy keeps. Bytes unchanged.
  caf::error append_replicated(std::string_view batch, int64_t now_ms);

  // Whole batches covering [from, ...), stopping before max_bytes is exceeded, but always at
  // least one batch when from < log_end_offset() (so an oversize batch is still readable).
  // Requires: log_start_offset() <= from <= log_end_offset(), else errc::offset_out_of_range.
  caf::expected<log_read_result> read(log_offset from, size_t max_bytes) const;

  // Same as read but stops at `upto` (exclusive, e.g. the high watermark): batches that end
  // at or beyond upto are not returned.
  caf::expected<log_read_result> read(log_offset from, size_t max_bytes, log_offset upto) const;

  // Calls f with the header of every batch from the one containing `from` to the log end,
  // oldest first, reading headers alone (one pread of 61 bytes each, no CRC): the replays
  // of recovery (the producer state) need no records. Stops at f's first error.
  // Requires: log_start_offset() <= from, else errc::offset_out_of_range.
  caf::error for_each_header(log_offset from,
                             const std::function<caf::error(const batch_header&)>& f) const;

  // The first record (lowest offset) whose timestamp is >= ts (Kafka's ListOffsets by
  // timestamp), with that record's timestamp; nullopt if no record has one. The whole log
  // is searched, up to its end: the caller applies the high watermark.
  caf::expected<std::optional<timestamp_offset>> offset_for_timestamp(int64_t ts) const;

  log_offset log_start_offset() const;
  log_offset log_end_offset() const;
  // Bytes in all segments.
  uint64_t size_bytes() const;
  size_t segment_count() const;

  // Removes every record at or after `offset` (a follower's divergent tail).
  caf::error truncate_to(log_offset offset);

  // Removes every segment and restarts the log, empty, at `start` (Kafka's
  // truncateFullyAndStartAt): a follower whose leader no longer has the records after this
  // log's end starts over at the leader's log start.
  caf::error truncate_fully_and_start_at(log_offset start);

  // Syncs as flush() if flush.messages or flush.ms says it is due (append calls it too), and
  // rewrites the recovery checkpoint (without fsync) when the log grew by recovery_mark_bytes
  // or recovery_mark_ms passed since it was last written.
  caf::error maybe_flush(int64_t now_ms);
  // fsyncs now every segment (log and index) written since the last flush, and the directory
  // if a segment was created: everything appended so far is durable on return. Then writes
  // the recovery checkpoint durably (a failure there is a warning: open then checks more).
  caf::error flush();

  // maybe_flush() has work to come: records not yet synced under a finite flush.ms, or a
  // recovery checkpoint behind what was written.
  bool upkeep_pending() const {
    return mark_stale_
           || (unflushed_messages_ > 0 && cfg_.flush_ms != std::numeric_limits<int64_t>::max());
  }

  // A flush policy (flush.messages or flush.ms) is set: the log fsyncs itself as it is
  // written, so its fsynced point moves without a call to flush().
  bool has_flush_policy() const { return cfg_.has_flush_policy(); }

  // The first batch that a file written without fsync before each append (the replica's
  // leader-epoch checkpoint) may fail to cover after a machine crash: where open began to
  // check batches after the recovery point it trusted (at or before that point), or the
  // log start if it trusted none; never before the log start.
  log_offset unsynced_from() const { return std::max(unsynced_from_, log_start_offset()); }

  // At open the log held batches past its known fsynced point (or that point was unknown):
  // the process that wrote them did not flush the log at its end (it was killed), so files
  // it wrote without fsync beside the log may be unsynced still.
  bool opened_unflushed() const { return opened_unflushed_; }

  // How far the recovery checkpoint may lag the log end while the log is written.
  static constexpr uint64_t recovery_mark_bytes = 16u << 20;
  static constexpr int64_t recovery_mark_ms = 10000;

  // Deletes whole old segments (never the active one) beyond retention_ms (by the largest
  // record timestamp in the segment) or retention_bytes. Returns the number deleted.
  caf::expected<size_t> enforce_retention(int64_t now_ms);

  // -- for the log cleaner (runtime/storage/log_cleaner.hpp); partition_log_clean.cpp --------

  // Every segment but the active one, oldest first.
  caf::expected<std::vector<segment_info>> sealed_segments();
  // Creates the empty output segment <base>.log.cleaned (+ .index.cleaned, .timeindex.cleaned)
  // with this log's segment settings, for the cleaner to append to.
  caf::expected<std::unique_ptr<segment>> create_cleaned(log_offset base);
  // Replaces the consecutive sealed segments `replaced` (as sealed_segments() listed them) by
  // `cleaned` (from create_cleaned, based at replaced.front().base, holding batches only below
  // replaced.back().next). errc::invalid_request, nothing changed and the .cleaned files
  // removed, if they are no longer all there with the same base, next offset and size.
  // Otherwise seals and fsyncs `cleaned`, then: .cleaned -> .swap, fsync dir, delete the
  // replaced segments (oldest first), fsync dir, .swap -> final names, fsync dir; the new
  // segment is then read like any other. A crash at any point is repaired by open()
  // (recover_swap_files); so is a storage error once the .swap files exist, after which this
  // object no longer lists the replaced range: its owner must reopen the log. Requires:
  // replaced is not empty.
  caf::error install_cleaned(std::unique_ptr<segment> cleaned,
                             const std::vector<segment_info>& replaced);

  const std::string& dir() const { return dir_; }
  const log_config& config() const { return cfg_; }
  // A number no other partition_log of this process had (a reopened log may get the address
  // of the closed one; not its instance).
  uint64_t instance() const { return instance_; }
  // New settings (a topic's configs changed): retention and flush use them from now on, the
  // segment size and index interval from the next segment on.
  // Requires: cfg.segment_bytes in [1, 2^32 - 1] (as open checks).
  void set_config(const log_config& cfg) { cfg_ = cfg; }

private:
  partition_log(storage::env& env, std::string dir, log_config cfg);

  // Seals the active segment and starts a new one at `next` (no fsync: see flush()).
  caf::error roll(log_offset next);

  // -- the recovery checkpoint (partition_log_recovery.cpp) --
  // The checkpoint in `dir` as open uses it: nullopt (one warning when the directory has
  // segments) if it is missing or unreadable.
  static std::optional<recovery_checkpoint> read_checkpoint(storage::env& env,
                                                            const std::string& dir,
                                                            bool has_segments);
  // The point open trusts: `written` if the checkpoint is of this boot, else `durable`;
  // nullopt (one warning) if it lies past the last segment.
  static std::optional<recovery_point> trusted_point(const std::string& dir,
                                                     const recovery_checkpoint& c,
                                                     const std::vector<log_offset>& bases);
  // The fsync of flush(): every dirty segment and the directory; moves durable_point_.
  caf::error sync_segments();
  // Writes the checkpoint: durable_point_ and the log end as written in this boot.
  caf::error save_checkpoint(bool durable);
  // save_checkpoint(false), a failure being a warning (the old checkpoint stays true, only
  // older), once per failure streak.
  void try_save_checkpoint();
  // try_save_checkpoint() if the log end moved and recovery_mark_bytes/_ms say it is due.
  void maybe_save_checkpoint(int64_t now_ms);
  // Before a truncation to `offset`: removes the checkpoint (durably) if a point in it is not
  // below `offset`, so that no crash can pair it with the records written after the cut.
  caf::error drop_checkpoint_from(log_offset offset);
  // After a truncation: points beyond the new end move to it; the checkpoint is rewritten.
  void checkpoint_truncation();

  storage::env& env_;
  std::string dir_;
  log_config cfg_;
  std::vector<std::unique_ptr<segment>> segments_;  // Invariant: sorted by base offset, >= 1
  int64_t unflushed_messages_ = 0;
  int64_t last_flush_ms_ = 0;
  bool dir_dirty_ = false;  // a segment file was created since the last fsync of dir_
  uint64_t instance_;
  log_offset unsynced_from_{0};   // see unsynced_from()
  bool opened_unflushed_ = true;  // see opened_unflushed()
  bool settle_marks_ = false;     // settle() writes the recovery checkpoint
  // Where the log was when it was last fsynced whole (nullopt: unknown).
  std::optional<recovery_point> durable_point_;
  // The written point of the checkpoint file as this log last wrote it (nullopt: none).
  std::optional<recovery_point> saved_written_;
  bool mark_stale_ = false;      // the log end moved since saved_written_
  uint64_t unmarked_bytes_ = 0;  // bytes appended since saved_written_
  int64_t last_mark_ms_ = 0;
  bool mark_warned_ = false;     // a failed checkpoint write was reported (until one works)
};

// The bytes of every segment file (*.log) in `dir`, in offset order; empty if there is none.
// For checks that compare replicas byte for byte (tests, `cafka chaos run`), not for serving:
// it reads the real disk directly, outside any env.
std::string segment_bytes(const std::string& dir);

} // namespace cafka
