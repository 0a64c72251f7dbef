// Writer of cafka's durable encoding (docs/durable-encoding.md): fixed-width big-endian
// integers, bools as one byte, uvarint counts and lengths, onto the end of a std::string.
// Every type written to disk has one field list, durable_fields(io, x), that this writer and
// durable::reader both walk. Owned by one encoder on one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "runtime/base/ids.hpp"

namespace cafka::durable {

// The largest count or length a uvarint field holds (a uint32).
inline constexpr size_t max_count = 0xffffffffu;

template <class T>
struct is_strong_int : std::false_type {};
template <class Tag, class Rep>
struct is_strong_int<strong_int<Tag, Rep>> : std::true_type {};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_sequence : std::false_type {};
template <class T, class A>
struct is_sequence<std::vector<T, A>> : std::true_type {};
template <class T, class A>
struct is_sequence<std::deque<T, A>> : std::true_type {};

// The type a field list takes for T: `const T&` for a writer, `T&` for a reader. A field list
// is written once per type, as
//   template <class Io> void durable_fields(Io& io, durable::field_ref<Io, T> x) { io(...); }
template <class Io, class T>
using field_ref = std::conditional_t<Io::reading, T&, const T&>;

class writer {
public:
  static constexpr bool reading = false;

  explicit writer(std::string& out) : out_(out) {}

  void u8(uint8_t x) { out_.push_back(static_cast<char>(x)); }
  void boolean(bool x) { u8(x ? 1 : 0); }
  void u16(uint16_t x) { fixed(x); }
  void u32(uint32_t x) { fixed(x); }
  void u64(uint64_t x) { fixed(x); }
  void i8(int8_t x) { u8(static_cast<uint8_t>(x)); }
  void i16(int16_t x) { fixed(static_cast<uint16_t>(x)); }
  void i32(int32_t x) { fixed(static_cast<uint32_t>(x)); }
  void i64(int64_t x) { fixed(static_cast<uint64_t>(x)); }

  // LEB128: 7 bits a byte, low bits first, high bit set on every byte but the last.
  void uvarint(uint32_t x) {
    while (x > 0x7f) {
      u8(static_cast<uint8_t>((x & 0x7f) | 0x80));
      x >>= 7;
    }
    u8(static_cast<uint8_t>(x));
  }
  // Requires: n <= max_count (callers bound what they write).
  void count(size_t n) { uvarint(static_cast<uint32_t>(n)); }
  // A uvarint length, then the bytes.
  void string(std::string_view s) {
    count(s.size());
    raw(s);
  }
  void raw(std::string_view s) { out_.append(s.data(), s.size()); }

  // Writes each value by its type: integers fixed-width, bool one byte, enums and strong ints
  // as their underlying integer, strings and sequences with a uvarint count, an optional as
  // a present bool and then its value if present, anything else by durable_fields.
  template <class... Ts>
  void operator()(const Ts&... xs) {
    (field(xs), ...);
  }

  template <class T>
  void field(const T& x) {
    if constexpr (std::is_same_v<T, bool>) {
      boolean(x);
    } else if constexpr (std::is_integral_v<T>) {
      static_assert(sizeof(T) <= 8);
      if constexpr (sizeof(T) == 1)
        u8(static_cast<uint8_t>(x));
      else
        fixed(static_cast<std::make_unsigned_t<T>>(x));
    } else if constexpr (std::is_enum_v<T>) {
      field(static_cast<std::underlying_type_t<T>>(x));
    } else if constexpr (is_strong_int<T>::value) {
      field(x.value);
    } else if constexpr (std::is_same_v<T, std::string>) {
      string(x);
    } else if constexpr (is_optional<T>::value) {
      boolean(x.has_value());
      if (x)
        field(*x);
    } else if constexpr (is_sequence<T>::value) {
      count(x.size());
      for (auto& e : x)
        field(e);
    } else {
      durable_fields(*this, x);
    }
  }

  size_t size() const { return out_.size(); }

private:
  template <class U>
  void fixed(U x) {
    static_assert(std::is_unsigned_v<U>);
    char b[sizeof(U)];
    for (size_t i = sizeof(U); i-- > 0;) {
      b[i] = static_cast<char>(x & 0xff);
      x = static_cast<U>(x >> 8);
    }
    out_.append(b, sizeof(U));
  }

  std::string& out_;
};

} // namespace cafka::durable
