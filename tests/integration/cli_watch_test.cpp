// The CLI's observation commands against real nodes: `cluster status --watch` and
// `groups describe --watch` into a pipe (a frame per interval, each ended by a blank line;
// SIGTERM, SIGINT and a closed pipe end them with exit 0), and `topics describe
// --under-replicated-partitions / --unavailable-partitions` while a broker is dead.
#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <set>
#include <sstream>

#include "cafka/eventually.hpp"
#include "tests/integration/background_process.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/node_process.hpp"

using cafka::test::eventually;
using cafka::testing::background_process;
using cafka::testing::cluster_process;
using cafka::testing::combined_nodes;
using cafka::testing::node_process;
using namespace std::chrono_literals;

namespace {

// The next frame of a watch into a pipe: its lines up to the blank line that ends it, or
// empty if none arrived within the timeout. `blank_lines_inside`: how many blank lines the
// frame itself holds (the plain `groups describe` has one after its first line and one
// before its member table, if any).
std::vector<std::string> next_frame(background_process& p, int blank_lines_inside = 0,
                                    std::chrono::milliseconds timeout = 20s) {
  std::vector<std::string> lines;
  std::string line;
  int blanks = 0;
  while (p.read_line(line, timeout)) {
    if (line.empty() && blanks++ == blank_lines_inside)
      return lines;
    lines.push_back(line);
  }
  return {};
}

// The whitespace-separated fields of a line.
std::vector<std::string> fields(const std::string& line) {
  std::istringstream in{line};
  std::vector<std::string> out;
  for (std::string f; in >> f;)
    out.push_back(f);
  return out;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in{s};
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

// A describe partition line "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1" as
// its fields by name; empty unless the line has exactly these five, in this order.
std::map<std::string, std::string> partition_fields(const std::string& line) {
  static const std::vector<std::string> names{"Topic", "Partition", "Leader", "Replicas",
                                              "Isr"};
  std::map<std::string, std::string> out;
  std::istringstream in{line};
  std::string cell;
  std::getline(in, cell, '\t');
  if (!cell.empty())
    return {};
  size_t i = 0;
  for (; std::getline(in, cell, '\t'); ++i) {
    auto colon = cell.find(": ");
    if (i >= names.size() || colon == std::string::npos || cell.substr(0, colon) != names[i])
      return {};
    out[names[i]] = cell.substr(colon + 2);
  }
  return i == names.size() ? out : std::map<std::string, std::string>{};
}

// "1,2,3" without `id`.
std::string without(const std::string& list, const std::string& id) {
  std::string out;
  std::istringstream in{list};
  for (std::string x; std::getline(in, x, ',');)
    if (x != id)
      out += (out.empty() ? "" : ",") + x;
  return out;
}

std::set<std::string> split_set(const std::string& list) {
  std::set<std::string> out;
  std::istringstream in{list};
  for (std::string x; std::getline(in, x, ',');)
    out.insert(x);
  return out;
}

// The node that leads the controller quorum according to `cluster status`, or -1.
int32_t controller_of(const cluster_process& c) {
  for (auto& line : lines_of(c.cli({"cluster", "status"}).out))
    if (line.find("quorum: leader") != std::string::npos)
      return std::stoi(line.substr(line.find("node ") + 5));
  return -1;
}

} // namespace

TEST_CASE("cluster status --watch into a pipe prints a frame per interval until SIGTERM or "
          "until the pipe closes",
          "[integration][cli_watch]") {
  cluster_process c{combined_nodes(3)};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s, 100ms));
  std::vector<std::string> args{"cluster", "status", "--config", c.config(), "--watch",
                                "--interval-ms", "300"};
  // Each frame: the three nodes, up, then the three brokers, alive.
  auto check_frame = [&](const std::vector<std::string>& frame) {
    REQUIRE(frame.size() == 8);
    CHECK(frame[0] == "Nodes:");
    for (int32_t id = 1; id <= 3; ++id) {
      auto prefix = "  node " + std::to_string(id) + "\t" + c.address(id)
                    + "\troles: controller,broker\tstatus: up\tquorum: ";
      CHECK(frame[id].substr(0, prefix.size()) == prefix);
    }
    CHECK(frame[4].substr(0, 26) == "Brokers (metadata version ");
    for (int32_t id = 1; id <= 3; ++id) {
      auto prefix = "  broker " + std::to_string(id) + "\t" + c.address(id)
                    + "\talive\tincarnation ";
      CHECK(frame[4 + id].substr(0, prefix.size()) == prefix);
    }
  };

  SECTION("SIGTERM ends it with exit 0") {
    background_process watch{CAFKA_BINARY, args, true};
    auto first = next_frame(watch);
    check_frame(first);
    auto second = next_frame(watch);
    check_frame(second);
    watch.signal(SIGTERM);
    CHECK(watch.wait(10s) == 0);
    CHECK(watch.err().empty());
  }

  SECTION("a closed pipe ends it with exit 0") {
    background_process watch{CAFKA_BINARY, args, true};
    check_frame(next_frame(watch));
    watch.close_pipe();
    CHECK(watch.wait(10s) == 0);
    CHECK(watch.err().empty());
  }

  SECTION("a dead node shows as down in the next frames, on the same connection to the rest") {
    background_process watch{CAFKA_BINARY, args, true};
    check_frame(next_frame(watch));
    c.kill9(3);
    auto down = "  node 3\t" + c.address(3) + "\troles: controller,broker\tstatus: down";
    std::vector<std::string> frame;
    CHECK(eventually(
      [&] {
        frame = next_frame(watch);
        return frame.size() == 8 && frame[3] == down
               && frame[7].find("\tfenced\t") != std::string::npos;
      },
      30s, 0ms));
    watch.signal(SIGINT);
    CHECK(watch.wait(10s) == 0);
  }
}

