// `cafka consume` as users run it against a real node: in a terminal while records arrive,
// in a pipe that closes (`| head -1`), stopped with Ctrl-C or SIGTERM, as group members that
// come and go, with --max-messages. Checks what was printed, when, and what was committed.
#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <caf/actor_system.hpp>

#include "cafka/consumer.hpp"
#include "runtime/base/errc.hpp"
#include "cafka/eventually.hpp"
#include "tests/integration/background_process.hpp"
#include "tests/integration/client_config.hpp"
#include "tests/integration/node_process.hpp"

using cafka::partition_id;
using cafka::test::eventually;
using cafka::testing::background_process;
using cafka::testing::node_process;
using cafka::testing::numbered_lines;
using namespace std::chrono_literals;

namespace {

using committed_offsets = std::map<partition_id, int64_t>;  // by partition

// "k<i>:<i>" lines: with --key-separator ':' the records spread over the partitions.
std::string keyed(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i)
    out += "k" + std::to_string(i) + ":" + std::to_string(i) + "\n";
  return out;
}

background_process consume(const node_process& node, std::vector<std::string> args,
                           bool pipe = false) {
  std::vector<std::string> all{"consume", "--config", node.config()};
  all.insert(all.end(), args.begin(), args.end());
  return background_process{CAFKA_BINARY, all, pipe};
}

// The group's committed offset per partition of `topic` (partitions without one are left out).
committed_offsets committed(const node_process& node, const std::string& group,
                            const std::string& topic, int32_t partitions) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cafka::testing::client_config(cfg)};
  cafka::consumer_config cc;
  cc.bootstrap = node.bootstrap();
  cc.group_id = group;
  cafka::consumer cons{sys, cc};
  std::vector<cafka::topic_partition> tps;
  for (int32_t p = 0; p < partitions; ++p)
    tps.push_back({topic, partition_id{p}});
  committed_offsets out;
  auto r = cons.committed(tps);
  if (r)
    for (auto& po : *r)
      if (po.offset >= cafka::log_offset{0})
        out[po.tp.partition] = po.offset - cafka::log_offset{0};  // records before it
  return out;
}

int64_t sum(const committed_offsets& m) {
  int64_t n = 0;
  for (auto& kv : m)
    n += kv.second;
  return n;
}

std::multiset<std::string> lines(const std::vector<std::string>& xs) {
  return {xs.begin(), xs.end()};
}

} // namespace

TEST_CASE("consume prints each record as it arrives and Ctrl-C prints the total",
          "[integration][consume]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "live", "--partitions", "1"}).exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "live"}, "a\nb\nc\n").exit_code == 0);
  auto c = consume(node, {"--topic", "live", "--from-beginning"});
  // Three short lines are far below any output buffer: they show while the consumer runs.
  CHECK(eventually([&] { return c.out_lines().size() == 3; }, 20s));
  REQUIRE(node.cli({"produce", "--topic", "live"}, "d\n").exit_code == 0);
  CHECK(eventually([&] { return c.out_lines().size() == 4; }, 20s));
  c.signal(SIGINT);
  CHECK(c.wait(20s) == 0);
  CHECK(c.out() == "a\nb\nc\nd\n");
  CHECK(c.err().find("Processed a total of 4 messages") != std::string::npos);
}

TEST_CASE("consume into a pipe that closes after one line ends", "[integration][consume]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "piped", "--partitions", "1"}).exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "piped"}, numbered_lines(1, 100)).exit_code == 0);
  // `cafka consume --topic piped --from-beginning | head -1`
  auto c = consume(node, {"--topic", "piped", "--from-beginning"}, true);
  std::string line;
  REQUIRE(c.read_line(line, 20s));
  CHECK(line == "1");
  c.close_pipe();
  // A closed pipe shows at the next write: more records make the consumer write again.
  REQUIRE(node.cli({"produce", "--topic", "piped"}, numbered_lines(101, 110)).exit_code == 0);
  CHECK(c.wait(20s) == 0);
  CHECK(c.err().find("Processed a total of") != std::string::npos);
}

