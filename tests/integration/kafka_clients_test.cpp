// Kafka's own clients (kcat, kafka-python, confluent-kafka, unmodified) against a real 3-node
// cafka cluster over its Kafka listeners: kcat's metadata matches cafka's, keyed records land
// on their murmur2 partitions, records with binary keys, values and headers come back
// byte-identical, every compression codec works in both directions, and an idempotent
// producer loses and duplicates nothing while a partition leader is SIGKILLed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <tuple>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/client/producer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/murmur2.hpp"
#include "tests/eventually.hpp"
#include "tests/integration/background_process.hpp"
#include "tests/integration/client_config.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"

using cafka::test::eventually;
using cafka::testing::cli_retrying;
using cafka::testing::cluster_process;
using cafka::testing::combined_nodes;
using cafka::testing::kafka_test_defaults;
using cafka::testing::kafka_record;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> codecs{"gzip", "snappy", "lz4", "zstd"};

// The Kafka clients that read a whole topic back.
const std::pair<const char*, cafka::testing::read_result (*)(const std::string&,
                                                             const std::string&)>
  readers[] = {{"kcat", &cafka::testing::kcat_read},
               {"kafka-python", &cafka::testing::python_read}};

bool create_topic(const cluster_process& c, const std::string& topic, int partitions, int rf) {
  return cli_retrying(c, {"topics", "create", "--topic", topic, "--partitions",
                          std::to_string(partitions), "--replication-factor",
                          std::to_string(rf)})
           .exit_code
         == 0;
}

std::string kafka_address(const cluster_process& c, int32_t id) {
  return "127.0.0.1:" + std::to_string(c.kafka_port(id));
}

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

// `cafka consume --print-offset --print-key` lines: "<partition>:<offset>\t<key>\t<value>".
struct consumed {
  int32_t partition;
  int64_t offset;
  std::string key;
  std::string value;
};

// What `cafka consume` printed, and its stderr.
struct consumed_records {
  std::vector<consumed> records;
  std::string err;
};

consumed_records cafka_consume(const cluster_process& c, const std::string& topic,
                               size_t expected) {
  auto r = cli_retrying(c, {"consume", "--topic", topic, "--from-beginning", "--print-key",
                            "--print-offset", "--max-messages", std::to_string(expected),
                            "--timeout-ms", "10000"});
  consumed_records out;
  out.err = r.err;
  std::istringstream in{r.out};
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    auto tab1 = line.find('\t');
    auto tab2 = line.find('\t', tab1 + 1);
    if (colon == std::string::npos || tab1 == std::string::npos || tab2 == std::string::npos)
      continue;
    out.records.push_back({std::stoi(line.substr(0, colon)), std::stoll(line.substr(colon + 1)),
                           line.substr(tab1 + 1, tab2 - tab1 - 1), line.substr(tab2 + 1)});
  }
  return out;
}

std::multiset<std::string> values_of(const std::vector<kafka_record>& records) {
  std::multiset<std::string> out;
  for (auto& r : records)
    out.insert(r.value.value_or("<null>"));
  return out;
}

std::multiset<std::string> numbered(const std::string& prefix, int n) {
  std::multiset<std::string> out;
  for (int i = 0; i < n; ++i)
    out.insert(prefix + "-" + std::to_string(i));
  return out;
}

std::string lines_of(const std::multiset<std::string>& values) {
  std::string out;
  for (auto& v : values)
    out += v + "\n";
  return out;
}

} // namespace