TEST_CASE("groups describe --watch shows the lag grow as records arrive between frames",
          "[integration][cli_watch]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "t", "--partitions", "1"}).exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "t"}, "1\n2\n3\n").exit_code == 0);
  REQUIRE(node.cli({"consume", "--topic", "t", "--group", "g", "--from-beginning",
                    "--max-messages", "2", "--timeout-ms", "30000"})
            .exit_code
          == 0);
  auto watch_args = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"groups", "describe", "--group", "g", "--config",
                                  node.config(), "--watch", "--interval-ms", "200"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };

  SECTION("plain: the offsets table of every frame") {
    background_process watch{CAFKA_BINARY, watch_args({}), true};
    // Header, blank, table header, the row of t-0 (no members: no member table).
    auto frame = next_frame(watch, 1);
    REQUIRE(frame.size() == 4);
    CHECK(frame[0].substr(0, 35) == "Consumer group 'g': state Empty, gr");
    CHECK(frame[1].empty());
    CHECK(fields(frame[2])
          == std::vector<std::string>{"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET",
                                      "LOG-END-OFFSET", "LAG", "CONSUMER-ID"});
    CHECK(fields(frame[3]) == std::vector<std::string>{"g", "t", "0", "2", "3", "1", "-"});
    REQUIRE(node.cli({"produce", "--topic", "t"}, "4\n5\n").exit_code == 0);
    CHECK(eventually(
      [&] {
        frame = next_frame(watch, 1);
        return frame.size() == 4
               && fields(frame[3])
                    == std::vector<std::string>{"g", "t", "0", "2", "5", "3", "-"};
      },
      20s, 0ms));
    watch.signal(SIGINT);
    CHECK(watch.wait(30s) == 0);
    CHECK(watch.err().empty());
  }

  SECTION("--state and --members --verbose redraw their own output") {
    background_process state{CAFKA_BINARY, watch_args({"--state"}), true};
    for (int i = 0; i < 2; ++i) {
      auto frame = next_frame(state);
      REQUIRE(frame.size() == 2);
      CHECK(fields(frame[1]).size() == 6);
      CHECK(fields(frame[1])[0] == "g");
      CHECK(fields(frame[1])[4] == "Empty");
      CHECK(fields(frame[1])[5] == "0");
    }
    state.close_pipe();
    CHECK(state.wait(30s) == 0);
    background_process members{CAFKA_BINARY, watch_args({"--members", "--verbose"}), true};
    for (int i = 0; i < 2; ++i)
      CHECK(next_frame(members)
            == std::vector<std::string>{"Consumer group 'g' has no active members."});
    members.signal(SIGTERM);
    CHECK(members.wait(30s) == 0);
  }

  SECTION("a group that does not exist: the error in each frame, until SIGTERM") {
    auto args = watch_args({});
    args[3] = "nobody";
    background_process watch{CAFKA_BINARY, args, true};
    for (int i = 0; i < 2; ++i)
      CHECK(next_frame(watch)
            == std::vector<std::string>{
              "cafka: group_id_not_found: group 'nobody' does not exist"});
    watch.signal(SIGTERM);
    CHECK(watch.wait(30s) == 0);
  }
}

