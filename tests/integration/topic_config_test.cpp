// Per-topic configs and added partitions across real `cafka node` processes: a topic's own
// min.insync.replicas refuses acks=all writes while a replica is down and another topic's
// lower one keeps taking them; a change reaches the partition leader without a restart; a bad
// value gets Kafka's message. Growing a topic from 3 to 6 partitions leaves every old record
// in its partition and moves the group's members onto the new partitions.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <map>
#include <set>
#include <sstream>

#include "cafka/eventually.hpp"
#include "tests/integration/background_process.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"
#include "tests/integration/member_process.hpp"
#include "tests/integration/replication_helpers.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::member_process;
using cafka::testing::isr;
using cafka::testing::node_spec;
using cafka::testing::split_roles;
using namespace std::chrono_literals;

namespace {

// Each record of `topic` as "<partition>:<key>:<value>" in partition and offset order.
std::vector<std::string> read_all(const cluster_process& c, const std::string& topic,
                                  int partitions) {
  std::vector<std::string> out;
  for (int p = 0; p < partitions; ++p) {
    auto r = c.cli({"consume", "--topic", topic, "--partition", std::to_string(p), "--offset",
                    "0", "--print-key", "--timeout-ms", "3000"});
    std::istringstream in{r.out};
    std::string line;
    while (std::getline(in, line))
      out.push_back(std::to_string(p) + ":" + line);
  }
  return out;
}

} // namespace

TEST_CASE("a topic's min.insync.replicas refuses acks=all writes while another topic's "
          "lower one accepts them, and a change applies at once",
          "[integration][topic_config]") {
  cluster_process c{split_roles()};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "strict", "--partitions", "1",
                 "--replication-factor", "3", "--topic-config", "min.insync.replicas=3"})
            .exit_code
          == 0);
  REQUIRE(c.cli({"topics", "create", "--topic", "relaxed", "--partitions", "1",
                 "--replication-factor", "3", "--topic-config", "min.insync.replicas=2"})
            .exit_code
          == 0);
  CHECK(c.cli({"topics", "describe", "--topic", "strict"}).out.find(
          "\tConfigs: min.insync.replicas=3\n")
        != std::string::npos);
  // Both write with all three replicas in sync.
  REQUIRE(c.cli({"produce", "--topic", "strict", "--acks", "all"}, "s1\n").exit_code == 0);
  REQUIRE(c.cli({"produce", "--topic", "relaxed", "--acks", "all"}, "r1\n").exit_code == 0);

  // A broker that leads neither partition goes down; both ISRs shrink to two.
  auto strict_leader = c.leaders("strict")[0];
  auto relaxed_leader = c.leaders("relaxed")[0];
  int32_t victim = 4;
  while (victim == strict_leader || victim == relaxed_leader)
    ++victim;
  REQUIRE(victim <= 6);
  int32_t via = strict_leader;
  c.kill9(victim);
  INFO("victim " << victim << ", strict: " << isr(c, "strict", via)
                 << ", relaxed: " << isr(c, "relaxed", via));
  REQUIRE(eventually([&] {
    auto a = isr(c, "strict", via);
    auto b = isr(c, "relaxed", via);
    return a.size() == 3 && b.size() == 3 && a.find(std::to_string(victim)) == std::string::npos
           && b.find(std::to_string(victim)) == std::string::npos;
  }, 60s));

  auto refused = c.cli({"produce", "--topic", "strict", "--acks", "all"}, "s2\n", via);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("not_enough_replicas: strict-0: the ISR has 2 member(s), fewer than "
                         "min.insync.replicas (3); nothing was written")
        != std::string::npos);
  auto accepted = c.cli({"produce", "--topic", "relaxed", "--acks", "all"}, "r2\n", via);
  CHECK(accepted.exit_code == 0);
  INFO(accepted.err);

  // A bad value is refused with Kafka's message and changes nothing.
  auto bad = c.cli({"topics", "alter-config", "--topic", "strict", "--add-config",
                    "min.insync.replicas=0"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err == "cafka: invalid_config: Invalid value 0 for configuration "
                   "min.insync.replicas: Value must be at least 1\n");
  auto unknown = c.cli({"topics", "alter-config", "--topic", "strict", "--add-config",
                        "min.insync.replica=2"});
  CHECK(unknown.err == "cafka: invalid_config: Unknown topic config name: "
                       "min.insync.replica\n");

  // Lowering it reaches the leader: the same write is taken now.
  auto lowered = c.cli({"topics", "alter-config", "--topic", "strict", "--add-config",
                        "min.insync.replicas=2"});
  CHECK(lowered.out == "Completed updating config for topic strict.\n");
  CHECK(eventually([&] {
    return c.cli({"produce", "--topic", "strict", "--acks", "all"}, "s2\n", via).exit_code == 0;
  }, 20s));
  auto strict = c.cli({"consume", "--topic", "strict", "--from-beginning", "--max-messages",
                       "2", "--timeout-ms", "10000"}, {}, via);
  CHECK(strict.out == "s1\ns2\n");
  auto relaxed = c.cli({"consume", "--topic", "relaxed", "--from-beginning", "--max-messages",
                        "2", "--timeout-ms", "10000"}, {}, via);
  CHECK(relaxed.out == "r1\nr2\n");
  // Removing the override brings back the cluster's value (1).
  CHECK(c.cli({"topics", "alter-config", "--topic", "strict", "--delete-config",
               "min.insync.replicas"})
          .exit_code
        == 0);
  CHECK(c.cli({"topics", "describe", "--topic", "strict"}).out.find("\tConfigs: \n")
        != std::string::npos);
}

