// Internals shared by the record batch codec's files (record_batch.cpp, record_batch_check.cpp):
// sizes of the smallest batch and record, and Java-style wrapping addition. Not for other
// code. Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/protocol/record_batch.hpp"

namespace cafka::detail {

// batch_length of a batch without records.
constexpr int32_t min_batch_length = static_cast<int32_t>(batch_header_size - batch_log_overhead);
// Smallest encoded record: length, attributes, timestamp delta, offset delta, key length,
// value length and header count, one byte each.
constexpr size_t min_record_size = 7;

// Signed additions that wrap like Java instead of overflowing (corrupt input must not be UB).
inline int64_t wrap_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

} // namespace cafka::detail
