// A partition's idempotence table (Kafka's ProducerStateManager): per producer id its epoch and
// the metadata of its last 5 batches, so the leader drops a retried batch and rejects gaps; at
// most max_entries() producers, the least recently written evicted beyond it. Owned by one
// partition replica (leader or follower, every replica keeps it); not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka {

class partition_log;
namespace storage {
class env;
}

// The snapshot's file in a partition directory (format: docs/partition-checkpoints-format.md).
constexpr const char* producer_snapshot_file = "producer-state.snapshot";

// Batches remembered per producer: a retry of any of them is answered as a duplicate. The
// client keeps at most this many batches unacknowledged per partition (max.in.flight <= 5).
constexpr size_t producer_batch_window = 5;

// Kafka's producer.id.expiration.ms default: a producer silent this long is forgotten.
constexpr int64_t default_producer_id_expiration_ms = 24ll * 3600 * 1000;

// Sequence of the last record of a batch: add_sequence(base_sequence, last_offset_delta).
int32_t last_sequence(const batch_header& h);

// What the leader knows about one appended batch of a producer.
struct producer_batch {
  int32_t first_seq = 0;
  int32_t last_seq = 0;
  log_offset base_offset;
  log_offset last_offset;
  int64_t timestamp = 0;  // the batch's max_timestamp (ms)

  bool operator==(const producer_batch& o) const {
    return first_seq == o.first_seq && last_seq == o.last_seq
           && base_offset == o.base_offset && last_offset == o.last_offset
           && timestamp == o.timestamp;
  }
};

struct producer_entry {
  producer_epoch epoch{0};
  std::deque<producer_batch> batches;  // oldest first
  int64_t last_timestamp = 0;          // max batch timestamp seen (expiry)

  // Invariant: 1 <= batches.size() <= producer_batch_window; offsets increasing.
  const producer_batch& last() const { return batches.back(); }

  bool operator==(const producer_entry& o) const {
    return epoch == o.epoch && batches == o.batches && last_timestamp == o.last_timestamp;
  }
};

// check()'s answer for a batch the leader may write.
struct check_result {
  enum kind_t { append, duplicate };
  kind_t kind = append;
  // duplicate: where the original batch is. The leader answers with base_offset; with
  // acks=all it first waits, as for an append, until the high watermark passes last_offset.
  log_offset base_offset = no_offset;
  log_offset last_offset = no_offset;
  int64_t timestamp = 0;  // duplicate: the original batch's max_timestamp
};

class producer_state {
public:
  // Decides whether the leader appends batch h (read_batch_header of the produce request):
  // - no_producer_id (not idempotent): append.
  // - an unknown producer id (never seen, expired, truncated away or evicted by the cap):
  //   append if base_sequence is 0, else unknown_producer_id.
  //   Kafka accepts any first sequence (so that a producer the table forgot can resume);
  //   cafka does not, because then a new producer whose first batch failed while the next
  //   ones were in flight would leave a gap that nobody sees. A forgotten producer's oldest
  //   batch is refused instead, which proves it is not in the log, and the client resends
  //   it in a new epoch from sequence 0 (send_queue). Epochs of unknown producers are free.
  // - same epoch, first/last sequence equal to one of the 5 remembered batches: duplicate.
  // - same epoch, base_sequence is the last sequence + 1 (INT32_MAX wraps to 0): append.
  // - same epoch, anything else: errc::out_of_order_sequence (a gap, or older than the window).
  // - an older epoch: errc::invalid_producer_epoch.
  // - a newer epoch: append if base_sequence is 0 (the new epoch resets the sequence), else
  //   errc::out_of_order_sequence.
  // - producer_id >= 0 with a negative epoch or sequence, or no records: errc::invalid_request.
  caf::expected<check_result> check(const batch_header& h) const;

  // Records a batch written to the log, h.base_offset being its final offset. The leader calls
  // it after each append, a follower for each batch it copies, recovery for each batch it
  // replays. It follows the log without judging it (a different epoch replaces the entry).
  // Batches below next_offset() are already in the table and are ignored (returns false).
  // A new producer beyond max_entries() evicts the least recently written one: the entry
  // whose last batch has the lowest offset. That depends on the log alone, so a replica that
  // copies the log or replays it (from a snapshot made under the same cap) evicts the same;
  // but truncate() does not bring back a producer that truncated batches evicted.
  bool on_append(const batch_header& h);

