// Helpers for the codecs' non-nullable ARRAY fields: a count, then each element through a
// caller's function. Pure; any thread (used inside one decode/encode call).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

// Reads a non-nullable ARRAY into `out` (replacing it): null fails the reader, and a count
// that cannot fit (each element at least min_element_size bytes) fails it before any
// allocation. Stops at the first element that leaves the reader failed.
template <class T, class DecodeOne>
void decode_array(reader& r, size_t min_element_size, std::vector<T>& out, DecodeOne&& one) {
  out.clear();
  auto n = r.array_length(min_element_size);
  if (n < 0) {
    r.fail("null array");
    return;
  }
  out.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    out.emplace_back();
    one(out.back());
  }
}

// Writes `xs` as a non-nullable ARRAY, each element through `one`.
template <class T, class EncodeOne>
void encode_array(writer& w, const std::vector<T>& xs, EncodeOne&& one) {
  w.array_length(static_cast<int32_t>(xs.size()));
  for (auto& x : xs)
    one(x);
}

// ARRAY of INT32.
inline void decode_int32s(reader& r, std::vector<int32_t>& out) {
  decode_array(r, 4, out, [&](int32_t& x) { x = r.i32(); });
}

inline void encode_int32s(writer& w, const std::vector<int32_t>& xs) {
  encode_array(w, xs, [&](int32_t x) { w.i32(x); });
}

} // namespace cafka::kafka
