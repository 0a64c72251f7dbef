// The Raft core's durable storage: a directory holding `vote` (term + vote), `log` (a header
// and CRC'd entry records) and `snapshot`; format in docs/raft-storage-format.md, bytes in
// raft_files.hpp. Loading is in disk_persistence.cpp, the writes in disk_persistence_write.cpp.
// Every file operation goes through the storage env it is given (runtime/storage/env.hpp).
// Owned by one driver (the controller member actor, or a test); not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "runtime/raft/persistence.hpp"
#include "runtime/storage/env.hpp"

namespace cafka::raft {

class disk_persistence : public persistence {
public:
  // No I/O here: the directory is created (if absent) and recovered by the first call.
  // Requires: env not null.
  disk_persistence(std::string dir, std::shared_ptr<storage::env> env);
  ~disk_persistence() override;

  disk_persistence(const disk_persistence&) = delete;
  disk_persistence& operator=(const disk_persistence&) = delete;

  // Reads vote, snapshot and log from disk (again, on every call). Removes leftover .tmp
  // files; cuts a torn or corrupt log tail at the first bad record (one warning line);
  // gives a log of version 0 (no header) the current header;
  // finishes a log compaction a crash interrupted (drops entries <= the snapshot index).
  // errc::storage_error for I/O failures, a damaged vote or snapshot file, or a log that is
  // not contiguous / term-monotonic after the snapshot. Never throws.
  caf::error load(persisted_state& out) override;

  // Replaces the vote file atomically.
  caf::error store_term_and_vote(raft_term term, node_id voted_for) override;

  // One write of all records, then fsync. Requires: entries[0].index == last_index() + 1,
  // indexes contiguous, terms non-decreasing (and >= the previous entry's / snapshot's term),
  // else errc::invalid_request and nothing is written.
  caf::error append(const std::vector<log_entry>& entries) override;

  // Cuts the log file at the first record with index >= from, fsyncs. A no-op if none.
  caf::error truncate(raft_index from) override;

  // Replaces the snapshot file atomically, then rewrites the log without the entries
  // <= snp.desc.index (only if it holds any). If the log holds entry snp.desc.index with
  // another term, the whole log is dropped (Raft: a conflicting suffix is never kept).
  // Requires: snp.desc.index >= the stored snapshot's index, else errc::invalid_request.
  caf::error store_snapshot(const snapshot& snp) override;

  // -- state queries (valid after a successful call) ------------------------------------------
  const std::string& dir() const { return dir_; }
  // The last stored index: the last log entry, else the snapshot's index, else 0.
  raft_index last_index() const;
  raft_index snapshot_index() const { return snap_.index; }
  size_t entry_count() const { return positions_.size(); }

  // File names inside dir() (for tests and tools).
  static constexpr const char* vote_file = "vote";
  static constexpr const char* log_file = "log";
  static constexpr const char* snapshot_file = "snapshot";

private:
  // Where one log record starts, and the entry it holds (for truncate and append checks).
  struct record_pos {
    raft_index index;
    raft_term term;
    uint64_t pos;
  };

  // Runs load() into a scratch state if nothing is loaded yet (or after a failed write).
  caf::error ensure_open();
  caf::error open_dir();
  caf::error load_vote(persisted_state& out);
  caf::error load_snapshot(persisted_state& out);
  caf::error load_log(persisted_state& out);
  // Rewrites the log as the header and the records from positions_[first] on (atomic
  // replace).
  caf::error rewrite_log_from(size_t first);
  caf::error open_log_file();
  // Cuts the log file to nothing and writes the header (a new or torn log).
  caf::error write_log_header();
  // Where the records of the log file's bytes `buf` start: after the header, or at 0 for a
  // log of version 0 (headerless). A torn header is written again (buf becomes it).
  // Errors: a log of an unknown version or not a log.
  caf::error read_log_header(std::string& buf, size_t& pos, bool& headerless);
  // Errors: indexes that are not contiguous, or a term that goes down.
  static caf::error check_log_order(const std::string& file,
                                    const std::vector<record_pos>& recs);

  // "corrupt <path>: <what>" as errc::storage_error.
  static caf::error corrupt(const std::string& path, const std::string& what);

  std::string path(const char* name) const;

  std::string dir_;
  std::shared_ptr<storage::env> env_;  // Invariant: not null
  bool open_ = false;          // Invariant: the members below mirror the disk iff open_
  std::unique_ptr<storage::file> log_;  // the log file, read-write; null until opened
  uint64_t log_size_ = 0;      // Invariant: == the log file size: header, whole valid records
  snapshot_descriptor snap_{}; // the stored snapshot (index 0: none)
  // Invariant: indexes contiguous from snap_.index + 1, terms non-decreasing and >=
  // snap_.term, positions strictly increasing from the header's size, all < log_size_.
  std::vector<record_pos> positions_;
};

} // namespace cafka::raft
