#include "runtime/kafka/kafka_writer.hpp"

#include "runtime/protocol/wire.hpp"

namespace cafka::kafka {

void writer::i8(int8_t x) {
  out_.push_back(static_cast<char>(x));
}

void writer::i16(int16_t x) {
  char b[2];
  wire::store_be16(b, static_cast<uint16_t>(x));
  out_.append(b, 2);
}

void writer::i32(int32_t x) {
  u32(static_cast<uint32_t>(x));
}

void writer::u32(uint32_t x) {
  char b[4];
  wire::store_be32(b, x);
  out_.append(b, 4);
}

void writer::i64(int64_t x) {
  char b[8];
  wire::store_be64(b, static_cast<uint64_t>(x));
  out_.append(b, 8);
}

void writer::uvarint(uint32_t x) {
  char b[wire::max_varint_size];
  auto end = wire::write_uvarint(b, x);
  out_.append(b, static_cast<size_t>(end - b));
}

void writer::varint(int32_t x) {
  uvarint(wire::zigzag32(x));
}

void writer::varlong(int64_t x) {
  char b[wire::max_varlong_size];
  auto end = wire::write_varlong(b, x);
  out_.append(b, static_cast<size_t>(end - b));
}

void writer::string(std::string_view s) {
  i16(static_cast<int16_t>(s.size()));
  raw(s);
}

void writer::nullable_string(std::optional<std::string_view> s) {
  if (!s) {
    i16(-1);
    return;
  }
  string(*s);
}

void writer::compact_string(std::string_view s) {
  uvarint(static_cast<uint32_t>(s.size() + 1));
  raw(s);
}

void writer::compact_nullable_string(std::optional<std::string_view> s) {
  if (!s) {
    uvarint(0);
    return;
  }
  compact_string(*s);
}

void writer::bytes(std::string_view b) {
  i32(static_cast<int32_t>(b.size()));
  raw(b);
}

void writer::nullable_bytes(std::optional<std::string_view> b) {
  if (!b) {
    i32(-1);
    return;
  }
  bytes(*b);
}

void writer::compact_bytes(std::string_view b) {
  uvarint(static_cast<uint32_t>(b.size() + 1));
  raw(b);
}

void writer::compact_nullable_bytes(std::optional<std::string_view> b) {
  if (!b) {
    uvarint(0);
    return;
  }
  compact_bytes(*b);
}

void writer::array_length(int32_t n) {
  i32(n);
}

void writer::compact_array_length(int32_t n) {
  uvarint(n < 0 ? 0u : static_cast<uint32_t>(n) + 1);
}

size_t writer::reserve_i32() {
  auto pos = out_.size();
  out_.append(4, '\0');
  return pos;
}

void writer::patch_i32(size_t pos, int32_t x) {
  wire::store_be32(&out_[pos], static_cast<uint32_t>(x));
}

} // namespace cafka::kafka
