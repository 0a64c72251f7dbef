// The log cleaner's map from a record key to the offset of its latest record (Kafka's
// SkimpyOffsetMap): a fixed-size open-addressing table of (16-byte MD5 of the key, offset)
// entries, sized by a byte budget (log.cleaner.dedupe.buffer.size). Owned by one log_cleaner;
// not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "runtime/base/ids.hpp"

namespace cafka {

class key_offset_map {
public:
  static constexpr size_t hash_size = 16;
  static constexpr size_t entry_size = hash_size + 8;  // hash, offset

  // A table of memory_bytes / entry_size slots (at least 1), full at load_factor of them.
  // Requires: 0 < load_factor <= 1.
  key_offset_map(size_t memory_bytes, double load_factor);

  // Records `offset` as the latest offset of `key` (a key seen before gets the greater of its
  // old and new offsets). False, nothing stored, when the key is new and the map is full
  // (or hashing failed, see hash_of).
  bool put(std::string_view key, log_offset offset);
  // The offset recorded for `key`, if any. Two keys with the same MD5 count as one.
  std::optional<log_offset> get(std::string_view key) const;

  size_t size() const { return size_; }
  // The number of keys it holds when full.
  size_t capacity() const { return max_entries_; }
  bool full() const { return size_ >= max_entries_; }
  // Forgets every key (keeps the memory).
  void clear();

private:
  using digest = std::array<unsigned char, hash_size>;

  // The MD5 of `key`; false if OpenSSL fails (not expected: a memory buffer and a reused
  // context), which put() reports as a full map and get() as an unknown key (the record is
  // kept), so that a failure never removes a record.
  static bool hash_of(std::string_view key, digest& d);
  // The slot holding `d`, or the empty slot where it would go.
  size_t find(const digest& d) const;

  std::vector<digest> hashes_;
  std::vector<int64_t> offsets_;  // -1: empty slot; Invariant: same size as hashes_
  size_t max_entries_;            // Invariant: < hashes_.size() unless it has 1 slot
  size_t size_ = 0;
};

} // namespace cafka