TEST_CASE("growing a topic from 3 to 6 partitions keeps old records where they were and "
          "moves the group's members, cafka's and Kafka's, onto the new partitions",
          "[integration][topic_config]") {
  std::vector<node_spec> nodes;
  for (int i = 1; i <= 3; ++i)
    nodes.push_back({i, true, true});
  cluster_process c{nodes,
                    cafka::testing::kafka_test_defaults
                      + "group-consumer-session-timeout-ms=6000\n"
                        "group-consumer-heartbeat-interval-ms=500\n"
                        "offsets-topic-num-partitions=3\n",
                    true};
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1, 2, 3}));
  REQUIRE(c.cli({"topics", "create", "--topic", "g", "--partitions", "3",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  std::string input;
  for (int i = 0; i < 300; ++i)
    input += "k" + std::to_string(i % 30) + ":v" + std::to_string(i) + "\n";
  REQUIRE(c.cli({"produce", "--topic", "g", "--key-separator", ":"}, input).exit_code == 0);
  auto before = read_all(c, "g", 3);
  REQUIRE(before.size() == 300);

  // Two cafka members and one of librdkafka's (the classic protocol) in one group.
  member_process a{c.address(1), "g", "grow", c.dir() + "/a.events"};
  member_process b{c.address(2), "g", "grow", c.dir() + "/b.events"};
  a.start();
  b.start();
  auto k_events = c.dir() + "/k.events";
  cafka::testing::background_process k{
    "/usr/bin/python3",
    {cafka::testing::client_script("group_member.py"), "confluent",
     cafka::testing::kafka_address(c, 3), "g", "grow", k_events, "range"}};
  auto held_by = [&](const std::string& events) {
    return cafka::testing::read_events(events).held;
  };
  auto held = [&] {
    std::set<cafka::topic_partition> all;
    size_t sum = 0;
    for (auto& file : {a.events_file(), b.events_file(), k_events}) {
      auto e = held_by(file);
      sum += e.size();
      all.insert(e.begin(), e.end());
    }
    return std::make_pair(sum, all.size());
  };
  REQUIRE(eventually([&] {
    return held() == std::make_pair(size_t{3}, size_t{3}) && held_by(k_events).size() == 1;
  }, 60s));

  auto grown = c.cli({"topics", "add-partitions", "--topic", "g", "--partitions", "6"});
  CHECK(grown.out == "Topic g now has 6 partition(s).\n");
  INFO(grown.err);
  auto shrink = c.cli({"topics", "add-partitions", "--topic", "g", "--partitions", "4"});
  CHECK(shrink.err == "cafka: invalid_partitions: Topic currently has 6 partitions, which is "
                      "higher than the requested 4.\n");
  auto offsets = c.cli({"topics", "add-partitions", "--topic", "__consumer_offsets",
                        "--partitions", "6"});
  CHECK(offsets.exit_code == 1);
  CHECK(offsets.err.find("is internal") != std::string::npos);

  // The three members now hold the six partitions between them, each once, two each
  // (the Kafka client too).
  CHECK(eventually([&] {
    return held() == std::make_pair(size_t{6}, size_t{6}) && held_by(k_events).size() == 2;
  }, 60s));
  auto leaders = c.leaders("g");
  CHECK(leaders.size() == 6);
  for (auto& [p, l] : leaders) {
    CAPTURE(p);
    CHECK(l > 0);
  }
  // Old records stay in their partitions in their order; new keyed records use all six.
  auto after = read_all(c, "g", 3);
  CHECK(after == before);
  std::string more;
  for (int i = 300; i < 600; ++i)
    more += "k" + std::to_string(i % 30) + ":v" + std::to_string(i) + "\n";
  REQUIRE(c.cli({"produce", "--topic", "g", "--key-separator", ":"}, more).exit_code == 0);
  std::set<int> used;
  for (auto& r : read_all(c, "g", 6))
    used.insert(r[0] - '0');
  CHECK(used == std::set<int>{0, 1, 2, 3, 4, 5});
  a.kill9();
  b.kill9();
  k.signal(SIGTERM);
  CHECK(k.wait(30s) == 0);
}

TEST_CASE("a LogAppendTime topic stamps the broker's time on librdkafka's records, in the "
          "produce answer and in what consumers read",
          "[integration][topic_config][kafka]") {
  std::vector<node_spec> nodes;
  for (int i = 1; i <= 3; ++i)
    nodes.push_back({i, true, true});
  cluster_process c{nodes, cafka::testing::kafka_test_defaults, true};
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1, 2, 3}));
  REQUIRE(c.cli({"topics", "create", "--topic", "stamped", "--partitions", "1",
                 "--replication-factor", "3", "--topic-config",
                 "message.timestamp.type=LogAppendTime"})
            .exit_code
          == 0);
  auto wall = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
  };
  auto before = wall();
  auto r = cafka::testing::python_client("append_time.py",
                                         {c.kafka_bootstrap(), "stamped"});
  auto after = wall();
  INFO(r.out << r.err);
  std::istringstream in{r.out};
  std::string what;
  int type = 0;
  int64_t ts = 0;
  std::vector<int64_t> delivered, consumed;
  while (in >> what >> type >> ts) {
    CHECK(type == 2);  // LogAppendTime, not the producer's CreateTime 1000
    CHECK(ts >= before);
    CHECK(ts <= after);
    (what == "delivered" ? delivered : consumed).push_back(ts);
  }
  CHECK(delivered.size() == 3);
  // Each record reads back with the time its produce answer gave.
  CHECK(consumed == delivered);
}
