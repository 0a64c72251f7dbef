// A partition's leader-epoch history: (epoch, first offset written in it), as Kafka keeps in
// leader-epoch-checkpoint (KIP-101 / KIP-279). A follower whose log diverged asks the leader
// for the end offset of its last epoch and truncates there before it catches up.
// Owned by one partition replica; not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"

namespace cafka {

struct epoch_entry {
  leader_epoch epoch;
  log_offset start_offset;  // first offset of the epoch
};

// Answer to "where does epoch E end?": the largest epoch <= E this log knows, and the
// offset where it ends (exclusive). No such epoch: no_leader_epoch, no_offset (truncate nothing
// known: the follower then truncates to its log start / fetches from scratch).
struct epoch_end {
  leader_epoch epoch = no_leader_epoch;
  log_offset end_offset = no_offset;
};

class leader_epoch_cache {
public:
  // Records that `epoch` starts at `start_offset`. Ignored if epoch is not newer than the
  // latest one. Requires: start_offset >= the latest entry's start offset.
  void assign(leader_epoch epoch, log_offset start_offset);

  // KIP-279 lookup; log_end is this log's end offset (the end of the latest epoch).
  epoch_end end_offset_for(leader_epoch epoch, log_offset log_end) const;

  // The log was truncated to `end` (records >= end are gone): epochs that started at or
  // after it are dropped.
  void truncate_from_end(log_offset end);

  // Old segments were deleted so the log starts at `start`: entries before it are folded so
  // that the first remaining epoch starts at `start` at the earliest.
  void truncate_from_start(log_offset start);

  std::optional<epoch_entry> latest() const;
  const std::vector<epoch_entry>& entries() const { return entries_; }

  // The leader-epoch-checkpoint file (docs/partition-checkpoints-format.md): version 1, the
  // durable frame around the entries, is written. parse also reads version 0, Kafka's text
  // ("0\n<count>\n" then "<epoch> <offset>\n" lines). Errors: errc::corrupt_message naming
  // what does not parse (a short file, an unknown version, a CRC mismatch, entries out of
  // order).
  std::string serialize() const;
  static caf::expected<leader_epoch_cache> parse(const std::string& bytes);

private:
  static caf::expected<leader_epoch_cache> parse_text(const std::string& text);

  std::vector<epoch_entry> entries_;  // Invariant: epochs and start offsets increasing
};

} // namespace cafka
