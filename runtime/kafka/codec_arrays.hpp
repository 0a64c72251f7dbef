// Reading and writing Kafka ARRAY fields (non-flexible: int32 count, -1 = null) and
// COMPACT_ARRAY fields (flexible: uvarint count + 1, 0 = null) element by element, for the
// per-API codecs. Header-only templates; any thread.
// Readers never allocate beyond what the bytes left can hold (reader::array_length).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

namespace detail {

// Reads `n` elements into `out` (replacing it), each by `read_one(r, element)`, and stops at
// the first element that leaves the reader failed.
template <class T, class F>
void read_elements(reader& r, int32_t n, std::vector<T>& out, F& read_one) {
  out.clear();
  out.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    out.emplace_back();
    read_one(r, out.back());
  }
}

// The elements of an array of count `n` (read by the caller, ARRAY or COMPACT_ARRAY form); a
// null array (n < 0) fails the reader ("null array").
template <class T, class F>
void read_present(reader& r, int32_t n, std::vector<T>& out, F& read_one) {
  if (n < 0) {
    r.fail("null array");
    n = 0;
  }
  read_elements(r, n, out, read_one);
}

// The same for a nullable array: nullopt for a null one (or a count the reader refused).
template <class T, class F>
void read_maybe(reader& r, int32_t n, std::optional<std::vector<T>>& out, F& read_one) {
  out.reset();
  if (n < 0 || !r.ok())
    return;
  read_elements(r, n, out.emplace(), read_one);
}

inline void read_string_element(reader& r, std::string& s) {
  s = r.string();
}

} // namespace detail

// Reads a non-nullable array: each element takes at least `min_size` bytes and is read by
// `read_one(r, element)`. A null array fails the reader ("null array").
template <class T, class F>
void read_array(reader& r, size_t min_size, std::vector<T>& out, F read_one) {
  detail::read_present(r, r.array_length(min_size), out, read_one);
}

// Reads a nullable array: nullopt for -1 (or a count the reader refused), otherwise as
// read_array.
template <class T, class F>
void read_nullable_array(reader& r, size_t min_size, std::optional<std::vector<T>>& out,
                         F read_one) {
  detail::read_maybe(r, r.array_length(min_size), out, read_one);
}

inline void read_string_array(reader& r, std::vector<std::string>& out) {
  read_array(r, 2, out, detail::read_string_element);
}

inline void read_nullable_string_array(reader& r,
                                       std::optional<std::vector<std::string>>& out) {
  read_nullable_array(r, 2, out, detail::read_string_element);
}

inline void read_int32_array(reader& r, std::vector<int32_t>& out) {
  read_array(r, 4, out, [](reader& in, int32_t& x) { x = in.i32(); });
}

// Flexible versions.

// COMPACT_ARRAY (uvarint count + 1, 0 = null) of elements read by `read_one`; a null array
// fails the reader ("null array").
template <class T, class F>
void read_compact_array(reader& r, size_t min_size, std::vector<T>& out, F read_one) {
  detail::read_present(r, r.compact_array_length(min_size), out, read_one);
}

// A nullable COMPACT_ARRAY: nullopt for null (or a count the reader refused).
template <class T, class F>
void read_compact_nullable_array(reader& r, size_t min_size,
                                 std::optional<std::vector<T>>& out, F read_one) {
  detail::read_maybe(r, r.compact_array_length(min_size), out, read_one);
}

// Writes `xs` as a COMPACT_ARRAY, each element by `write_one(w, element)`.
template <class T, class F>
void write_compact_array(writer& w, const std::vector<T>& xs, F write_one) {
  w.compact_array_length(static_cast<int32_t>(xs.size()));
  for (const auto& x : xs)
    write_one(w, x);
}

// Writes `xs` as a non-nullable array, each element by `write_one(w, element)`.
template <class T, class F>
void write_array(writer& w, const std::vector<T>& xs, F write_one) {
  w.array_length(static_cast<int32_t>(xs.size()));
  for (const auto& x : xs)
    write_one(w, x);
}

// Writes a nullable array: -1 for nullopt, otherwise as write_array.
template <class T, class F>
void write_nullable_array(writer& w, const std::optional<std::vector<T>>& xs, F write_one) {
  if (!xs) {
    w.array_length(-1);
    return;
  }
  write_array(w, *xs, write_one);
}

inline void write_string_array(writer& w, const std::vector<std::string>& xs) {
  write_array(w, xs, [](writer& out, const std::string& s) { out.string(s); });
}

inline void write_int32_array(writer& w, const std::vector<int32_t>& xs) {
  write_array(w, xs, [](writer& out, int32_t x) { out.i32(x); });
}

} // namespace cafka::kafka
