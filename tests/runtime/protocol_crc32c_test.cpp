// Tests of CRC32C: published check values, chaining, and SSE4.2 vs table path agreement.

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/crc32c_detail.hpp"

using namespace cafka;

namespace {

std::vector<unsigned char> filled(size_t n, unsigned char byte) {
  return std::vector<unsigned char>(n, byte);
}

} // namespace

TEST_CASE("crc32c matches the published check values", "[protocol][crc32c]") {
  const char* check = "123456789";
  auto zeros = filled(32, 0x00);
  auto ones = filled(32, 0xFF);
  std::vector<unsigned char> ascending(32);
  for (size_t i = 0; i < ascending.size(); ++i)
    ascending[i] = static_cast<unsigned char>(i);

  SECTION("dispatching entry point") {
    CHECK(crc32c(check, 9) == 0xE3069283u);
    CHECK(crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
    CHECK(crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
    CHECK(crc32c(ascending.data(), ascending.size()) == 0x46DD794Eu);
    CHECK(crc32c(nullptr, 0) == 0u);
  }
  SECTION("table path") {
    CHECK(detail::crc32c_software(check, 9, 0) == 0xE3069283u);
    CHECK(detail::crc32c_software(zeros.data(), zeros.size(), 0) == 0x8A9136AAu);
    CHECK(detail::crc32c_software(ones.data(), ones.size(), 0) == 0x62A8AB43u);
    CHECK(detail::crc32c_software(ascending.data(), ascending.size(), 0) == 0x46DD794Eu);
  }
  SECTION("sse4.2 path") {
    CHECK(detail::crc32c_sse42(check, 9, 0) == 0xE3069283u);
    CHECK(detail::crc32c_sse42(zeros.data(), zeros.size(), 0) == 0x8A9136AAu);
    CHECK(detail::crc32c_sse42(ones.data(), ones.size(), 0) == 0x62A8AB43u);
    CHECK(detail::crc32c_sse42(ascending.data(), ascending.size(), 0) == 0x46DD794Eu);
  }
}

TEST_CASE("crc32c reports the hardware path truthfully", "[protocol][crc32c]") {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  CHECK(crc32c_hardware() == (__builtin_cpu_supports("sse4.2") != 0));
#else
  CHECK_FALSE(crc32c_hardware());
#endif
}

TEST_CASE("crc32c chains across split points", "[protocol][crc32c]") {
  std::mt19937 rng(42);
  std::string data(1000, '\0');
  for (auto& c : data)
    c = static_cast<char>(rng());
  const uint32_t whole = crc32c(data.data(), data.size());
  for (size_t split = 0; split <= data.size(); split += 37) {
    uint32_t first = crc32c(data.data(), split);
    CHECK(crc32c(data.data() + split, data.size() - split, first) == whole);
    uint32_t sw_first = detail::crc32c_software(data.data(), split, 0);
    CHECK(detail::crc32c_software(data.data() + split, data.size() - split, sw_first) == whole);
  }
  // Three pieces, including an empty one.
  uint32_t a = crc32c(data.data(), 10);
  uint32_t b = crc32c(data.data() + 10, 0, a);
  CHECK(b == a);
  CHECK(crc32c(data.data() + 10, data.size() - 10, b) == whole);
}

TEST_CASE("crc32c hardware and software paths agree", "[protocol][crc32c]") {
  std::mt19937_64 rng(7);
  std::vector<unsigned char> buf(70000 + 16);
  for (auto& c : buf)
    c = static_cast<unsigned char>(rng());
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 300; ++n)
    lengths.push_back(n);
  for (size_t n : {511, 512, 513, 1023, 4096, 4099, 65536, 70000})
    lengths.push_back(n);
  size_t mismatches = 0;
  for (size_t align = 0; align < 8; ++align) {
    for (size_t n : lengths) {
      const unsigned char* p = buf.data() + align;
      uint32_t seed = static_cast<uint32_t>(rng());
      uint32_t sw = detail::crc32c_software(p, n, seed);
      uint32_t hw = detail::crc32c_sse42(p, n, seed);
      uint32_t dispatched = crc32c(p, n, seed);
      if (sw != hw || sw != dispatched)
        ++mismatches;
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("crc32c detects single-bit changes", "[protocol][crc32c]") {
  std::string data(256, 'x');
  const uint32_t base = crc32c(data.data(), data.size());
  size_t undetected = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      data[i] = static_cast<char>(data[i] ^ (1 << bit));
      if (crc32c(data.data(), data.size()) == base)
        ++undetected;
      data[i] = static_cast<char>(data[i] ^ (1 << bit));
    }
  }
  CHECK(undetected == 0);
}
