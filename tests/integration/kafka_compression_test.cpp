// Every compression codec (gzip, snappy, lz4, zstd) both ways between Kafka's own clients
// (kcat, kafka-python, confluent-kafka) and cafka, on a real 3-node cluster over its Kafka
// listeners: what one side compresses, the other reads, and the batches stay compressed.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"

using cafka::testing::cafka_consume;
using cafka::testing::cli_retrying;
using cafka::testing::cluster_process;
using cafka::testing::combined_nodes;
using cafka::testing::command_result;
using cafka::testing::create_topic;
using cafka::testing::kafka_test_defaults;
using cafka::testing::kcat;
using cafka::testing::leader_of;
using cafka::testing::lines_of;
using cafka::testing::numbered_values;
using cafka::testing::python_client;
using cafka::testing::start_kafka_cluster;
using cafka::testing::stored_codecs;
using cafka::testing::topic_readers;
using cafka::testing::values_of;

namespace {

const std::vector<std::string> codecs{"gzip", "snappy", "lz4", "zstd"};

// Writes 1000 records "<client>-<codec>-<i>" with a Kafka client and compression codec.
command_result produce_with(const std::string& client, const std::string& codec,
                                            const std::string& bootstrap,
                                            const std::string& topic) {
  auto prefix = client + "-" + codec;
  if (client == "kcat")
    return kcat({"-b", bootstrap, "-P", "-t", topic, "-z", codec, "-X",
                                 "message.timeout.ms=30000"},
                                lines_of(numbered_values(prefix, 1000)));
  return python_client(
    "clients_produce.py", {"--client", client, "--bootstrap", bootstrap, "--topic", topic,
                           "--compression", codec, "--prefix", prefix, "--count", "1000"});
}

} // namespace

TEST_CASE("kcat, kafka-python and confluent-kafka write every compression codec and cafka's "
          "consumer reads what they wrote",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults, true};
  REQUIRE(start_kafka_cluster(c, {1, 2, 3}));
  for (size_t ci = 0; ci < codecs.size(); ++ci) {
    auto& codec = codecs[ci];
    for (std::string client : {"kcat", "kafka-python", "confluent-kafka"}) {
      INFO(client << " with " << codec);
      auto topic = client + "-" + codec;
      REQUIRE(create_topic(c, topic, 1, 1));
      auto r = produce_with(client, codec, c.kafka_bootstrap(), topic);
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      auto consumed = cafka_consume(c, topic, 1000);
      INFO(consumed.err);
      std::multiset<std::string> read;
      for (auto& rec : consumed.records)
        read.insert(rec.value);
      CHECK(read == numbered_values(client + "-" + codec, 1000));
      // The client really compressed its batches with the codec (a batch that compression
      // would not shrink may go uncompressed).
      auto leader = leader_of(c, topic);
      auto stored = stored_codecs(c, leader, topic, 0);
      CHECK(stored.count(static_cast<int>(ci + 1)) == 1);
      CHECK(stored.count(0) + stored.count(static_cast<int>(ci + 1)) == stored.size());
    }
  }
}

TEST_CASE("cafka's producer writes every compression codec and kcat and kafka-python read "
          "what it wrote",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults, true};
  REQUIRE(start_kafka_cluster(c, {1, 2, 3}));
  for (size_t ci = 0; ci < codecs.size(); ++ci) {
    auto& codec = codecs[ci];
    INFO(codec);
    auto topic = "out-" + codec;
    REQUIRE(create_topic(c, topic, 1, 1));
    auto expected = numbered_values("cafka-" + codec, 1000);
    auto p = cli_retrying(c, {"produce", "--topic", topic, "--compression-type", codec},
                          lines_of(expected));
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    auto leader = leader_of(c, topic);
    auto stored = stored_codecs(c, leader, topic, 0);
    CHECK(stored.count(static_cast<int>(ci + 1)) == 1);
    for (auto [name, read] : topic_readers) {
      INFO(name);
      auto res = read(c.kafka_bootstrap(), topic);
      INFO(res.error);
      REQUIRE(res.ok);
      CHECK(values_of(res.records) == expected);
    }
  }
}
