// [limits] caps on a real node: max-topics and max-partitions refuse `cafka topics create`
// with one line and a non-zero exit, Kafka's CreateTopics with POLICY_VIOLATION (44) and the
// cap in its error message, and an auto-creating Metadata with UNKNOWN_TOPIC_OR_PARTITION,
// while __consumer_offsets is still created at the caps; group-max-size refuses a third
// classic member with GROUP_MAX_SIZE_REACHED (81) while the two in the group keep consuming.
// The Python side is tests/integration/kafka/cluster_caps.py (and group_member.py).
#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <sstream>

#include "cafka/eventually.hpp"
#include "tests/integration/background_process.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"
#include "tests/integration/member_process.hpp"

using cafka::test::eventually;
using cafka::testing::background_process;
using cafka::testing::cluster_process;
using cafka::testing::kafka_address;
using namespace std::chrono_literals;

namespace {

const std::string python = "/usr/bin/python3";
const std::string scripts = std::string{CAFKA_SOURCE_DIR} + "/tests/integration/kafka/";

std::string create(const cluster_process& c, const std::string& topic, int partitions,
                   int* exit_code) {
  auto r = c.cli({"topics", "create", "--topic", topic, "--partitions",
                  std::to_string(partitions), "--replication-factor", "1"});
  *exit_code = r.exit_code;
  return r.err;
}

std::set<std::string> topic_names(const cluster_process& c) {
  std::set<std::string> out;
  std::istringstream in{c.cli({"topics", "list"}).out};
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      out.insert(line);
  return out;
}

} // namespace

TEST_CASE("max-topics and max-partitions refuse the CLI, CreateTopics and auto-creation with "
          "exact errors, and __consumer_offsets is created at the caps",
          "[integration][kafka][limits]") {
  cluster_process c{{{1, true, true}},
                    "offsets-topic-num-partitions=1\n\n[limits]\nmax-topics=3\n"
                    "max-partitions=6\n",
                    true};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));
  REQUIRE(cafka::testing::create_topic(c, "a", 2, 1));
  REQUIRE(cafka::testing::create_topic(c, "b", 2, 1));
  int rc = -1;
  auto err = create(c, "c", 3, &rc);
  CHECK(rc != 0);
  CHECK(err
        == "cafka: limit_exceeded: creating topic 'c' with 3 partition(s) would pass [limits] "
           "max-partitions = 6 (the cluster has 4 partitions)\n");
  REQUIRE(cafka::testing::create_topic(c, "c", 2, 1));  // exactly at both caps
  err = create(c, "d", 1, &rc);
  CHECK(rc != 0);
  CHECK(err
        == "cafka: limit_exceeded: creating topic 'd' would pass [limits] max-topics = 3 (the "
           "cluster has 3 topics)\n");

  auto r = cafka::testing::run(python, {scripts + "cluster_caps.py", "topics",
                                        kafka_address(c, 1), "e"});
  INFO(r.out + r.err);
  REQUIRE(r.exit_code == 0);
  const std::string message =
    "creating topic 'e' would pass [limits] max-topics = 3 (the cluster has 3 topics)";
  CHECK(r.out.find("validate e 44 " + message + "\n") != std::string::npos);
  CHECK(r.out.find("create e 44 " + message + "\n") != std::string::npos);
  CHECK(r.out.find("metadata e-auto 3\n") != std::string::npos);

  // Describing a group creates __consumer_offsets: internal, never refused by the caps.
  c.cli({"groups", "describe", "--group", "warm-up"});
  CHECK(eventually([&] { return topic_names(c).count("__consumer_offsets") == 1; }, 30s,
                   100ms));
  CHECK(topic_names(c)
        == std::set<std::string>{"__consumer_offsets", "a", "b", "c"});
}

TEST_CASE("group-max-size refuses a third classic member with GROUP_MAX_SIZE_REACHED while "
          "the two members keep consuming", "[integration][kafka][limits][group]") {
  cluster_process c{{{1, true, true}},
                    "offsets-topic-num-partitions=1\n\n[limits]\ngroup-max-size=2\n", true};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));
  REQUIRE(cafka::testing::create_topic(c, "t", 4, 1));
  std::vector<std::string> events;
  std::vector<std::unique_ptr<background_process>> members;
  for (int i = 0; i < 2; ++i) {
    events.push_back(c.dir() + "/m" + std::to_string(i) + ".events");
    members.push_back(std::make_unique<background_process>(
      python, std::vector<std::string>{scripts + "group_member.py", "kafka-python",
                                       kafka_address(c, 1), "t", "kg", events.back()}));
  }
  auto held = [&](size_t i) { return cafka::testing::read_events(events[i]).held.size(); };
  REQUIRE(eventually([&] { return held(0) == 2 && held(1) == 2; }, 60s, 100ms));

  auto r = cafka::testing::run(python, {scripts + "cluster_caps.py", "join",
                                        kafka_address(c, 1), "kg", "t"});
  INFO(r.out + r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "join 81 ''\n");

  // Both members still read their partitions: every record produced now is processed.
  std::string input;
  for (int i = 0; i < 200; ++i)
    input += "k" + std::to_string(i) + ":v" + std::to_string(i) + "\n";
  REQUIRE(c.cli({"produce", "--topic", "t", "--key-separator", ":"}, input).exit_code == 0);
  auto processed = [&] {
    std::set<std::string> seen;
    for (auto& e : events)
      for (auto& rec : cafka::testing::read_events(e).records)
        seen.insert(rec.value);
    return seen.size() == 200;
  };
  CHECK(eventually(processed, 60s, 100ms));
  CHECK(held(0) == 2);
  CHECK(held(1) == 2);
}
