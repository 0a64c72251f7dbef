// The log cleaner of one partition log (Kafka's cleanup.policy=compact): rewrites the log's
// sealed segments below a limit keeping the latest record of each key, in bounded steps so that
// its owner (the partition replica actor) never blocks for long. Plain storage code over a
// partition_log; owned by the log's owner and called on its thread between its other calls.
// See "Compaction" in docs/storage-format.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/storage/partition_log.hpp"

namespace cafka {

class key_offset_map;
class segment;

struct cleaner_config {
  // log.cleaner.dedupe.buffer.size: memory of the key map of one pass (24 bytes per key).
  size_t dedupe_buffer_bytes = size_t{128} << 20;
  // log.cleaner.io.buffer.load.factor: the share of the map's slots a pass fills.
  double dedupe_load_factor = 0.9;
  // delete.retention.ms: a tombstone (null value) is removed once now_ms minus the largest
  // timestamp of the segment holding it exceeds this.
  int64_t delete_retention_ms = 86400000;
  // min.cleanable.dirty.ratio: needs_cleaning() is true from this dirty_ratio() on.
  double min_cleanable_dirty_ratio = 0.5;
  // The largest decompressed records of one batch the cleaner reads.
  size_t max_uncompressed = default_max_uncompressed;
  // The bytes one step(log, limit, now_ms) reads plus writes (Kafka's
  // log.cleaner.io.buffer.size plays a similar part): what the owner may block for.
  size_t max_step_bytes = size_t{1} << 20;
};

// Totals since the cleaner was made.
struct cleaner_stats {
  uint64_t passes = 0;            // passes finished
  uint64_t restarts = 0;          // passes discarded because the log changed under them
  uint64_t bytes_read = 0;        // log bytes read (map building and cleaning)
  uint64_t bytes_written = 0;     // bytes of cleaned segments written
  uint64_t records_removed = 0;   // superseded, keyless and expired tombstone records dropped
  uint64_t tombstones_removed = 0;  // of those, tombstones past delete_retention_ms
  uint64_t batches_removed = 0;   // batches left with no record and dropped
  uint64_t segments_installed = 0;  // cleaned segments swapped in
};

// What one step did.
struct cleaner_progress {
  bool done = false;       // no pass under way after this step: finished, or nothing to clean
  bool restarted = false;  // the log changed under the pass: its output was discarded, the
                           // next step starts a new pass
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
};

class log_cleaner {
public:
  // Requires: the storage env of the logs it cleans outlives the cleaner (its unfinished
  // output is removed through it). One cleaner per log (cleaned_up_to() is that log's); a
  // step on another log object than the pass's (the log reopened) discards the pass.
  explicit log_cleaner(cleaner_config cfg);
  ~log_cleaner();

  log_cleaner(const log_cleaner&) = delete;
  log_cleaner& operator=(const log_cleaner&) = delete;

  // The share of the cleanable bytes (sealed segments wholly below min(active segment base,
  // limit)) that lie at or after cleaned_up_to(): Kafka's dirty ratio; 0 when there are none.
  caf::expected<double> dirty_ratio(partition_log& log, log_offset limit) const;
  // True when a pass is under way or dirty_ratio() >= min_cleanable_dirty_ratio with at least
  // one dirty segment.
  caf::expected<bool> needs_cleaning(partition_log& log, log_offset limit) const;