TEST_CASE("a group consumer commits what it printed: on an interval while idle, and at "
          "SIGTERM, then leaves the group",
          "[integration][consume][group]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "idle", "--partitions", "3"}).exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "idle"}, numbered_lines(1, 30)).exit_code == 0);
  auto c = consume(node, {"--topic", "idle", "--group", "g-idle", "--from-beginning"});
  REQUIRE(eventually([&] { return c.out_lines().size() == 30; }, 30s));
  // No record arrives after these: the interval commit alone brings the lag to 0.
  CHECK(eventually([&] { return sum(committed(node, "g-idle", "idle", 3)) == 30; }, 20s));
  REQUIRE(node.cli({"produce", "--topic", "idle"}, numbered_lines(31, 35)).exit_code == 0);
  REQUIRE(eventually([&] { return c.out_lines().size() == 35; }, 30s));
  c.signal(SIGTERM);
  REQUIRE(c.wait(20s) == 0);
  CHECK(c.err().find("Processed a total of 35 messages") != std::string::npos);
  CHECK(sum(committed(node, "g-idle", "idle", 3)) == 35);
  auto d = node.cli({"groups", "describe", "--group", "g-idle"});
  CHECK(d.out.find("0 member(s)") != std::string::npos);
}

TEST_CASE("a group member that printed nothing yet commits its reset position, so the next "
          "owner reads what came after it died",
          "[integration][consume][group]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "reset", "--partitions", "1"}).exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "reset"}, numbered_lines(1, 10)).exit_code == 0);
  // Without --from-beginning: the partition starts at its end, offset 10.
  auto a = consume(node, {"--topic", "reset", "--group", "g-reset"});
  CHECK(eventually(
    [&] {
      return committed(node, "g-reset", "reset", 1) == committed_offsets{{partition_id{0}, 10}};
    },
    20s));
  a.signal(SIGKILL);
  REQUIRE(a.wait(10s) == 128 + SIGKILL);
  CHECK(a.out().empty());
  REQUIRE(node.cli({"produce", "--topic", "reset"}, numbered_lines(11, 15)).exit_code == 0);
  auto b = node.cli({"consume", "--topic", "reset", "--group", "g-reset", "--max-messages", "5"});
  REQUIRE(b.exit_code == 0);
  CHECK(b.out == numbered_lines(11, 15));
}

TEST_CASE("consume --max-messages commits only the records it printed",
          "[integration][consume][group]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "capped", "--partitions", "1"}).exit_code
          == 0);
  REQUIRE(node.cli({"produce", "--topic", "capped"}, numbered_lines(1, 10)).exit_code == 0);
  auto first = node.cli({"consume", "--topic", "capped", "--group", "g-cap", "--from-beginning",
                         "--max-messages", "3"});
  REQUIRE(first.exit_code == 0);
  CHECK(first.out == "1\n2\n3\n");
  CHECK(committed(node, "g-cap", "capped", 1) == committed_offsets{{partition_id{0}, 3}});
  auto rest = node.cli({"consume", "--topic", "capped", "--group", "g-cap", "--max-messages",
                        "7"});
  REQUIRE(rest.exit_code == 0);
  CHECK(rest.out == numbered_lines(4, 10));
}