TEST_CASE("kcat -L through any node lists the three brokers and each partition's leader and "
          "replicas as cafka has them",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults, true};
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1, 2, 3}));
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
    auto md = cafka::testing::kcat_list(kafka_address(c, via), "listed");
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
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1, 2, 3}));
  REQUIRE(create_topic(c, "keyed", 3, 3));
  std::string input;
  for (int i = 0; i < 10000; ++i)
    input += "key-" + std::to_string(i) + ":value-" + std::to_string(i) + "\n";
  // librdkafka's default partitioner is consistent_random (CRC32); murmur2_random is the
  // Java client's murmur2 for keyed records.
  auto produced = cafka::testing::kcat({"-b", c.kafka_bootstrap(), "-P", "-t", "keyed", "-K:",
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
                const std::map<std::pair<int32_t, int64_t>, int>& sent, std::string& first) {
  int n = 0;
  for (auto& r : read) {
    auto i = sent.find({r.partition, r.offset});
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
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1, 2, 3}));
  REQUIRE(create_topic(c, "binary", 3, 3));
  caf::actor_system_config cfg;
  caf::actor_system sys{cafka::testing::client_config(cfg)};
  cafka::producer_config pc;
  pc.bootstrap = c.address(1);
  std::mutex mtx;
  std::map<std::pair<int32_t, int64_t>, int> sent;  // (partition, offset) -> record
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
              sent[{rep.tp.partition.value, rep.offset.value}] = i;
          }))
        ++refused;
    REQUIRE(!prod.flush(60s));
  }
  REQUIRE(refused == 0);
  REQUIRE(failed == 0);
  REQUIRE(sent.size() == 10000);
  for (auto [name, read] : readers) {
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

namespace {

// Writes 1000 records "<client>-<codec>-<i>" with a Kafka client and compression codec.
cafka::testing::command_result produce_with(const std::string& client, const std::string& codec,
                                            const std::string& bootstrap,
                                            const std::string& topic) {
  auto prefix = client + "-" + codec;
  if (client == "kcat")
    return cafka::testing::kcat({"-b", bootstrap, "-P", "-t", topic, "-z", codec, "-X",
                                 "message.timeout.ms=30000"},
                                lines_of(numbered(prefix, 1000)));
  return cafka::testing::python_client(
    "clients_produce.py", {"--client", client, "--bootstrap", bootstrap, "--topic", topic,
                           "--compression", codec, "--prefix", prefix, "--count", "1000"});
}

} // namespace

TEST_CASE("kcat, kafka-python and confluent-kafka write every compression codec and cafka's "
          "consumer reads what they wrote",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults, true};
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1, 2, 3}));
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
      CHECK(read == numbered(client + "-" + codec, 1000));
      // The client really compressed its batches with the codec (a batch that compression
      // would not shrink may go uncompressed).
      auto leader = cafka::testing::leader_of(c, topic);
      auto stored = cafka::testing::stored_codecs(c, leader, topic, 0);
      CHECK(stored.count(static_cast<int>(ci + 1)) == 1);
      CHECK(stored.count(0) + stored.count(static_cast<int>(ci + 1)) == stored.size());
    }
  }
}

TEST_CASE("cafka's producer writes every compression codec and kcat and kafka-python read "
          "what it wrote",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults, true};
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1, 2, 3}));
  for (size_t ci = 0; ci < codecs.size(); ++ci) {
    auto& codec = codecs[ci];
    INFO(codec);
    auto topic = "out-" + codec;
    REQUIRE(create_topic(c, topic, 1, 1));
    auto expected = numbered("cafka-" + codec, 1000);
    auto p = cli_retrying(c, {"produce", "--topic", topic, "--compression-type", codec},
                          lines_of(expected));
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    auto leader = cafka::testing::leader_of(c, topic);
    auto stored = cafka::testing::stored_codecs(c, leader, topic, 0);
    CHECK(stored.count(static_cast<int>(ci + 1)) == 1);
    for (auto [name, read] : readers) {
      INFO(name);
      auto res = read(c.kafka_bootstrap(), topic);
      INFO(res.error);
      REQUIRE(res.ok);
      CHECK(values_of(res.records) == expected);
    }
  }
}

