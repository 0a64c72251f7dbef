// Tests of the sticky partition choice for keyless records: only partitions with a leader
// while any has one (KIP-480), alone and through the record accumulator.

#include <catch2/catch.hpp>

#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include "runtime/client/record_accumulator.hpp"
#include "runtime/client/sticky_partitioner.hpp"

using namespace cafka;

namespace {

std::vector<partition_id> ids(std::initializer_list<int32_t> ps) {
  std::vector<partition_id> out;
  for (auto p : ps)
    out.push_back(partition_id{p});
  return out;
}

// choose_sticky_partition with the candidate and the available partitions as numbers.
partition_id choose(int32_t candidate, int32_t num_partitions,
                    std::initializer_list<int32_t> available) {
  return choose_sticky_partition(partition_id{candidate}, num_partitions, ids(available));
}

} // namespace

TEST_CASE("the sticky choice skips partitions without a leader", "[client]") {
  CHECK(choose(0, 3, {0, 1, 2}) == partition_id{0});
  CHECK(choose(2, 3, {0, 1, 2}) == partition_id{2});
  CHECK(choose(3, 3, {0, 1, 2}) == partition_id{0});  // wraps around
  CHECK(choose(1, 3, {0, 2}) == partition_id{2});
  CHECK(choose(0, 3, {0, 2}) == partition_id{0});
  CHECK(choose(1, 3, {0}) == partition_id{0});
  CHECK(choose(2, 3, {0}) == partition_id{0});
  CHECK(choose(1, 3, {2, 0}) == partition_id{2});  // unsorted
}

TEST_CASE("without any partition with a leader the sticky choice uses all of them",
          "[client]") {
  CHECK(choose(1, 3, {}) == partition_id{1});
  CHECK(choose(4, 3, {}) == partition_id{1});
  // Partitions beyond the count (the topic grew, the caller's count is older) are ignored.
  CHECK(choose(1, 3, {5, 7}) == partition_id{1});
  CHECK(choose(1, 3, {5, 0}) == partition_id{0});
}

TEST_CASE("the accumulator's sticky partition only visits partitions with a leader",
          "[client]") {
  record_accumulator acc{16384, 100, 1 << 20};
  const std::string topic = "t";
  acc.set_available({{topic, ids({0, 2})}});
  std::set<partition_id> seen;
  for (int i = 0; i < 10; ++i) {
    auto p = acc.sticky_partition(topic, 3);
    seen.insert(p);
    // Close its batch, so the next record moves on.
    acc.append(topic_partition{topic, p}, 1000 * i, std::nullopt,
               std::string_view{"v"}, {}, delivery_callback{}, std::nullopt);
    int64_t deadline = 0;
    REQUIRE(acc.drain(1000 * i, true, deadline).size() == 1);
  }
  CHECK(seen == std::set<partition_id>{partition_id{0}, partition_id{2}});

  // A topic the metadata does not cover uses every partition.
  seen.clear();
  for (int i = 0; i < 6; ++i) {
    auto p = acc.sticky_partition("other", 3);
    seen.insert(p);
    acc.append(topic_partition{"other", p}, 1000 * i, std::nullopt,
               std::string_view{"v"}, {}, delivery_callback{}, std::nullopt);
    int64_t deadline = 0;
    REQUIRE(acc.drain(1000 * i, true, deadline).size() == 1);
  }
  CHECK(seen == std::set<partition_id>{partition_id{0}, partition_id{1}, partition_id{2}});

  // A partition that loses its leader is left at once, also while its batch is open.
  acc.set_available({{topic, ids({0, 1, 2})}});
  auto p = acc.sticky_partition(topic, 3);
  auto next = p == partition_id{2} ? partition_id{0} : p + 1;
  acc.set_available({{topic, {next}}});
  CHECK(acc.sticky_partition(topic, 3) == next);
}
