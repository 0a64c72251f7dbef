// Tests of the sticky partition choice for keyless records: only partitions with a leader
// while any has one (KIP-480), alone and through the record accumulator.

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "runtime/client/record_accumulator.hpp"
#include "runtime/client/sticky_partitioner.hpp"

using namespace cafka;

TEST_CASE("the sticky choice skips partitions without a leader", "[client]") {
  const std::vector<int32_t> all{0, 1, 2};
  CHECK(choose_sticky_partition(0, 3, all) == 0);
  CHECK(choose_sticky_partition(2, 3, all) == 2);
  CHECK(choose_sticky_partition(3, 3, all) == 0);  // wraps around
  const std::vector<int32_t> no_1{0, 2};
  CHECK(choose_sticky_partition(1, 3, no_1) == 2);
  CHECK(choose_sticky_partition(0, 3, no_1) == 0);
  const std::vector<int32_t> only_0{0};
  CHECK(choose_sticky_partition(1, 3, only_0) == 0);
  CHECK(choose_sticky_partition(2, 3, only_0) == 0);
  CHECK(choose_sticky_partition(1, 3, std::vector<int32_t>{2, 0}) == 2);  // unsorted
}

TEST_CASE("without any partition with a leader the sticky choice uses all of them",
          "[client]") {
  CHECK(choose_sticky_partition(1, 3, {}) == 1);
  CHECK(choose_sticky_partition(4, 3, {}) == 1);
  // Partitions beyond the count (the topic grew, the caller's count is older) are ignored.
  CHECK(choose_sticky_partition(1, 3, std::vector<int32_t>{5, 7}) == 1);
  CHECK(choose_sticky_partition(1, 3, std::vector<int32_t>{5, 0}) == 0);
}

TEST_CASE("the accumulator's sticky partition only visits partitions with a leader",
          "[client]") {
  record_accumulator acc{16384, 100, 1 << 20};
  const std::string topic = "t";
  acc.set_available({{topic, {0, 2}}});
  std::set<int32_t> seen;
  for (int i = 0; i < 10; ++i) {
    auto p = acc.sticky_partition(topic, 3);
    seen.insert(p);
    // Close its batch, so the next record moves on.
    acc.append(topic_partition{topic, partition_id{p}}, 1000 * i, std::nullopt,
               std::string_view{"v"}, {}, delivery_callback{}, std::nullopt);
    int64_t deadline = 0;
    REQUIRE(acc.drain(1000 * i, true, deadline).size() == 1);
  }
  CHECK(seen == std::set<int32_t>{0, 2});

  // A topic the metadata does not cover uses every partition.
  seen.clear();
  for (int i = 0; i < 6; ++i) {
    auto p = acc.sticky_partition("other", 3);
    seen.insert(p);
    acc.append(topic_partition{"other", partition_id{p}}, 1000 * i, std::nullopt,
               std::string_view{"v"}, {}, delivery_callback{}, std::nullopt);
    int64_t deadline = 0;
    REQUIRE(acc.drain(1000 * i, true, deadline).size() == 1);
  }
  CHECK(seen == std::set<int32_t>{0, 1, 2});

  // A partition that loses its leader is left at once, also while its batch is open.
  acc.set_available({{topic, {0, 1, 2}}});
  auto p = acc.sticky_partition(topic, 3);
  acc.set_available({{topic, {(p + 1) % 3}}});
  CHECK(acc.sticky_partition(topic, 3) == (p + 1) % 3);
}