TEST_CASE("the watch interval (--interval-ms) must be positive and needs --watch",
          "[integration][cli_watch]") {
  auto r = cafka::testing::run(CAFKA_BINARY, {"cluster", "status", "--watch", "--interval-ms",
                                              "0", "--config", "/nonexistent.conf"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "cafka: --interval-ms: must be positive, got 0 (see cafka --help)\n");
  r = cafka::testing::run(CAFKA_BINARY, {"groups", "describe", "--group", "g",
                                         "--interval-ms", "500"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "cafka: --interval-ms requires --watch (see cafka --help)\n");
}

TEST_CASE("topics describe --under-replicated-partitions and --unavailable-partitions list "
          "the partitions a dead broker leaves short",
          "[integration][cli_watch]") {
  cluster_process c{combined_nodes(3), "replica-lag-time-max-ms=1000\n"};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s, 100ms));
  for (auto [topic, rf] : {std::pair<const char*, const char*>{"all3", "3"}, {"two", "2"},
                           {"solo", "1"}})
    REQUIRE(c.cli({"topics", "create", "--topic", topic, "--partitions", "3",
                   "--replication-factor", rf})
              .exit_code
            == 0);
  // Healthy: nothing to list, not even topic lines.
  auto urp = c.cli({"topics", "describe", "--under-replicated-partitions"});
  CHECK(urp.exit_code == 0);
  CHECK(urp.out.empty());
  auto offline = c.cli({"topics", "describe", "--unavailable-partitions"});
  CHECK(offline.exit_code == 0);
  CHECK(offline.out.empty());
  auto both = c.cli({"topics", "describe", "--under-replicated-partitions",
                     "--unavailable-partitions"});
  CHECK(both.exit_code == 2);
  CHECK(both.err
        == "cafka: --under-replicated-partitions excludes --unavailable-partitions (see "
           "cafka --help)\n");
  CHECK(both.out.empty());

  // The replicas of every partition before the kill, by "topic-partition".
  std::map<std::string, std::string> replicas;
  for (auto& line : lines_of(c.cli({"topics", "describe"}).out))
    if (auto f = partition_fields(line); !f.empty())
      replicas[f["Topic"] + "-" + f["Partition"]] = f["Replicas"];
  REQUIRE(replicas.size() == 9);
  // A quorum follower, so that the controller stays.
  auto ctl = controller_of(c);
  REQUIRE(ctl > 0);
  int32_t victim = ctl == 3 ? 2 : 3;
  auto v = std::to_string(victim);
  std::set<std::string> short_of_victim;  // the RF > 1 partitions with a replica on it
  std::string solo_on_victim;             // the RF 1 partition on it
  for (auto& [tp, r] : replicas) {
    if (split_set(r).count(v) == 0)
      continue;
    if (tp.rfind("solo-", 0) == 0)
      solo_on_victim = tp;
    else
      short_of_victim.insert(tp);
  }
  REQUIRE(short_of_victim.size() == 5);  // all3's three and two of two's
  REQUIRE(!solo_on_victim.empty());
  c.kill9(victim);

  // Under-replicated once the ISRs shrank: exactly those partitions, their replicas as
  // before, the ISR their replicas without the victim (in their order), led by a member.
  std::vector<std::string> listed;
  auto shrank = [&] {
    auto r = c.cli({"topics", "describe", "--under-replicated-partitions"});
    listed = lines_of(r.out);
    if (r.exit_code != 0 || listed.size() != short_of_victim.size())
      return false;
    for (auto& line : listed) {
      auto f = partition_fields(line);
      if (f.empty())
        return false;
      auto tp = f["Topic"] + "-" + f["Partition"];
      if (short_of_victim.count(tp) == 0 || f["Replicas"] != replicas[tp]
          || f["Isr"] != without(replicas[tp], v)
          || split_set(f["Isr"]).count(f["Leader"]) == 0)
        return false;
    }
    return true;
  };
  bool ok = eventually(shrank, 30s, 200ms);
  std::string all;
  for (auto& l : listed)
    all += l + "\n";
  INFO("listed:\n" << all);
  CHECK(ok);
  // With --topic, only that topic's lines.
  std::vector<std::string> of_two;
  for (auto& line : listed)
    if (line.rfind("\tTopic: two\t", 0) == 0)
      of_two.push_back(line);
  CHECK(of_two.size() == 2);
  CHECK(lines_of(c.cli({"topics", "describe", "--topic", "two",
                        "--under-replicated-partitions"})
                   .out)
        == of_two);

  // Unavailable: the RF 1 partition on the dead broker, left without a leader, and nothing
  // else (the others moved their leaders to live replicas).
  auto solo_line = "\tTopic: solo\tPartition: " + solo_on_victim.substr(5)
                   + "\tLeader: none\tReplicas: " + v + "\tIsr: " + v + "\n";
  cafka::testing::command_result un;
  ok = eventually(
    [&] {
      un = c.cli({"topics", "describe", "--unavailable-partitions"});
      return un.exit_code == 0 && un.out == solo_line;
    },
    30s, 200ms);
  INFO("unavailable: " << un.out);
  CHECK(ok);
  CHECK(c.cli({"topics", "describe", "--topic", "all3", "--unavailable-partitions"}).out
        .empty());

  // Back: caught up, the ISRs grow again and nothing is listed.
  c.start(victim);
  CHECK(eventually(
    [&] {
      auto r = c.cli({"topics", "describe", "--under-replicated-partitions"});
      return r.exit_code == 0 && r.out.empty();
    },
    60s, 200ms));
  CHECK(eventually(
    [&] {
      auto r = c.cli({"topics", "describe", "--unavailable-partitions"});
      return r.exit_code == 0 && r.out.empty();
    },
    30s, 200ms));
}