TEST_CASE("a member joining a busy group takes over partitions without duplicates",
          "[integration][consume][group]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "busy", "--partitions", "6"}).exit_code == 0);
  auto a = consume(node, {"--topic", "busy", "--group", "g-busy", "--from-beginning"});
  // Records flow while the second member joins: the first one has printed records it has not
  // committed yet when the group takes partitions from it.
  std::atomic<bool> producing{true};
  std::atomic<int> produced{0};
  std::thread producer{[&] {
    for (int round = 0; producing && round < 300; ++round) {
      auto from = round * 20 + 1;
      if (node.cli({"produce", "--topic", "busy", "--key-separator", ":"}, keyed(from, from + 19))
            .exit_code
          != 0)
        return;
      produced = from + 19;
    }
  }};
  auto joined = [&] {
    producing = false;
    if (producer.joinable())
      producer.join();
  };
  bool a_printed = eventually([&] { return a.out_lines().size() >= 100; }, 30s);
  auto b = consume(node, {"--topic", "busy", "--group", "g-busy", "--from-beginning"});
  bool b_printed = a_printed
                   && eventually([&] { return b.out_lines().size() >= 100; }, 30s);
  joined();
  REQUIRE(a_printed);
  REQUIRE(b_printed);
  int total = produced;
  REQUIRE(total > 0);
  REQUIRE(eventually(
    [&] { return a.out_lines().size() + b.out_lines().size() >= static_cast<size_t>(total); },
    30s));
  a.signal(SIGTERM);
  b.signal(SIGTERM);
  REQUIRE(a.wait(20s) == 0);
  REQUIRE(b.wait(20s) == 0);
  auto printed = lines(a.out_lines());
  auto more = lines(b.out_lines());
  printed.insert(more.begin(), more.end());
  std::multiset<std::string> expected;
  for (int i = 1; i <= total; ++i)
    expected.insert(std::to_string(i));
  CHECK(printed == expected);
}

TEST_CASE("three group consumers, one SIGKILLed while records flow: the others print every "
          "record it left",
          "[integration][consume][group]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "flow", "--partitions", "6"}).exit_code == 0);
  std::vector<std::unique_ptr<background_process>> members;
  for (int i = 0; i < 3; ++i)
    members.push_back(std::make_unique<background_process>(
      CAFKA_BINARY, std::vector<std::string>{"consume", "--config", node.config(), "--topic",
                                             "flow", "--group", "g-flow",
                                             "--from-beginning"}));
  REQUIRE(eventually(
    [&] {
      auto d = node.cli({"groups", "describe", "--group", "g-flow"});
      return d.out.find("3 member(s)") != std::string::npos;
    },
    30s));
  int total = 0;
  for (int round = 0; round < 40; ++round) {
    auto from = round * 100 + 1;
    REQUIRE(node.cli({"produce", "--topic", "flow", "--key-separator", ":"},
                     keyed(from, from + 99))
              .exit_code
            == 0);
    total = from + 99;
    if (round == 15)
      members[0]->signal(SIGKILL);
  }
  REQUIRE(members[0]->wait(10s) == 128 + SIGKILL);
  std::set<std::string> printed;
  auto collect = [&] {
    printed.clear();
    for (auto& m : members)
      for (auto& l : m->out_lines())
        printed.insert(l);
    return printed.size() == static_cast<size_t>(total);
  };
  CHECK(eventually(collect, 60s));
  CHECK(printed.size() == static_cast<size_t>(total));
}

TEST_CASE("the consumer examples stop cleanly on SIGINT and SIGTERM: the group member leaves "
          "its group",
          "[integration][consume][examples]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "example", "--partitions", "2"}).exit_code
          == 0);
  auto dir = std::string{CAFKA_EXAMPLES_DIR};
  background_process member{dir + "/group_consumer",
                            {"--bootstrap", node.bootstrap(), "example", "g-example", "2", "-1"}};
  REQUIRE(eventually(
    [&] {
      auto d = node.cli({"groups", "describe", "--group", "g-example"});
      return d.out.find("2 member(s)") != std::string::npos;
    },
    30s));
  member.signal(SIGINT);
  CHECK(member.wait(20s) == 0);
  CHECK(member.out().find("stopped: every member left the group") != std::string::npos);
  auto d = node.cli({"groups", "describe", "--group", "g-example"});
  CHECK(d.out.find("0 member(s)") != std::string::npos);
  // Never reaches its count: only the signal ends it.
  background_process reader{dir + "/actor_consumer",
                            {"--bootstrap", node.bootstrap(), "example", "1000"}};
  REQUIRE(node.cli({"produce", "--topic", "example"}, numbered_lines(1, 10)).exit_code == 0);
  REQUIRE(eventually([&] { return reader.out_lines().size() >= 5; }, 30s));
  reader.signal(SIGTERM);
  CHECK(reader.wait(20s) == 0);
  CHECK(reader.out().find("stopped") != std::string::npos);
}
