// The Raft core's in-memory log: the entries after the latest snapshot, with term lookups,
// the log-matching check and conflict search. Owned by one raft::fsm (or a test); not
// thread-safe. Mirrors what the driver persisted (plus what the pending output adds).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "runtime/raft/raft_types.hpp"

namespace cafka::raft {

class raft_log {
public:
  raft_log() = default;

  // A log that starts after `snap` (index 0: no snapshot). Entries at or below the snapshot
  // index are skipped. Requires: the rest continue the snapshot contiguously with
  // non-decreasing terms.
  raft_log(snapshot_descriptor snap, std::vector<log_entry> entries);

  // -- queries ---------------------------------------------------------------------------------
  snapshot_descriptor snapshot() const { return snap_; }
  raft_index snapshot_index() const { return snap_.index; }
  raft_index first_index() const { return snap_.index + 1; }
  raft_index last_index() const;
  raft_term last_term() const;
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  // The term of entry `index`: the snapshot's term at its index, 0 at index 0, nullopt for
  // indexes outside [snapshot_index(), last_index()] (compacted away or not there yet).
  std::optional<raft_term> term_at(raft_index index) const;

  // The log-matching check: this log holds an entry `index` with term `term` (index 0 and the
  // snapshot's index count).
  bool matches(raft_index index, raft_term term) const;

  // Requires: first_index() <= index <= last_index().
  const log_entry& at(raft_index index) const;

  // Up to max_entries entries from `from` on, at most max_bytes of entry data (but at least
  // one entry if there is one). Empty if from > last_index(). Requires: from >= first_index().
  std::vector<log_entry> slice(raft_index from, size_t max_entries, size_t max_bytes) const;

  // The first index i in [first_index(), upto] with term_at(i) >= term, or upto + 1 if
  // none (binary search: terms never decrease along the log). Requires: upto <= last_index().
  raft_index first_index_with_term(raft_term term, raft_index upto) const;

  // -- mutations -------------------------------------------------------------------------------
  // Requires: e.index == last_index() + 1 and e.term >= last_term().
  void append(log_entry e);

  // Drops every entry with index >= from. Requires: from > snapshot_index().
  void truncate_from(raft_index from);

  // The state machine was snapshotted at `snap` (an entry of this log, or the current
  // snapshot itself): drops the entries up to it. Requires: matches(snap.index, snap.term)
  // or snap.index <= snapshot_index() (a no-op then).
  void compact(snapshot_descriptor snap);

  // A snapshot from the leader replaces the log prefix. If this log holds the snapshot's last
  // entry (same index and term) the suffix after it is kept and true is returned; otherwise
  // the whole log is dropped (false). Requires: snap.index >= snapshot_index().
  bool install_snapshot(snapshot_descriptor snap);

private:
  void check_invariants() const;

  // Invariant: entries_[i].index == snap_.index + 1 + i; terms non-decreasing and >=
  // snap_.term.
  snapshot_descriptor snap_{raft_index{0}, raft_term{0}};
  std::deque<log_entry> entries_;
};

} // namespace cafka::raft
