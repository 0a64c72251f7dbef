// Inline wire helpers of the record batch codec: big-endian fixed-width integers and Kafka's
// zigzag varint / varlong (protobuf style). Pure functions on raw bytes; safe on any thread.
// Writers require enough room (use the *_size / max_* constants); readers are bounds-checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace cafka::wire {

constexpr size_t max_varint_size = 5;   // 32-bit value
constexpr size_t max_varlong_size = 10; // 64-bit value

// -- big-endian fixed width --------------------------------------------------------------------

inline uint16_t bswap(uint16_t x) { return __builtin_bswap16(x); }
inline uint32_t bswap(uint32_t x) { return __builtin_bswap32(x); }
inline uint64_t bswap(uint64_t x) { return __builtin_bswap64(x); }

template <class U>
U to_be(U x) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return x;
#else
  return bswap(x);
#endif
}

inline uint16_t load_be16(const char* p) {
  uint16_t x;
  std::memcpy(&x, p, sizeof(x));
  return to_be(x);
}
inline uint32_t load_be32(const char* p) {
  uint32_t x;
  std::memcpy(&x, p, sizeof(x));
  return to_be(x);
}
inline uint64_t load_be64(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, sizeof(x));
  return to_be(x);
}
inline void store_be16(char* p, uint16_t x) {
  x = to_be(x);
  std::memcpy(p, &x, sizeof(x));
}
inline void store_be32(char* p, uint32_t x) {
  x = to_be(x);
  std::memcpy(p, &x, sizeof(x));
}
inline void store_be64(char* p, uint64_t x) {
  x = to_be(x);
  std::memcpy(p, &x, sizeof(x));
}

// -- zigzag ------------------------------------------------------------------------------------

inline uint32_t zigzag32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
inline uint64_t zigzag64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int32_t unzigzag32(uint32_t u) {
  return static_cast<int32_t>((u >> 1) ^ (0u - (u & 1u)));
}
inline int64_t unzigzag64(uint64_t u) {
  return static_cast<int64_t>((u >> 1) ^ (uint64_t{0} - (u & 1u)));
}

// -- varint / varlong: 7 bits per byte, least significant group first, high bit = more -------

inline size_t varint_size(int32_t v) {
  uint32_t u = zigzag32(v);
  return 1 + static_cast<size_t>(31 - __builtin_clz(u | 1u)) / 7;
}
inline size_t varlong_size(int64_t v) {
  uint64_t u = zigzag64(v);
  return 1 + static_cast<size_t>(63 - __builtin_clzll(u | 1u)) / 7;
}

inline char* write_uvarint(char* p, uint64_t u) {
  while (u >= 0x80u) {
    *p++ = static_cast<char>(static_cast<uint8_t>(u) | 0x80u);
    u >>= 7;
  }
  *p++ = static_cast<char>(u);
  return p;
}
inline char* write_varint(char* p, int32_t v) { return write_uvarint(p, zigzag32(v)); }
inline char* write_varlong(char* p, int64_t v) { return write_uvarint(p, zigzag64(v)); }

// Reads an unsigned varint of at most max_bytes bytes from [p, end); advances p. Returns false
// on truncation or when the value is longer than max_bytes (Kafka rejects those too).
inline bool read_uvarint(const char*& p, const char* end, size_t max_bytes, uint64_t& out) {
  if (p < end && static_cast<uint8_t>(*p) < 0x80u) { // one-byte fast path
    out = static_cast<uint8_t>(*p++);
    return true;
  }
  uint64_t value = 0;
  for (size_t i = 0; i < max_bytes; ++i) {
    if (p >= end)
      return false;
    auto b = static_cast<uint8_t>(*p++);
    value |= static_cast<uint64_t>(b & 0x7Fu) << (7 * i);
    if (b < 0x80u) {
      out = value;
      return true;
    }
  }
  return false;
}
inline bool read_varint(const char*& p, const char* end, int32_t& out) {
  uint64_t u;
  if (!read_uvarint(p, end, max_varint_size, u))
    return false;
  out = unzigzag32(static_cast<uint32_t>(u)); // bits above 32 of a 5th byte are dropped
  return true;
}
inline bool read_varlong(const char*& p, const char* end, int64_t& out) {
  uint64_t u;
  if (!read_uvarint(p, end, max_varlong_size, u))
    return false;
  out = unzigzag64(u);
  return true;
}

} // namespace cafka::wire
