// The recovery checkpoint of one partition log (<dir>/recovery-point-checkpoint, Kafka's
// recovery-point-offset-checkpoint kept per log): up to where the log was fsynced, and up to
// where it was written in this boot, so that open checks only the bytes after. Encode,
// decode, load and save through the log's storage env; pure otherwise, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/storage/env.hpp"

namespace cafka {

// The checkpoint's file in a partition directory (format: docs/storage-format.md).
constexpr const char* recovery_checkpoint_file = "recovery-point-checkpoint";

// A batch of a segment: its base offset and byte position in the .log.
struct batch_place {
  log_offset base;
  uint64_t position = 0;

  friend bool operator==(const batch_place& a, const batch_place& b) {
    return a.base == b.base && a.position == b.position;
  }
};

// A point of the log: the state of its segment `segment_base` after its first `position`
// bytes (whole batches): what open needs to resume there without reading those bytes.
struct recovery_point {
  log_offset segment_base;
  uint64_t position = 0;                    // bytes of the .log before the point
  log_offset next_offset;                   // offset after the last batch before it
  uint64_t index_entries = 0;               // .index entries of those batches
  uint64_t time_index_entries = 0;          // .timeindex entries of those batches
  int64_t max_timestamp = -1;               // largest batch max_timestamp of those batches
  std::optional<batch_place> last_batch;    // the batch ending at `position`; none iff 0

  friend bool operator==(const recovery_point& a, const recovery_point& b) {
    return a.segment_base == b.segment_base && a.position == b.position
           && a.next_offset == b.next_offset && a.index_entries == b.index_entries
           && a.time_index_entries == b.time_index_entries
           && a.max_timestamp == b.max_timestamp && a.last_batch == b.last_batch;
  }
  friend bool operator!=(const recovery_point& a, const recovery_point& b) { return !(a == b); }
};

struct recovery_checkpoint {
  // The boot that wrote `written` (/proc/sys/kernel/random/boot_id; empty if unknown).
  std::string boot_id;
  // Everything before it was fsynced (log, indexes): trusted after any crash.
  std::optional<recovery_point> durable;
  // Everything before it was written by completed appends: trusted in the same boot only (a
  // killed process loses no page cache; a machine crash does). Invariant: at or after durable.
  std::optional<recovery_point> written;
};

// The file bytes: the durable checkpoint frame (version 1) around the checkpoint.
std::string serialize_recovery_checkpoint(const recovery_checkpoint& c);

// errc::corrupt_message "recovery-point-checkpoint: " then `shorter than its header (N
// bytes)`, `version V is unknown (this cafka reads 1)`, `CRC32C mismatch`, a reader error,
// or `bad point` (a point whose fields break the rules of its grammar).
caf::expected<recovery_checkpoint> parse_recovery_checkpoint(std::string_view bytes);

// Reads <dir>/recovery-point-checkpoint: nullopt if there is none; corrupt_message as parse,
// storage_error if unreadable.
caf::expected<std::optional<recovery_checkpoint>>
load_recovery_checkpoint(storage::env& disk, const std::string& dir);

// Replaces <dir>/recovery-point-checkpoint. `durable`: env::replace_file (fsync of the file
// and the directory). Otherwise written to <file>.tmp and renamed over it without fsync: a
// crash may leave the old file (or a torn one, which fails its CRC), never a mix.
caf::error save_recovery_checkpoint(storage::env& disk, const std::string& dir,
                                    const recovery_checkpoint& c, bool durable);

// Removes <dir>/recovery-point-checkpoint and fsyncs the directory: from then on no crash
// can bring the old file back.
caf::error remove_recovery_checkpoint(storage::env& disk, const std::string& dir);

// This machine's boot id, read once (empty if unreadable: then `written` is never trusted).
const std::string& current_boot_id();

} // namespace cafka