  // Feeds every whole batch of `batches` (batches as stored, back to back, e.g. a log read
  // or a replica fetch payload) to on_append; returns how many it applied. A trailing partial
  // batch is ignored; a length that cannot be a batch is errc::corrupt_message.
  caf::expected<size_t> replay(std::string_view batches);

  // The log was truncated so that it ends at `end` (the new log end offset): forgets the
  // batches at or after it; an entry left without batches is removed (its producer is then
  // unknown, see check()). The other entries keep fewer than 5 batches until new ones come,
  // which is enough because a producer resends only its last 5 batches and the truncated
  // ones were never acknowledged. Requires: the snapshot file is rewritten afterwards if it
  // is newer than `end` (save_producer_snapshot), so a crash cannot bring the old tail back.
  void truncate(log_offset end);

  // Forgets producers whose last batch timestamp is older than now_ms - expiration_ms.
  // Returns how many were removed.
  size_t expire(int64_t now_ms, int64_t expiration_ms);

  void clear();

  // The cap on producers (cluster.conf's max-producer-ids-per-partition); unbounded until
  // set. Lowering it below size() evicts the least recently written producers at once.
  // Requires: n >= 1.
  void set_max_entries(size_t n);
  size_t max_entries() const { return max_entries_; }
  // Producers evicted by the cap since this table was made (not part of the snapshot).
  uint64_t evictions() const { return evictions_; }

  // The table holds every batch below this offset (the log end it has seen).
  log_offset next_offset() const { return next_offset_; }

  // Requires: the table is empty. Replay then starts here (e.g. at the log start).
  void start_at(log_offset offset);

  const producer_entry* find(producer_id id) const;
  const std::map<producer_id, producer_entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

  bool operator==(const producer_state& o) const {
    return next_offset_ == o.next_offset_ && entries_ == o.entries_;
  }
  bool operator!=(const producer_state& o) const { return !(*this == o); }

  // The snapshot bytes (format: docs/partition-checkpoints-format.md), as of next_offset().
  std::string serialize() const;
  // Parses snapshot bytes; errc::corrupt_message with a reason if they are not a valid one.
  static caf::expected<producer_state> parse(std::string_view bytes);

private:
  // Drops least recently written producers until size() <= max_entries_.
  void evict_over_cap();

  std::map<producer_id, producer_entry> entries_;
  // Invariant: one key per entry, the last_offset of its last batch (offsets of different
  // producers' batches never coincide), so begin() is the least recently written producer.
  std::map<log_offset, producer_id> by_last_write_;
  log_offset next_offset_{0};
  // Invariant: entries_.size() <= max_entries_ (so a snapshot never holds more).
  size_t max_entries_ = std::numeric_limits<size_t>::max();
  uint64_t evictions_ = 0;
};

// Writes <dir>/producer-state.snapshot on `disk` (env::replace_file: atomic replace).
caf::error save_producer_snapshot(storage::env& disk, const std::string& dir,
                                  const producer_state& st);

// Reads <dir>/producer-state.snapshot from `disk`. A missing file is an empty table at offset
// 0 (no error); a corrupt one is errc::corrupt_message, an unreadable one storage_error.
caf::expected<producer_state> load_producer_snapshot(storage::env& disk, const std::string& dir);

// What recover_producer_state did, for the replica's log line.
struct producer_recovery {
  producer_state state;
  std::string warning;           // non-empty: the snapshot was ignored, and why
  log_offset replayed_from{0};   // replay started here ...
  size_t batches_replayed = 0;   // ... and fed this many batches
};

// Rebuilds a replica's table at open: loads the snapshot in `dir` (a corrupt one is ignored
// with a warning), caps it at max_entries (set_max_entries: a snapshot made under a higher
// cap loses its least recently written producers), then replays the log from the snapshot's
// offset to the log end. A snapshot behind the log start (retention deleted what it was
// missing) is not used: replay starts at the log start. A snapshot beyond the log end (a torn tail cut at open) is truncated to it.
// Fails only if the log cannot be read.
caf::expected<producer_recovery> recover_producer_state(
  storage::env& disk, const std::string& dir, const partition_log& log,
  size_t max_entries = std::numeric_limits<size_t>::max());

} // namespace cafka
