// Tests of murmur2 against Kafka's own expected values and of the keyed partition choice.

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "runtime/protocol/murmur2.hpp"

using namespace cafka;

namespace {

int32_t hash_of(std::string_view s) {
  return murmur2(s.data(), s.size());
}

} // namespace

TEST_CASE("murmur2 matches Kafka's Utils.murmur2", "[protocol][murmur2]") {
  // Expected values of Kafka's UtilsTest.testMurmur2.
  CHECK(hash_of("21") == -973932308);
  CHECK(hash_of("foobar") == -790332482);
  CHECK(hash_of("a-little-bit-long-string") == -985981536);
  CHECK(hash_of("a-little-bit-longer-string") == -1486304829);
  CHECK(hash_of("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  const char abc[] = {'a', 'b', 'c'};
  CHECK(murmur2(abc, sizeof(abc)) == 479470107);
}

TEST_CASE("murmur2 covers every tail length", "[protocol][murmur2]") {
  // Values produced by Kafka's implementation (as used by other Kafka-compatible clients):
  // lengths 1..5 hit tail cases 1, 2, 3, none, and 1 after a block.
  CHECK(hash_of("1") == -1993445489);
  CHECK(hash_of("12") == 126087238);
  CHECK(hash_of("123") == -267702483);
  CHECK(hash_of("1234") == -1614185708);
  CHECK(hash_of("12345") == -1188365604);
}

TEST_CASE("murmur2 reads bytes as unsigned", "[protocol][murmur2]") {
  // Java masks each byte with 0xff; high bytes must not sign-extend into the hash.
  const unsigned char high[] = {0xFF, 0x80, 0xC3, 0xA9, 0xFE};
  const unsigned char low[] = {0x7F, 0x00, 0x43, 0x29, 0x7E};
  CHECK(murmur2(high, sizeof(high)) != murmur2(low, sizeof(low)));
  // Deterministic: the same bytes at a different address hash the same.
  std::string a(reinterpret_cast<const char*>(high), sizeof(high));
  std::string b = "x" + a;
  CHECK(murmur2(a.data(), a.size()) == murmur2(b.data() + 1, a.size()));
}

TEST_CASE("partition_for_key uses Kafka's toPositive, not abs", "[protocol][murmur2]") {
  // murmur2("foobar") = -790332482; & 0x7fffffff = 1357151166; % 12 = 6.
  CHECK(partition_for_key("foobar", 12) == 6);
  // murmur2("21") = -973932308: toPositive gives 1173551340 (% 10 = 0), abs would give 8.
  CHECK(partition_for_key("21", 10) == 0);
  // A positive hash is used as is: 479470107 % 7 = 6.
  CHECK(partition_for_key("abc", 7) == 479470107 % 7);
  CHECK(partition_for_key("anything", 1) == 0);
  for (int i = 0; i < 1000; ++i) {
    auto p = partition_for_key("key-" + std::to_string(i), 5);
    REQUIRE(p >= 0);
    REQUIRE(p < 5);
  }
}

TEST_CASE("partition_for_key spreads keys evenly", "[protocol][murmur2]") {
  constexpr int32_t partitions = 12;
  constexpr int keys = 100000;
  std::vector<int> counts(partitions, 0);
  for (int i = 0; i < keys; ++i)
    ++counts[static_cast<size_t>(partition_for_key("user-" + std::to_string(i), partitions))];
  const double mean = static_cast<double>(keys) / partitions;
  for (int32_t p = 0; p < partitions; ++p) {
    INFO("partition " << p << " got " << counts[static_cast<size_t>(p)]);
    CHECK(counts[static_cast<size_t>(p)] >= mean * 0.9);
    CHECK(counts[static_cast<size_t>(p)] <= mean * 1.1);
  }
}
