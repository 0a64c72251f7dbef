// Kafka's own clients (kcat, kafka-python) against a real 3-node cafka cluster over its Kafka
// listeners: kcat's metadata matches cafka's, keyed records land on their murmur2
// partitions, and records with binary keys, values and headers come back byte-identical.
// Compression codecs: kafka_compression_test.cpp; idempotence: kafka_idempotence_test.cpp.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "cafka/producer.hpp"
#include "runtime/protocol/murmur2.hpp"
#include "cafka/eventually.hpp"
#include "tests/integration/client_config.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"

using cafka::test::eventually;
using cafka::testing::cafka_consume;
using cafka::testing::cli_retrying;
using cafka::testing::cluster_process;
using cafka::testing::combined_nodes;
using cafka::testing::create_topic;
using cafka::testing::kafka_address;
using cafka::testing::kafka_record;
using cafka::testing::kafka_test_defaults;
using cafka::testing::kcat;
using cafka::testing::kcat_list;
using cafka::testing::start_kafka_cluster;
using cafka::testing::topic_readers;
using namespace std::chrono_literals;

namespace {

// Replicas per partition from `topics describe` ("Replicas: 1,2,3").
std::map<int32_t, std::vector<int32_t>> replicas(const cluster_process& c,
                                                 const std::string& topic) {
  std::map<int32_t, std::vector<int32_t>> out;
  auto described = cli_retrying(c, {"topics", "describe", "--topic", topic});
  std::istringstream in{described.out};
  std::string line;
  while (std::getline(in, line)) {
    auto p = line.find("Partition: ");
    auto r = line.find("Replicas: ");
    if (p == std::string::npos || r == std::string::npos)
      continue;
    std::istringstream ids{line.substr(r + 10, line.find('\t', r) - r - 10)};
    std::string id;
    while (std::getline(ids, id, ','))
      out[std::stoi(line.substr(p + 11))].push_back(std::stoi(id));
  }
  return out;
}

} // namespace

TEST_CASE("kcat -L through any node lists the three brokers and each partition's leader and "
          "replicas as cafka has them",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults, true};
  REQUIRE(start_kafka_cluster(c, {1, 2, 3}));
  REQUIRE(create_topic(c, "listed", 6, 3));
  std::map<int32_t, int32_t> leaders;
  REQUIRE(eventually(
    [&] {
      leaders = c.leaders("listed");
      return leaders.size() == 6;
    },
    20s));
  auto expected_replicas = replicas(c, "listed");
  REQUIRE(expected_replicas.size() == 6);
  std::map<int32_t, std::string> brokers;
  for (int32_t id : {1, 2, 3})
    brokers[id] = kafka_address(c, id);
  for (int32_t via : {1, 2, 3}) {
    INFO("kcat -L through node " << via);
    auto md = kcat_list(kafka_address(c, via), "listed");
    REQUIRE(md.ok);
    CHECK(md.brokers == brokers);
    CHECK(md.leaders == leaders);
    CHECK(md.replicas == expected_replicas);
  }
}

TEST_CASE("kcat's keyed records sent with the murmur2 partitioner land on murmur2(key) % n and "
          "cafka's consumer reads every one",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults, true};
  REQUIRE(start_kafka_cluster(c, {1, 2, 3}));
  REQUIRE(create_topic(c, "keyed", 3, 3));
  std::string input;
  for (int i = 0; i < 10000; ++i)
    input += "key-" + std::to_string(i) + ":value-" + std::to_string(i) + "\n";
  // librdkafka's default partitioner is consistent_random (CRC32); murmur2_random is the
  // Java client's murmur2 for keyed records.
  auto produced = kcat({"-b", c.kafka_bootstrap(), "-P", "-t", "keyed", "-K:",
                                        "-X", "partitioner=murmur2_random", "-X",
                                        "message.timeout.ms=30000"},
                                       input);
  INFO(produced.err);
  REQUIRE(produced.exit_code == 0);
  auto consumed = cafka_consume(c, "keyed", 10000);
  INFO(consumed.err);
  auto& records = consumed.records;
  REQUIRE(records.size() == 10000);
  std::set<std::string> keys;
  std::map<int32_t, int> per_partition;
  int misplaced = 0;
  int mismatched = 0;
  for (auto& r : records) {
    keys.insert(r.key);
    ++per_partition[r.partition];
    if (r.partition != cafka::partition_for_key(r.key, 3))
      ++misplaced;
    if (r.value != "value-" + r.key.substr(4))
      ++mismatched;
  }
  CHECK(keys.size() == 10000);
  CHECK(misplaced == 0);
  CHECK(mismatched == 0);
  CHECK(per_partition.size() == 3);
}

