// Reader of cafka's durable encoding (docs/durable-encoding.md), the counterpart of
// durable::writer: bounds-checked, never throws. After the first failure every read returns
// a zero value and error() names the first reason; decoders read a whole record, then check
// ok() once. Owned by one decoder on one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "runtime/base/durable_writer.hpp"

namespace cafka::durable {

class reader {
public:
  static constexpr bool reading = true;

  explicit reader(std::string_view buf) : buf_(buf) {}

  uint8_t u8();
  bool boolean();  // 0 or 1; any other byte fails the reader
  uint16_t u16();
  uint32_t u32();
  uint64_t u64();
  int8_t i8() { return static_cast<int8_t>(u8()); }
  int16_t i16() { return static_cast<int16_t>(u16()); }
  int32_t i32() { return static_cast<int32_t>(u32()); }
  int64_t i64() { return static_cast<int64_t>(u64()); }

  // At most 5 bytes, at most 2^32 - 1, and no longer than needed.
  uint32_t uvarint();
  // A uvarint count of elements that each take at least min_element_size bytes: a count the
  // bytes left cannot hold fails the reader, so a forged count never allocates.
  size_t count(size_t min_element_size = 1);
  // A uvarint length, then that many bytes.
  std::string string();
  // `n` raw bytes as a view into the buffer; fails if fewer are left.
  std::string_view raw(size_t n);
  // Everything not read yet.
  std::string_view rest();

  template <class... Ts>
  void operator()(Ts&... xs) {
    (field(xs), ...);
  }

  template <class T>
  void field(T& x) {
    if constexpr (std::is_same_v<T, bool>) {
      x = boolean();
    } else if constexpr (std::is_integral_v<T>) {
      static_assert(sizeof(T) <= 8);
      using U = std::make_unsigned_t<T>;
      if constexpr (sizeof(T) == 1)
        x = static_cast<T>(u8());
      else
        x = static_cast<T>(fixed<U>());
    } else if constexpr (std::is_enum_v<T>) {
      // Any value of the underlying integer: the decoder checks the ones it knows.
      std::underlying_type_t<T> v{};
      field(v);
      x = static_cast<T>(v);
    } else if constexpr (is_strong_int<T>::value) {
      field(x.value);
    } else if constexpr (std::is_same_v<T, std::string>) {
      x = string();
    } else if constexpr (is_optional<T>::value) {
      x.reset();
      if (boolean())
        field(x.emplace());
    } else if constexpr (is_sequence<T>::value) {
      using E = typename T::value_type;
      constexpr size_t min_size = std::is_arithmetic_v<E> ? sizeof(E) : 1;
      x.clear();
      auto n = count(min_size);
      for (size_t i = 0; i < n && ok(); ++i)
        field(x.emplace_back());
    } else {
      durable_fields(*this, x);
    }
  }

  // Fails with "<n> bytes left over" unless everything was read.
  void expect_end();
  // Marks the record malformed for a reason the decoder found (a value out of range). The
  // first failure wins.
  void fail(std::string why);

  bool ok() const { return error_.empty(); }
  // What failed first, "" while ok.
  const std::string& error() const { return error_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return ok() ? buf_.size() - pos_ : 0; }

private:
  bool need(size_t n);
  template <class U>
  U fixed() {
    if (!need(sizeof(U)))
      return 0;
    U x = 0;
    for (size_t i = 0; i < sizeof(U); ++i)
      x = static_cast<U>((x << 8) | static_cast<uint8_t>(buf_[pos_ + i]));
    pos_ += sizeof(U);
    return x;
  }

  std::string_view buf_;
  size_t pos_ = 0;
  std::string error_;
};

} // namespace cafka::durable
