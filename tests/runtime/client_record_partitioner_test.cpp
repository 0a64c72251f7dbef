// Tests of where a producer record goes (partition_of, available_partitions) and of the
// record's opaque reaching its batch through the accumulator.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/client/record_accumulator.hpp"
#include "runtime/client/record_partitioner.hpp"
#include "runtime/protocol/murmur2.hpp"

using namespace cafka;

TEST_CASE("a record's partition: explicit, keyed, or sticky, and a missing one is an error",
          "[client]") {
  record_accumulator acc{16384, 100, 1 << 20};
  producer_record r;
  r.topic = "t";
  r.partition = partition_id{2};
  CHECK(*partition_of(r, 3, acc) == partition_id{2});
  for (auto missing_partition : {partition_id{3}, no_partition}) {
    r.partition = missing_partition;
    auto missing = partition_of(r, 3, acc);
    REQUIRE(!missing);
    CHECK(errc_of(missing.error()) == errc::unknown_topic_or_partition);
  }
  r.partition = std::nullopt;
  r.key = "k";
  CHECK(*partition_of(r, 3, acc) == partition_id{partition_for_key("k", 3)});
  r.key = std::nullopt;
  acc.set_available({{"t", {partition_id{1}}}});
  CHECK(*partition_of(r, 3, acc) == partition_id{1});
}

TEST_CASE("available partitions are those led by a live broker", "[client]") {
  cluster_metadata md;
  md.brokers = {broker_metadata{node_id{1}, "h", 1, true, 0},
                broker_metadata{node_id{2}, "h", 2, false, 0}};
  topic_metadata t;
  t.name = "t";
  for (int32_t p = 0; p < 3; ++p) {
    partition_metadata pm;
    pm.id = partition_id{p};
    pm.leader = p == 0 ? node_id{1} : p == 1 ? node_id{2} : no_node;
    t.partitions.push_back(pm);
  }
  md.topics.push_back(t);
  auto a = available_partitions(md);
  CHECK(a["t"] == std::vector<partition_id>{partition_id{0}});
}

TEST_CASE("each record's opaque reaches its batch in record order", "[client]") {
  record_accumulator acc{16384, 100, 1 << 20};
  topic_partition tp{"t", partition_id{0}};
  for (uint64_t i = 0; i < 3; ++i) {
    producer_record r;
    r.topic = "t";
    r.value = "v";
    r.opaque = 40 + i;
    acc.append(tp, r, 1000, delivery_callback{}, std::nullopt);
  }
  int64_t deadline = 0;
  auto batches = acc.drain(1000, true, deadline);
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].opaques == std::vector<uint64_t>{40, 41, 42});
}
