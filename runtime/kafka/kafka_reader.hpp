// Bounds-checked reader of Kafka's protocol primitives (int8..int64, strings, bytes, arrays,
// their compact forms, unsigned varints and tagged fields) over one request's bytes.
// Owned by one decoder on one thread. After the first failure every read returns a zero
// value and ok() stays false: decoders read a whole message, then check ok() once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cafka::kafka {

class reader {
public:
  explicit reader(std::string_view buf) : p_(buf.data()), end_(buf.data() + buf.size()) {}

  int8_t i8();
  int16_t i16();
  int32_t i32();
  int64_t i64();
  uint32_t u32();
  bool boolean();
  uint32_t uvarint();   // unsigned varint, at most 5 bytes (compact lengths, tag numbers)
  int32_t varint();     // zigzag
  int64_t varlong();    // zigzag

  // STRING: int16 length, not null. Requires length >= 0.
  std::string string();
  // NULLABLE_STRING: int16 length, -1 = null.
  std::optional<std::string> nullable_string();
  std::string compact_string();
  std::optional<std::string> compact_nullable_string();

  // BYTES / RECORDS: int32 length; the view points into the buffer (valid while it lives).
  std::string_view bytes();
  std::optional<std::string_view> nullable_bytes();
  std::string_view compact_bytes();
  std::optional<std::string_view> compact_nullable_bytes();

  // ARRAY: int32 count, -1 = null (returned as -1). A count that cannot fit in the bytes
  // left (every element takes at least min_element_size bytes) fails the reader, so a forged
  // count never makes a decoder allocate.
  int32_t array_length(size_t min_element_size = 1);
  // COMPACT_ARRAY: uvarint count + 1, 0 = null (returned as -1).
  int32_t compact_array_length(size_t min_element_size = 1);

  // TAGGED_FIELDS of a flexible version: a count, then (tag, size, bytes) each; all skipped.
  void skip_tagged_fields();

  // `n` raw bytes as a view; fails if fewer are left.
  std::string_view raw(size_t n);

  bool ok() const { return error_ == nullptr; }
  // What failed first ("truncated", "negative length", ...); nullptr while ok.
  const char* error() const { return error_; }
  size_t remaining() const { return ok() ? static_cast<size_t>(end_ - p_) : 0; }
  // Marks the message malformed for a reason the decoder found (a value out of range).
  void fail(const char* why);

private:
  bool need(size_t n);
  std::optional<std::string_view> sized(int64_t len, bool nullable);

  const char* p_;
  const char* end_;
  const char* error_ = nullptr;
};

} // namespace cafka::kafka
