// Moving partitions across real `cafka node` processes: a partition reassigned from three
// brokers to three others (one new) while Kafka's idempotent producer writes loses and
// duplicates nothing, its leadership moves off the leaving broker and the leaving replica's
// log is deleted; a decommissioned broker ends up with no replica and new topics stay off it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "cafka/eventually.hpp"
#include "tests/integration/background_process.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"
#include "tests/integration/node_process.hpp"

using cafka::test::eventually;
using cafka::testing::background_process;
using cafka::testing::client_script;
using cafka::testing::cluster_process;
using cafka::testing::create_topic;
using cafka::testing::kafka_address;
using cafka::testing::kafka_test_defaults;
using cafka::testing::node_spec;
using cafka::testing::python_read;
using cafka::testing::start_kafka_cluster;
using namespace std::chrono_literals;

namespace {

// Controllers on nodes 1-3, brokers on 4-7.
std::vector<node_spec> four_brokers() {
  return {{1, true, false}, {2, true, false}, {3, true, false},
          {4, false, true}, {5, false, true}, {6, false, true}, {7, false, true}};
}

// A field of partition p's line in `topics describe` ("Replicas", "Isr", "Leader"), or "".
std::string field(const cluster_process& c, const std::string& topic, int32_t p,
                  const std::string& name, int32_t via = -1) {
  auto r = c.cli({"topics", "describe", "--topic", topic}, {}, via);
  std::istringstream in{r.out};
  std::string line;
  auto tag = "\tPartition: " + std::to_string(p) + "\t";
  while (std::getline(in, line)) {
    if (line.find(tag) == std::string::npos)
      continue;
    auto at = line.find("\t" + name + ": ");
    if (at == std::string::npos)
      return {};
    auto from = at + name.size() + 3;
    auto end = line.find('\t', from);
    return line.substr(from, end == std::string::npos ? std::string::npos : end - from);
  }
  return {};
}

std::vector<int32_t> ids_of(const std::string& csv) {
  std::vector<int32_t> out;
  std::istringstream in{csv};
  std::string x;
  while (std::getline(in, x, ','))
    out.push_back(std::stoi(x));
  return out;
}

std::string csv(const std::vector<int32_t>& ids) {
  std::string out;
  for (auto id : ids)
    out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

std::string write_plan(const cluster_process& c, const std::string& topic,
                       const std::vector<int32_t>& replicas) {
  auto path = c.dir() + "/plan.json";
  std::ofstream{path} << "{\"version\":1,\"partitions\":[{\"topic\":\"" << topic
                      << "\",\"partition\":0,\"replicas\":[" << csv(replicas)
                      << "],\"log_dirs\":[\"any\",\"any\",\"any\"]}]}\n";
  return path;
}

// "<key> <n>" -> "<partition> <offset>" of every acknowledgement the producer script printed.
std::map<std::string, std::string> acknowledged(const std::string& out) {
  std::map<std::string, std::string> acked;
  std::istringstream in{out};
  std::string key, n, partition, offset;
  while (in >> key >> n >> partition >> offset)
    acked[key + " " + n] = partition + " " + offset;
  return acked;
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

} // namespace

TEST_CASE("a partition moved to other brokers while Kafka's idempotent producer writes loses "
          "nothing, and its leadership and log leave the old broker",
          "[integration][reassignment]") {
  cluster_process c{four_brokers(), kafka_test_defaults + "min-insync-replicas=2\n", true};
  REQUIRE(start_kafka_cluster(c, {4, 5, 6, 7}));
  REQUIRE(create_topic(c, "moving", 1, 3));
  auto original = ids_of(field(c, "moving", 0, "Replicas"));
  REQUIRE(original.size() == 3);
  auto leaving = std::stoi(field(c, "moving", 0, "Leader"));
  REQUIRE(leaving == original[0]);
  int32_t joining = 4;
  while (std::find(original.begin(), original.end(), joining) != original.end())
    ++joining;
  // {a,b,c} -> {b,c,d}: the leader leaves, a broker without a replica joins.
  std::vector<int32_t> target{original[1], original[2], joining};
  auto plan = write_plan(c, "moving", target);

  background_process producer{"/usr/bin/python3",
                              {client_script("clients_idempotent_produce.py"), "--bootstrap",
                               c.kafka_bootstrap(), "--topic", "moving", "--rate", "1000"}};
  REQUIRE(eventually([&] { return lines(producer.out()) >= 1000; }, 30s));

  auto started = c.cli({"partitions", "reassign", "--reassignment-json-file", plan,
                        "--execute", "--throttle", "2000000"});
  INFO(started.err);
  REQUIRE(started.exit_code == 0);
  CHECK(started.out.find("Current partition replica assignment\n\n{\"version\":1,"
                         "\"partitions\":[{\"topic\":\"moving\",\"partition\":0,\"replicas\":["
                         + csv(original) + "]")
        != std::string::npos);
  CHECK(started.out.find("Successfully started partition reassignments for moving-0\n")
        != std::string::npos);
  // The joining replica copies the log, enters the ISR, and the move completes.
  REQUIRE(eventually([&] { return field(c, "moving", 0, "Replicas") == csv(target); }, 90s));
  CHECK(field(c, "moving", 0, "Isr").size() == csv(target).size());
  auto leader = std::stoi(field(c, "moving", 0, "Leader"));
  CHECK(leader != leaving);
  CHECK(std::find(target.begin(), target.end(), leader) != target.end());
  // Every broker's metadata shows it soon (the push reaches them one by one).
  CHECK(eventually([&] {
    return c.cli({"partitions", "reassign", "--reassignment-json-file", plan, "--verify"}).out
           == "Status of partition reassignment:\nReassignment of partition moving-0 is "
              "completed.\n";
  }, 10s));
  CHECK(eventually([&] {
    return c.cli({"partitions", "reassign", "--list"}).out
           == "No partition reassignments found.\n";
  }, 10s));
  // The leaving broker deletes its replica's log.
  auto old_dir = c.dir() + "/data/node-" + std::to_string(leaving) + "/moving-0";
  CHECK(eventually([&] { return !std::filesystem::exists(old_dir); }, 20s));
  CHECK(cafka::testing::read_file(c.dir() + "/node-" + std::to_string(leaving) + ".log")
          .find("topic partition moving-0 moved off this broker; removing its log")
        != std::string::npos);

  // The producer goes on against the new leader.
  auto at_done = lines(producer.out());
  REQUIRE(eventually([&] { return lines(producer.out()) >= at_done + 1000; }, 60s));
  producer.signal(SIGTERM);
  auto exit_code = producer.wait(90s);
  INFO(producer.err());
  REQUIRE(exit_code == 0);  // every record acknowledged, none failed
  auto acked = acknowledged(producer.out());
  std::string bootstrap;
  for (auto id : target)
    bootstrap += (bootstrap.empty() ? "" : ",") + kafka_address(c, id);
  auto res = python_read(bootstrap, "moving");
  INFO(res.error);
  REQUIRE(res.ok);
  // Each key's values in log order count up from 0 without a gap or a duplicate, and every
  // acknowledged record is where its acknowledgement said.
  std::map<std::string, int64_t> next;
  int wrong = 0;
  auto in_order = res.records;
  std::sort(in_order.begin(), in_order.end(),
            [](auto& a, auto& b) { return a.offset < b.offset; });
  for (auto& r : in_order) {
    auto value = r.value.value_or("");
    auto colon = value.find(':');
    REQUIRE(colon != std::string::npos);
    auto key = value.substr(0, colon);
    auto n = std::stoll(value.substr(colon + 1));
    wrong += n != next[key]++;
    auto a = acked.find(key + " " + std::to_string(n));
    wrong += a != acked.end() && a->second != "0 " + std::to_string(r.offset);
  }
  CHECK(wrong == 0);
  CHECK(res.records.size() == acked.size());
}

TEST_CASE("a move the cluster cannot make is refused with its reason and changes nothing",
          "[integration][reassignment]") {
  cluster_process c{four_brokers(), kafka_test_defaults, true};
  REQUIRE(start_kafka_cluster(c, {4, 5, 6, 7}));
  REQUIRE(create_topic(c, "fixed", 1, 3));
  auto replicas = field(c, "fixed", 0, "Replicas");
  auto bad = c.cli({"partitions", "reassign", "--reassignment-json-file",
                    write_plan(c, "fixed", {4, 5, 9}), "--execute"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err == "cafka: partition fixed-0: invalid_replica_assignment: broker 9 in the "
                   "replicas of fixed-0 is not a registered broker\n");
  auto cancel = c.cli({"partitions", "reassign", "--reassignment-json-file",
                       write_plan(c, "fixed", {4, 5, 6}), "--cancel"});
  CHECK(cancel.exit_code == 1);
  CHECK(cancel.err == "cafka: partition fixed-0: no_reassignment_in_progress: no "
                      "reassignment of fixed-0 is in progress\n");
  auto garbage_path = c.dir() + "/garbage.json";
  std::ofstream{garbage_path} << "{\"version\":2,\"partitions\":[]}";
  auto garbage = c.cli({"partitions", "reassign", "--reassignment-json-file", garbage_path,
                        "--execute"});
  CHECK(garbage.exit_code == 1);
  CHECK(garbage.err.rfind("cafka: invalid_request: reassignment plan: ", 0) == 0);
  CHECK(field(c, "fixed", 0, "Replicas") == replicas);
}

TEST_CASE("a decommissioned broker ends up with no replica and new topics stay off it",
          "[integration][reassignment]") {
  cluster_process c{four_brokers(), kafka_test_defaults + "min-insync-replicas=1\n", true};
  REQUIRE(start_kafka_cluster(c, {4, 5, 6, 7}));
  REQUIRE(create_topic(c, "spread", 4, 2));
  std::string values;
  for (int i = 0; i < 200; ++i)
    values += "v" + std::to_string(i) + "\n";
  REQUIRE(c.cli({"produce", "--topic", "spread", "--acks", "all"}, values).exit_code == 0);
  auto hosts_5 = [&] {
    auto r = c.cli({"topics", "describe"});
    std::istringstream in{r.out};
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      auto at = line.find("\tReplicas: ");
      if (at == std::string::npos)
        continue;
      auto end = line.find('\t', at + 1);
      for (auto id : ids_of(line.substr(at + 11, end - at - 11)))
        n += id == 5;
    }
    return n;
  };
  REQUIRE(hosts_5() > 0);
  auto r = c.cli({"brokers", "decommission", "--id", "5", "--timeout", "90s"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "Moving every replica off broker 5.\nBroker 5 hosts no replica; it can be "
                 "removed from the cluster's config.\n");
  CHECK(eventually([&] { return hosts_5() == 0; }, 10s));
  // Every record is still there.
  auto read = c.cli({"consume", "--topic", "spread", "--from-beginning", "--max-messages",
                     "200", "--timeout-ms", "20000"});
  CHECK(cafka::testing::line_set(read.out) == cafka::testing::line_set(values));
  // Placement leaves broker 5 out: three brokers take new replicas.
  REQUIRE(create_topic(c, "later", 3, 3));
  CHECK(eventually([&] { return hosts_5() == 0; }, 10s));
  auto four = c.cli({"topics", "create", "--topic", "wide", "--partitions", "1",
                     "--replication-factor", "4"});
  CHECK(four.err == "cafka: invalid_replication_factor: replication factor 4 is larger than "
                    "the number of available brokers (3)\n");
  auto back = c.cli({"brokers", "decommission", "--id", "5", "--cancel"});
  CHECK(back.out == "Broker 5 takes new replicas again.\n");
  CHECK(c.cli({"topics", "create", "--topic", "wide", "--partitions", "1",
               "--replication-factor", "4"})
          .exit_code
        == 0);
}

TEST_CASE("Kafka's AlterPartitionReassignments and ListPartitionReassignments start, list and "
          "cancel a move",
          "[integration][reassignment][kafka]") {
  cluster_process c{four_brokers(), kafka_test_defaults, true};
  REQUIRE(start_kafka_cluster(c, {4, 5, 6, 7}));
  REQUIRE(create_topic(c, "api", 1, 3));
  auto original = ids_of(field(c, "api", 0, "Replicas"));
  REQUIRE(original.size() == 3);
  int32_t down = 4;
  while (std::find(original.begin(), original.end(), down) != original.end())
    ++down;
  // The joining broker is down: the move waits for it, so it can be listed and cancelled.
  c.kill9(down);
  auto via = kafka_address(c, original[0]);
  std::vector<int32_t> target{original[1], original[2], down};
  auto started = cafka::testing::python_client("reassign.py", {via, "alter", "api", "0",
                                                                csv(target)});
  INFO(started.err);
  CHECK(started.out == "top 0\napi 0 0 -\n");
  auto moving = csv(target) + "," + std::to_string(original[0]);
  REQUIRE(eventually([&] {
    return cafka::testing::python_client("reassign.py", {via, "list"}).out
           == "top 0\napi 0 replicas=" + moving + " adding=" + std::to_string(down)
                + " removing=" + std::to_string(original[0]) + "\n";
  }, 20s));
  CHECK(field(c, "api", 0, "Adding Replicas") == std::to_string(down));
  CHECK(c.cli({"partitions", "reassign", "--list"}).out
        == "Current partition reassignments:\napi-0: replicas: " + moving
             + ". adding: " + std::to_string(down) + ". removing: "
             + std::to_string(original[0]) + ".\n");
  auto cancelled = cafka::testing::python_client("reassign.py", {via, "cancel", "api", "0"});
  CHECK(cancelled.out == "top 0\napi 0 0 -\n");
  // The original brokers again, in the order the move gave them (as Kafka's revert does).
  auto reverted = csv({original[1], original[2], original[0]});
  REQUIRE(eventually([&] { return field(c, "api", 0, "Replicas") == reverted; }, 20s));
  CHECK(cafka::testing::python_client("reassign.py", {via, "list"}).out == "top 0\n");
  auto again = cafka::testing::python_client("reassign.py", {via, "cancel", "api", "0"});
  CHECK(again.out == "top 0\napi 0 85 no reassignment of api-0 is in progress\n");
  auto unknown = cafka::testing::python_client("reassign.py", {via, "alter", "api", "0",
                                                                "4,5,9"});
  CHECK(unknown.out == "top 0\napi 0 39 broker 9 in the replicas of api-0 is not a "
                       "registered broker\n");
}