namespace {

// Bytes of every value 0..255 in a pattern that depends on seed.
std::string binary(int seed, int n) {
  std::string out;
  for (int k = 0; k < n; ++k)
    out.push_back(static_cast<char>((seed * 131 + k * 29) & 0xff));
  return out;
}

// Binary bytes kcat prints unambiguously in a header value: no NUL, ',', '=' or '\n'.
std::string header_bytes(int seed, int n) {
  std::string out;
  for (int k = 0; k < n; ++k) {
    auto b = static_cast<char>(1 + (seed * 17 + k * 37) % 255);
    out.push_back(b == ',' || b == '=' || b == '\n' ? 'A' : b);
  }
  return out;
}

// Record i of the byte-identity test: null, empty and binary keys and values; no headers,
// one, or three (an empty value, a repeated name).
cafka::producer_record binary_record(int i) {
  cafka::producer_record r;
  r.topic = "binary";
  if (i % 97 == 0)
    r.key = std::nullopt;
  else if (i % 50 == 1)
    r.key = "";
  else
    r.key = "key-" + std::to_string(i) + std::string{"\0\n\xff:", 4} + binary(i, i % 7);
  if (i % 10 == 3)
    r.value = std::nullopt;
  else if (i % 10 == 4)
    r.value = "";
  else
    r.value = binary(i * 7, 1 + (i * 13) % 300);
  if (i % 3 == 1)
    r.headers = {{"h", header_bytes(i, 1 + i % 20)}};
  else if (i % 3 == 2)
    r.headers = {{"trace", ""}, {"h", header_bytes(i, 1 + i % 20)}, {"h", "again"}};
  return r;
}

// How many records differ from the one sent at their (partition, offset); the first
// difference is described in `first`.
int differences(const std::vector<kafka_record>& read,
                const std::map<std::pair<cafka::partition_id, cafka::log_offset>, int>& sent,
                std::string& first) {
  int n = 0;
  for (auto& r : read) {
    auto i = sent.find({cafka::partition_id{r.partition}, cafka::log_offset{r.offset}});
    std::string why;
    if (i == sent.end()) {
      why = "not sent";
    } else {
      auto expected = binary_record(i->second);
      std::vector<std::pair<std::string, std::string>> headers;
      for (auto& h : expected.headers)
        headers.emplace_back(h.key, h.value);
      if (r.key != expected.key)
        why = "key";
      else if (r.value != expected.value)
        why = "value";
      else if (r.headers != headers)
        why = "headers";
    }
    if (!why.empty() && n++ == 0)
      first = why + " of " + std::to_string(r.partition) + ":" + std::to_string(r.offset);
  }
  return n;
}

} // namespace

TEST_CASE("records cafka's producer writes with binary keys, values and headers come back "
          "byte-identical through kcat and kafka-python",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults, true};
  REQUIRE(start_kafka_cluster(c, {1, 2, 3}));
  REQUIRE(create_topic(c, "binary", 3, 3));
  caf::actor_system_config cfg;
  caf::actor_system sys{cafka::testing::client_config(cfg)};
  cafka::producer_config pc;
  pc.bootstrap = c.address(1);
  std::mutex mtx;
  // (partition, offset) -> record
  std::map<std::pair<cafka::partition_id, cafka::log_offset>, int> sent;
  int failed = 0;
  int refused = 0;
  {
    cafka::producer prod{sys, pc};
    for (int i = 0; i < 10000; ++i)
      if (prod.send(binary_record(i), [&, i](const cafka::delivery_report& rep) {
            std::lock_guard<std::mutex> guard{mtx};
            if (rep.error)
              ++failed;
            else
              sent[{rep.tp.partition, rep.offset}] = i;
          }))
        ++refused;
    REQUIRE(!prod.flush(60s));
  }
  REQUIRE(refused == 0);
  REQUIRE(failed == 0);
  REQUIRE(sent.size() == 10000);
  for (auto [name, read] : topic_readers) {
    INFO(name);
    auto res = read(c.kafka_bootstrap(), "binary");
    INFO(res.error);
    REQUIRE(res.ok);
    CHECK(res.records.size() == 10000);
    std::string first;
    CHECK(differences(res.records, sent, first) == 0);
    INFO(first);
    CHECK(first.empty());
  }
}
