#include "runtime/protocol/crc32c.hpp"

#include <array>
#include <cstring>

#include "runtime/protocol/crc32c_detail.hpp"

#if defined(__x86_64__) || defined(__i386__)
#  define CAFKA_CRC32C_X86 1
#  include <nmmintrin.h>
#endif

namespace cafka {

namespace {

constexpr uint32_t castagnoli_reflected = 0x82F63B78u;

using crc_tables = std::array<std::array<uint32_t, 256>, 8>;

// tables[0] is the classic byte-at-a-time table; tables[k][b] is the CRC of byte b followed
// by k zero bytes, which lets the loop below fold 8 input bytes per step.
constexpr crc_tables make_tables() {
  crc_tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int bit = 0; bit < 8; ++bit)
      c = (c & 1u) ? (c >> 1) ^ castagnoli_reflected : c >> 1;
    t[0][b] = c;
  }
  for (size_t k = 1; k < 8; ++k)
    for (uint32_t b = 0; b < 256; ++b)
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
  return t;
}

constexpr crc_tables tables = make_tables();

inline uint64_t load_le64(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

bool detect_sse42() {
#ifdef CAFKA_CRC32C_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") != 0;
#else
  return false;
#endif
}

// Checked once at static initialisation. A call from another translation unit's static
// initialiser that runs earlier sees false and takes the (equally correct) table path.
const bool have_sse42 = detect_sse42();

} // namespace

namespace detail {

uint32_t crc32c_software(const void* data, size_t n, uint32_t crc) {
  auto p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  // Byte steps until p is 8-aligned, then 8 bytes per step.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7u) != 0) {
    c = (c >> 8) ^ tables[0][(c ^ *p++) & 0xFFu];
    --n;
  }
  while (n >= 8) {
    uint64_t w = load_le64(p) ^ c;
    auto lo = static_cast<uint32_t>(w);
    auto hi = static_cast<uint32_t>(w >> 32);
    c = tables[7][lo & 0xFFu] ^ tables[6][(lo >> 8) & 0xFFu] ^ tables[5][(lo >> 16) & 0xFFu]
        ^ tables[4][lo >> 24] ^ tables[3][hi & 0xFFu] ^ tables[2][(hi >> 8) & 0xFFu]
        ^ tables[1][(hi >> 16) & 0xFFu] ^ tables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = (c >> 8) ^ tables[0][(c ^ *p++) & 0xFFu];
    --n;
  }
  return ~c;
}

#ifdef CAFKA_CRC32C_X86

namespace {

__attribute__((target("sse4.2"))) uint32_t crc32c_sse42_impl(const unsigned char* p, size_t n,
                                                              uint32_t crc) {
  uint32_t c = ~crc;
#  if defined(__x86_64__)
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7u) != 0) {
    c = _mm_crc32_u8(c, *p++);
    --n;
  }
  uint64_t c64 = c;
  // Four independent loads per iteration keep the loop overhead low; the crc32 chain itself
  // is serial (3-cycle latency), which still gives several GB/s.
  while (n >= 32) {
    uint64_t w0, w1, w2, w3;
    std::memcpy(&w0, p, 8);
    std::memcpy(&w1, p + 8, 8);
    std::memcpy(&w2, p + 16, 8);
    std::memcpy(&w3, p + 24, 8);
    c64 = _mm_crc32_u64(c64, w0);
    c64 = _mm_crc32_u64(c64, w1);
    c64 = _mm_crc32_u64(c64, w2);
    c64 = _mm_crc32_u64(c64, w3);
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c64 = _mm_crc32_u64(c64, w);
    p += 8;
    n -= 8;
  }
  c = static_cast<uint32_t>(c64);
#  else
  while (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    c = _mm_crc32_u32(c, w);
    p += 4;
    n -= 4;
  }
#  endif
  while (n > 0) {
    c = _mm_crc32_u8(c, *p++);
    --n;
  }
  return ~c;
}

} // namespace

uint32_t crc32c_sse42(const void* data, size_t n, uint32_t crc) {
  if (!have_sse42)
    return crc32c_software(data, n, crc);
  return crc32c_sse42_impl(static_cast<const unsigned char*>(data), n, crc);
}

#else

uint32_t crc32c_sse42(const void* data, size_t n, uint32_t crc) {
  return crc32c_software(data, n, crc);
}

#endif

} // namespace detail

uint32_t crc32c(const void* data, size_t n, uint32_t crc) {
#ifdef CAFKA_CRC32C_X86
  if (have_sse42)
    return detail::crc32c_sse42_impl(static_cast<const unsigned char*>(data), n, crc);
#endif
  return detail::crc32c_software(data, n, crc);
}

bool crc32c_hardware() {
  return have_sse42;
}

} // namespace cafka
