// [limits] max-topics and max-partitions (runtime/cluster/topic_caps): what the active
// controller checks before it proposes a topic, with the exact errors clients see.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/topic_caps.hpp"
#include "runtime/kafka/kafka_error.hpp"

using namespace cafka;

namespace {

topic_metadata topic_of(const std::string& name, int32_t partitions) {
  topic_metadata t;
  t.name = name;
  for (int32_t p = 0; p < partitions; ++p) {
    partition_metadata pm;
    pm.id = partition_id{p};
    t.partitions.push_back(pm);
  }
  return t;
}

} // namespace

TEST_CASE("count_topics counts every topic and partition, internal ones included",
          "[cluster][limits]") {
  cluster_metadata md;
  md.topics = {topic_of("a", 3), topic_of("__consumer_offsets", 12)};
  auto n = count_topics(md);
  CHECK(n.topics == 2);
  CHECK(n.partitions == 15);
  CHECK(count_topics(cluster_metadata{}).topics == 0);
}

TEST_CASE("a topic that would pass max-topics is refused with limit_exceeded naming the cap",
          "[cluster][limits]") {
  topic_caps caps{3, 100};
  CHECK_FALSE(check_topic_caps({2, 10}, {"c", 5, 1}, caps));
  auto err = check_topic_caps({3, 10}, {"d", 1, 1}, caps);
  REQUIRE(err);
  CHECK(describe(err)
        == "limit_exceeded: creating topic 'd' would pass [limits] max-topics = 3 (the "
           "cluster has 3 topics)");
  CHECK(kafka::to_kafka_error(err) == kafka::error_code::policy_violation);
}

TEST_CASE("a topic whose partitions would pass max-partitions is refused, reaching it is not",
          "[cluster][limits]") {
  topic_caps caps{100, 10};
  CHECK_FALSE(check_topic_caps({1, 8}, {"x", 2, 1}, caps));
  auto err = check_topic_caps({1, 8}, {"y", 3, 1}, caps);
  REQUIRE(err);
  CHECK(describe(err)
        == "limit_exceeded: creating topic 'y' with 3 partition(s) would pass [limits] "
           "max-partitions = 10 (the cluster has 8 partitions)");
}

TEST_CASE("the max-topics cap is named when both caps would be passed", "[cluster][limits]") {
  auto err = check_topic_caps({1, 1}, {"z", 5, 1}, {1, 1});
  CHECK(context_of(err)
        == "creating topic 'z' would pass [limits] max-topics = 1 (the cluster has 1 topics)");
}

TEST_CASE("__consumer_offsets is created even at or past both caps", "[cluster][limits]") {
  CHECK(is_internal_topic("__consumer_offsets"));
  CHECK_FALSE(is_internal_topic("__consumer_offsets2"));
  CHECK_FALSE(check_topic_caps({5, 50}, {"__consumer_offsets", 50, 1}, {5, 50}));
}

TEST_CASE("cafka's [limits] errors map to Kafka's POLICY_VIOLATION and GROUP_MAX_SIZE_REACHED",
          "[kafka][limits]") {
  CHECK(kafka::code(kafka::to_kafka_error(make_error(errc::limit_exceeded))) == 44);
  CHECK(kafka::code(kafka::to_kafka_error(make_error(errc::group_max_size_reached))) == 81);
  CHECK(std::string{to_string(errc::limit_exceeded)} == "limit_exceeded");
  CHECK(std::string{to_string(errc::group_max_size_reached)} == "group_max_size_reached");
}
