// The CLI's observation commands against real nodes: `cluster status --watch` and
// `groups describe --watch` into a pipe (a frame per interval, each ended by a blank line;
// SIGTERM, SIGINT and a closed pipe end them with exit 0).
#include <catch2/catch.hpp>

#include <csignal>
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

TEST_CASE("--interval-ms must be positive and needs --watch", "[integration][cli_watch]") {
  auto r = cafka::testing::run(CAFKA_BINARY, {"cluster", "status", "--watch", "--interval-ms",
                                              "0", "--config", "/nonexistent.conf"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "cafka: --interval-ms: must be positive, got 0 (see cafka --help)\n");
  r = cafka::testing::run(CAFKA_BINARY, {"groups", "describe", "--group", "g",
                                         "--interval-ms", "500"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "cafka: --interval-ms requires --watch (see cafka --help)\n");
}
