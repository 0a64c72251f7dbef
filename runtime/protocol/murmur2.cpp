#include "runtime/protocol/murmur2.hpp"

#include <cassert>

namespace cafka {

// Java's int arithmetic wraps modulo 2^32 and `>>>` is a logical shift, so the whole hash
// runs on uint32_t and is reinterpreted as int32_t at the end. Bytes are combined
// little-endian, four at a time; the 1-3 trailing bytes fall through the tail switch.
int32_t murmur2(const void* data, size_t n) {
  constexpr uint32_t seed = 0x9747b28cu;
  constexpr uint32_t m = 0x5bd1e995u;
  constexpr int r = 24;
  auto p = static_cast<const unsigned char*>(data);
  // Java passes the length as an int; keys are far below 2^31 bytes.
  uint32_t h = seed ^ static_cast<uint32_t>(n);
  size_t blocks = n / 4;
  for (size_t i = 0; i < blocks; ++i) {
    const unsigned char* b = p + 4 * i;
    uint32_t k = static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8)
                 | (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const unsigned char* tail = p + 4 * blocks;
  switch (n % 4) {
    case 3:
      h ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(tail[0]);
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t partition_for_key(std::string_view key, int32_t num_partitions) {
  assert(num_partitions > 0);
  // Utils.toPositive: clear the sign bit (not abs, which would fail for INT_MIN).
  auto positive = static_cast<int32_t>(static_cast<uint32_t>(murmur2(key.data(), key.size()))
                                       & 0x7fffffffu);
  return positive % num_partitions;
}

} // namespace cafka