namespace {

// A record of the idempotence test: key "k<i>", the n-th value written with that key.
struct keyed_seq {
  std::string key;
  int64_t n = 0;
  bool operator<(const keyed_seq& o) const { return std::tie(key, n) < std::tie(o.key, o.n); }
};

// The acknowledged records the producer script printed: "<key> <n> <partition> <offset>".
std::map<keyed_seq, std::pair<int32_t, int64_t>> acknowledged(const std::string& out) {
  std::map<keyed_seq, std::pair<int32_t, int64_t>> acked;
  std::istringstream in{out};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    keyed_seq k;
    std::pair<int32_t, int64_t> at;
    if (fields >> k.key >> k.n >> at.first >> at.second)
      acked[k] = at;
  }
  return acked;
}

} // namespace

TEST_CASE("confluent-kafka's idempotent producer loses and duplicates nothing and keeps each "
          "key's order while the partition leader's node is SIGKILLed",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults + "min-insync-replicas=2\n", true};
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1, 2, 3}));
  REQUIRE(create_topic(c, "idem", 3, 3));
  auto victim = cafka::testing::leader_of(c, "idem");
  REQUIRE(victim > 0);
  cafka::testing::background_process producer{
    "/usr/bin/python3",
    {cafka::testing::client_script("clients_idempotent_produce.py"), "--bootstrap",
     c.kafka_bootstrap(), "--topic", "idem", "--rate", "2000"}};
  auto acked_count = [&] {
    auto out = producer.out();
    return static_cast<size_t>(std::count(out.begin(), out.end(), '\n'));
  };
  REQUIRE(eventually([&] { return acked_count() >= 2000; }, 30s));
  c.kill9(victim);
  auto at_kill = acked_count();
  int32_t survivor = victim % 3 + 1;
  CHECK(eventually(
    [&] {
      auto l = c.leaders("idem", survivor);
      return l.count(0) == 1 && l[0] > 0 && l[0] != victim;
    },
    20s));
  // Acknowledgements go on well after the failover (about 2 s of writes).
  REQUIRE(eventually([&] { return acked_count() >= at_kill + 4000; }, 30s));
  producer.signal(SIGTERM);
  auto exit_code = producer.wait(90s);
  INFO(producer.err());
  REQUIRE(exit_code == 0);  // every record acknowledged, none failed, no fatal error
  auto acked = acknowledged(producer.out());
  REQUIRE(acked.size() > at_kill);
  // Partition 0, led by the killed node, took writes after the kill (keys k2 and k5 hash
  // there): the acknowledgements after the kill name it.
  std::istringstream after{producer.out()};
  std::string line;
  for (size_t i = 0; i < at_kill; ++i)
    std::getline(after, line);
  int on_partition_0 = 0;
  while (std::getline(after, line)) {
    std::istringstream fields{line};
    std::string key;
    int64_t n = 0;
    int32_t partition = -1;
    on_partition_0 += (fields >> key >> n >> partition) && partition == 0;
  }
  CHECK(on_partition_0 > 0);
  std::string live;
  for (int32_t id : {1, 2, 3})
    if (id != victim)
      live += (live.empty() ? "" : ",") + kafka_address(c, id);
  auto res = cafka::testing::python_read(live, "idem");
  INFO(res.error);
  REQUIRE(res.ok);
  // Per key, in log order: each value once, n counting up from 0 without a gap (every record
  // was acknowledged), and each acknowledged one where its acknowledgement said.
  std::map<std::string, int64_t> next;  // key -> next n expected
  int duplicates_or_gaps = 0;
  int misplaced = 0;
  auto in_order = res.records;
  std::sort(in_order.begin(), in_order.end(), [](auto& a, auto& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  for (auto& r : in_order) {
    auto value = r.value.value_or("");
    auto colon = value.find(':');
    if (colon == std::string::npos) {
      ++duplicates_or_gaps;  // not a value the producer wrote
      continue;
    }
    keyed_seq k{value.substr(0, colon), std::stoll(value.substr(colon + 1))};
    if (k.n != next[k.key]++)
      ++duplicates_or_gaps;
    auto a = acked.find(k);
    if (a != acked.end() && a->second != std::pair{r.partition, r.offset})
      ++misplaced;
  }
  CHECK(duplicates_or_gaps == 0);
  CHECK(misplaced == 0);
  CHECK(res.records.size() == acked.size());
}
