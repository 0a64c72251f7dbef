// Writer of Kafka's protocol primitives onto the end of a std::string (a response being
// built). Owned by one encoder on one thread. Lengths that do not fit their field are a
// programming error of the encoder (responses are built from bounded values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cafka::kafka {

class writer {
public:
  explicit writer(std::string& out) : out_(out) {}

  void i8(int8_t x);
  void i16(int16_t x);
  void i32(int32_t x);
  void i64(int64_t x);
  void u32(uint32_t x);
  void boolean(bool x) { i8(x ? 1 : 0); }
  void uvarint(uint32_t x);
  void varint(int32_t x);
  void varlong(int64_t x);

  void string(std::string_view s);                      // int16 length
  void nullable_string(std::optional<std::string_view> s);
  void compact_string(std::string_view s);               // uvarint length + 1
  void compact_nullable_string(std::optional<std::string_view> s);
  void bytes(std::string_view b);                        // int32 length
  void nullable_bytes(std::optional<std::string_view> b);
  void compact_bytes(std::string_view b);
  void compact_nullable_bytes(std::optional<std::string_view> b);
  void array_length(int32_t n);                          // -1: null
  void compact_array_length(int32_t n);                  // -1: null
  void empty_tagged_fields() { uvarint(0); }
  void raw(std::string_view b) { out_.append(b.data(), b.size()); }

  // Reserves an int32 to fill in later (a size prefix) and returns its position.
  size_t reserve_i32();
  void patch_i32(size_t pos, int32_t x);

  size_t size() const { return out_.size(); }

private:
  std::string& out_;
};

} // namespace cafka::kafka
