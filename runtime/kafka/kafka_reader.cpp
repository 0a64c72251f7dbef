#include "runtime/kafka/kafka_reader.hpp"

#include "runtime/protocol/wire.hpp"

namespace cafka::kafka {

void reader::fail(const char* why) {
  if (error_ == nullptr)
    error_ = why;
  p_ = end_;
}

bool reader::need(size_t n) {
  if (error_ != nullptr)
    return false;
  if (static_cast<size_t>(end_ - p_) < n) {
    fail("truncated");
    return false;
  }
  return true;
}

int8_t reader::i8() {
  if (!need(1))
    return 0;
  return static_cast<int8_t>(*p_++);
}

int16_t reader::i16() {
  if (!need(2))
    return 0;
  auto x = static_cast<int16_t>(wire::load_be16(p_));
  p_ += 2;
  return x;
}

int32_t reader::i32() {
  if (!need(4))
    return 0;
  auto x = static_cast<int32_t>(wire::load_be32(p_));
  p_ += 4;
  return x;
}

uint32_t reader::u32() {
  if (!need(4))
    return 0;
  auto x = wire::load_be32(p_);
  p_ += 4;
  return x;
}

int64_t reader::i64() {
  if (!need(8))
    return 0;
  auto x = static_cast<int64_t>(wire::load_be64(p_));
  p_ += 8;
  return x;
}

bool reader::boolean() {
  return i8() != 0;
}

uint32_t reader::uvarint() {
  if (error_ != nullptr)
    return 0;
  uint64_t u = 0;
  if (!wire::read_uvarint(p_, end_, wire::max_varint_size, u) || u > UINT32_MAX) {
    fail("bad varint");
    return 0;
  }
  return static_cast<uint32_t>(u);
}

int32_t reader::varint() {
  if (error_ != nullptr)
    return 0;
  int32_t v = 0;
  if (!wire::read_varint(p_, end_, v))
    fail("bad varint");
  return v;
}

int64_t reader::varlong() {
  if (error_ != nullptr)
    return 0;
  int64_t v = 0;
  if (!wire::read_varlong(p_, end_, v))
    fail("bad varlong");
  return v;
}

std::optional<std::string_view> reader::sized(int64_t len, bool nullable) {
  if (error_ != nullptr)
    return std::nullopt;
  if (len < 0) {
    if (!nullable || len != -1)
      fail("negative length");
    return std::nullopt;
  }
  if (!need(static_cast<size_t>(len)))
    return std::nullopt;
  std::string_view v{p_, static_cast<size_t>(len)};
  p_ += len;
  return v;
}

std::string reader::string() {
  auto v = sized(i16(), false);
  return v ? std::string{*v} : std::string{};
}

std::optional<std::string> reader::nullable_string() {
  auto v = sized(i16(), true);
  if (!v)
    return std::nullopt;
  return std::string{*v};
}

std::string reader::compact_string() {
  auto v = sized(static_cast<int64_t>(uvarint()) - 1, false);
  return v ? std::string{*v} : std::string{};
}

std::optional<std::string> reader::compact_nullable_string() {
  auto v = sized(static_cast<int64_t>(uvarint()) - 1, true);
  if (!v)
    return std::nullopt;
  return std::string{*v};
}

std::string_view reader::bytes() {
  return sized(i32(), false).value_or(std::string_view{});
}

std::optional<std::string_view> reader::nullable_bytes() {
  return sized(i32(), true);
}

std::string_view reader::compact_bytes() {
  return sized(static_cast<int64_t>(uvarint()) - 1, false).value_or(std::string_view{});
}

std::optional<std::string_view> reader::compact_nullable_bytes() {
  return sized(static_cast<int64_t>(uvarint()) - 1, true);
}

int32_t reader::array_length(size_t min_element_size) {
  auto n = i32();
  if (error_ != nullptr)
    return 0;
  if (n < -1) {
    fail("negative array length");
    return 0;
  }
  if (n > 0 && static_cast<size_t>(n) * min_element_size > remaining()) {
    fail("array length beyond the message");
    return 0;
  }
  return n;
}

int32_t reader::compact_array_length(size_t min_element_size) {
  auto u = uvarint();
  if (error_ != nullptr)
    return 0;
  if (u == 0)
    return -1;
  auto n = static_cast<int64_t>(u) - 1;
  if (n > INT32_MAX || static_cast<size_t>(n) * min_element_size > remaining()) {
    fail("array length beyond the message");
    return 0;
  }
  return static_cast<int32_t>(n);
}

void reader::skip_tagged_fields() {
  auto count = uvarint();
  for (uint32_t i = 0; i < count && ok(); ++i) {
    uvarint(); // tag
    auto size = uvarint();
    raw(size);
  }
}

std::string_view reader::raw(size_t n) {
  if (!need(n))
    return {};
  std::string_view v{p_, n};
  p_ += n;
  return v;
}

} // namespace cafka::kafka