  // Does about max_bytes (read plus written; at least one batch, also for 0) of the pass,
  // starting one if none is under way. A pass: (1) maps each key of the dirty sealed segments
  // (from cleaned_up_to(), wholly below clean_end = min(active segment base, limit); limit is
  // read when the pass starts, e.g. the high watermark) to its latest offset, stopping before
  // the segment whose keys no longer fit the map; (2) rewrites every sealed segment from the
  // log start to the end of the mapped ones into cleaned segments, each taking consecutive
  // sources while it stays within segment_bytes, installed in their place
  // (partition_log::install_cleaned).
  // Kept: records with a key and no later record of that key in the map, tombstones only
  // until delete_retention_ms; a batch left empty is kept as an empty batch only while it
  // may be its producer's last. Between steps the log may be appended to, truncated or have
  // segments deleted: a step that finds a segment of the pass changed discards the pass
  // (restarted). errc::corrupt_message / invalid_record for a bad batch, errc::invalid_config
  // if the map cannot hold the keys of one segment: the pass is dropped, its unfinished
  // output removed, the log unchanged by this step. Storage errors as the log reports them
  // (after one from an install the owner must reopen the log: see install_cleaned).
  caf::expected<cleaner_progress> step(partition_log& log, log_offset limit, size_t max_bytes,
                                       int64_t now_ms);
  // step() with max_bytes = config().max_step_bytes.
  caf::expected<cleaner_progress> step(partition_log& log, log_offset limit, int64_t now_ms) {
    return step(log, limit, cfg_.max_step_bytes, now_ms);
  }

  // Drops the pass under way, removing its unfinished output.
  void abort();

  bool in_pass() const { return phase_ != phase::idle; }
  // Segments below this offset were cleaned by a finished pass of this cleaner (0 at first:
  // the whole log counts as dirty after a restart of the broker).
  log_offset cleaned_up_to() const { return cleaned_up_to_; }
  const cleaner_stats& stats() const { return stats_; }
  const cleaner_config& config() const { return cfg_; }

private:
  enum class phase { idle, mapping, cleaning };

  // cleaned_up_to_, or 0 if the log (its sealed segments `segs`) was truncated below it.
  log_offset cleaned_point(const std::vector<segment_info>& segs, log_offset log_start) const;
  // Starts a pass; false if there is nothing to clean.
  caf::expected<bool> start(partition_log& log, log_offset limit);
  // True if every segment of the pass is still in the log, unchanged.
  caf::expected<bool> unchanged(partition_log& log) const;
  caf::error map_some(partition_log& log, size_t budget, cleaner_progress& p);
  caf::error clean_some(partition_log& log, size_t budget, int64_t now_ms, cleaner_progress& p);
  // Adds the keys of the batches in `data` to the map; false once a key does not fit.
  caf::expected<bool> map_batches(const std::string& data);
  // Appends the kept part of one batch (if any) to the output.
  caf::error clean_batch(std::string_view batch, const segment_info& src, int64_t now_ms);
  caf::error install(partition_log& log);
  void finish_pass();
  void reset();

  cleaner_config cfg_;
  phase phase_ = phase::idle;
  log_offset cleaned_up_to_{0};
  cleaner_stats stats_;
  std::unique_ptr<key_offset_map> map_;
  // The sealed segments of the pass, wholly below its clean_end, as sealed_segments() gave
  // them (updated when a cleaned segment replaces some).
  std::vector<segment_info> segments_;
  size_t first_dirty_ = 0;  // index in segments_ of the first segment the map covers
  size_t mapped_ = 0;       // segments_[first_dirty_, mapped_) are in the map
  size_t clean_count_ = 0;  // the pass cleans segments_[0, clean_count_)
  log_offset cursor_{0};    // next offset to read
  // The last batch base offset of each producer id among the batches mapped.
  std::unordered_map<int64_t, log_offset> producer_last_;
  size_t next_src_ = 0;  // index in segments_ of the source segment being (or next) read
  // The consecutive source segments written into output_ so far (the last one being read).
  std::vector<segment_info> group_;
  std::unique_ptr<segment> output_;  // the cleaned segment being written; null between them
  log_offset map_end_{0};            // the pass cleans segments wholly below this
  bool stale_ = false;  // install_cleaned found the pass's segments changed
  const partition_log* log_ = nullptr;  // the log of the pass under way
  uint64_t log_instance_ = 0;           // its instance(): a reopened log at the same address differs
  // The last segment a finished pass wrote: gone or changed while the log start is still
  // at or below it, the log was truncated below cleaned_up_to_, which then restarts.
  std::optional<segment_info> boundary_;
};

} // namespace cafka
