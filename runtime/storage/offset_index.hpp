// The sparse offset index of one log segment (<base offset>.index): 8-byte big-endian entries
// (offset relative to the segment base: uint32, byte position in the .log: uint32), memory-
// mapped like Kafka's (through the storage env's mapping). Owned by its segment; not
// thread-safe. See docs/storage-format.md.
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

class offset_index {
public:
  static constexpr size_t entry_size = 8;

  struct entry {
    log_offset offset;  // base offset of the batch at `position`
    uint32_t position;  // byte position of that batch in the .log
  };

  // Opens (creating if absent) `path` and maps the entries already in it, untrusted: call
  // check() before using them, or clear() to rebuild. `max_entries` bounds appends.
  // Requires: env outlives the index.
  static caf::expected<std::unique_ptr<offset_index>>
  open(storage::env& env, std::string path, log_offset base, size_t max_entries);
  // Unmaps and trims the file to its entries; reports nothing (call close() for errors).
  ~offset_index();

  offset_index(const offset_index&) = delete;
  offset_index& operator=(const offset_index&) = delete;

  // Empty string when the entries are usable for a .log of `log_size` bytes: whole entries,
  // offsets and positions strictly increasing, positions < log_size; else the reason.
  std::string check(uint64_t log_size) const;
  // The same for the first n entries only (a recovery point's); "index has fewer than n
  // entries" if it has.
  std::string check_prefix(size_t n, uint64_t log_size) const;
  // Keeps the first n entries: later entries of the file are overwritten by appends and
  // trimmed by seal(). Requires: n <= size().
  void keep_first(size_t n);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ >= max_entries_; }
  entry at(size_t i) const;

  // The entry with the greatest offset <= target, if any.
  std::optional<entry> lookup(log_offset target) const;

  // errc::invalid_request (nothing added) if the index is full, offset or position is not
  // greater than the last entry's, or offset - base does not fit in uint32.
  caf::error append(log_offset offset, uint32_t position);

  // Drops the entries with position >= `position` (the .log is cut there).
  void truncate_to_position(uint64_t position);
  // Drops every entry and empties the file (before a rebuild).
  caf::error clear();

  // Makes room for max_entries appends (the file grows, sparse; the tail is trimmed again by
  // seal() or close()).
  caf::error unseal();
  // Trims the file to exactly its entries (a segment that takes no more appends).
  caf::error seal();
  // msync of the entries and fsync of the file.
  caf::error flush();
  // seal() + unmap + close the file.
  caf::error close();
  // Unmaps and closes the file as it is, without seal()'s trim: for an index that open()
  // found and that must stay byte for byte as it was. Errors are dropped.
  void close_unchanged();
  // close() + unlink the file.
  caf::error remove();

  const std::string& path() const { return path_; }

private:
  offset_index(storage::env& env, std::unique_ptr<storage::file> file, std::string path,
               log_offset base, size_t max_entries);

  // Maps the first `capacity` entries of the file, resizing it to capacity * entry_size.
  caf::error remap(size_t capacity);
  void unmap();

  storage::env& env_;
  std::unique_ptr<storage::file> file_;  // Invariant: not null
  std::string path_;
  log_offset base_;
  size_t max_entries_;
  std::unique_ptr<storage::mapping> map_;  // Invariant: null iff capacity_ == 0
  size_t capacity_ = 0;     // entries the mapping holds; Invariant: size_ <= capacity_
  size_t size_ = 0;         // entries in use
  bool ragged_ = false;     // the file size was not a multiple of entry_size when opened
};

} // namespace cafka
