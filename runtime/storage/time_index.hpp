// The sparse time index of one log segment (<base offset>.timeindex), Kafka's .timeindex with a
// versioned header: entries (largest timestamp so far, offset, position), read and written with
// pread/pwrite, never held in memory. Owned by its segment; not thread-safe. See
// docs/storage-format.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/storage/env.hpp"

namespace cafka {

// A record found by timestamp (Kafka's TimestampAndOffset).
struct timestamp_offset {
  log_offset offset;  // the record's offset
  int64_t timestamp;  // the record's timestamp, ms
};

class time_index {
public:
  static constexpr char magic[4] = {'C', 'T', 'I', 'X'};
  static constexpr int16_t version = 1;
  static constexpr size_t header_size = 14;  // magic, version:int16, base_offset:int64
  static constexpr size_t entry_size = 16;   // timestamp:int64, offset:uint32, position:uint32

  struct entry {
    int64_t timestamp;  // largest batch max_timestamp of the segment up to this batch
    log_offset offset;  // base offset of the batch at `position`
    uint32_t position;  // byte position of that batch in the .log
  };

  // Opens (creating if absent) `path` and reads its header and last entry, untrusted: call
  // check() before using the entries, or clear() to rebuild. Requires: env outlives the index.
  static caf::expected<std::unique_ptr<time_index>> open(storage::env& env, std::string path,
                                                         log_offset base);
  // Closes the file; reports nothing (call close() for errors).
  ~time_index();

  time_index(const time_index&) = delete;
  time_index& operator=(const time_index&) = delete;

  // Empty string when the file is usable for a .log of `log_size` bytes: our header (magic,
  // version, base offset), whole entries, timestamps >= -1 and non-decreasing, offsets and
  // positions strictly increasing, positions < log_size; else the reason. Reads the file.
  caf::expected<std::string> check(uint64_t log_size) const;
  // The same for the header and the first n entries only (a recovery point's); "time index
  // has fewer than n entries" if it has.
  caf::expected<std::string> check_prefix(size_t n, uint64_t log_size) const;
  // Cuts the file to its header and first n entries. Requires: n <= size().
  caf::error keep_first(size_t n) { return cut(n); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The last entry (kept in memory), if any.
  const std::optional<entry>& last() const { return last_; }
  // The entry at index i (a pread). Requires: i < size().
  caf::expected<entry> at(size_t i) const;

  // The last entry with timestamp < target, if any: every record of the segment up to and
  // including its batch is older than `target`.
  caf::expected<std::optional<entry>> lookup(int64_t target) const;

  // Writes one entry at the end. errc::invalid_request (nothing written) unless e.timestamp
  // >= -1 and >= the last entry's, offset and position are greater than the last entry's,
  // and e.offset - base fits in uint32.
  caf::error append(const entry& e);

  // Drops the entries with position >= `position` (the .log is cut there).
  caf::error truncate_to_position(uint64_t position);
  // Drops every entry and writes a fresh header (before a rebuild).
  caf::error clear();

  // fsync of the file.
  caf::error flush();
  caf::error close();
  // close() + unlink the file.
  caf::error remove();

  const std::string& path() const { return path_; }

private:
  time_index(storage::env& env, std::unique_ptr<storage::file> file, std::string path,
             log_offset base);

  // Reads the entry at index i into `out` (a short read is a storage_error).
  caf::error read_entry(size_t i, entry& out) const;
  // The number of leading entries for which pred(entry) holds (pred must be monotone).
  template <class Pred>
  caf::expected<size_t> partition_point(Pred pred) const;
  // Cuts the file to its header and the first n entries.
  caf::error cut(size_t n);

  storage::env& env_;
  std::unique_ptr<storage::file> file_;  // Invariant: not null
  std::string path_;
  log_offset base_;
  size_t size_ = 0;             // whole entries in the file
  std::optional<entry> last_;   // Invariant: the entry at size_ - 1, nullopt iff size_ == 0
  std::string header_problem_;  // why the file's header or size is not ours ("" if fine)
};

} // namespace cafka
