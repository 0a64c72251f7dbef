// `cafka chaos` against a cluster started with `cafka cluster up`: network faults through
// every node's chaos agent (isolate, with a duration that heals by itself), process faults
// through the pid files (pause and heal, kill and restart), status, and bad input.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/integration/cluster_process.hpp"

using cafka::testing::cluster_process;
using cafka::testing::node_spec;
using namespace std::chrono_literals;

namespace {

// `cluster down` when the test ends, however it ends: the nodes are not the harness's own.
struct cluster_up {
  cluster_process& c;
  ~cluster_up() { c.cli({"cluster", "down"}); }
};

// `cluster status` lists broker `id` as fenced.
bool fenced(const cluster_process& c, int32_t id) {
  auto out = c.cli({"cluster", "status"}).out;
  auto pos = out.find("broker " + std::to_string(id) + "\t");
  if (pos == std::string::npos)
    return false;
  auto line = out.substr(pos, out.find('\n', pos) - pos);
  return line.find("fenced") != std::string::npos;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t pos = 0; (pos = s.find(what, pos)) != std::string::npos; pos += what.size())
    ++n;
  return n;
}

} // namespace

TEST_CASE("cafka chaos isolates, pauses, kills and restarts nodes of a running cluster, and "
          "every fault heals",
          "[integration][chaos]") {
  cluster_process c{{{1, true, true}, {2, true, true}, {3, true, true}},
                    "min-insync-replicas=2\n"};
  auto up = c.cli({"cluster", "up"});
  cluster_up guard{c};
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  REQUIRE(cluster_process::eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "t", "--partitions", "3",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  std::string input;
  for (int i = 0; i < 100; ++i)
    input += "v" + std::to_string(i) + "\n";
  REQUIRE(c.cli({"produce", "--topic", "t", "--acks", "all"}, input).exit_code == 0);

  // A network fault with a duration: node 2 is cut off, fenced, and back by itself.
  auto iso = c.cli({"chaos", "isolate", "--node", "2", "--duration", "2s"});
  INFO(iso.err);
  REQUIRE(iso.exit_code == 0);
  CHECK(iso.out.find("fault installed on 3 node(s), heals in 2000 ms") != std::string::npos);
  auto st = c.cli({"chaos", "status"});
  CHECK(count(st.out, "drop 1.00") == 6);  // two rules on each of three nodes
  REQUIRE(cluster_process::eventually([&] { return fenced(c, 2); }, 10s));
  REQUIRE(cluster_process::eventually([&] { return c.brokers_alive(3); }, 30s));
  CHECK(count(c.cli({"chaos", "status"}).out, "0 fault rule(s)") == 3);

  // A hung node: paused until `chaos heal` resumes it.
  REQUIRE(c.cli({"chaos", "pause", "--node", "3"}).exit_code == 0);
  CHECK(c.cli({"chaos", "status"}).out.find("node 3 (127.0.0.1:") != std::string::npos);
  CHECK(c.cli({"chaos", "status"}).out.find("paused") != std::string::npos);
  REQUIRE(cluster_process::eventually([&] { return fenced(c, 3); }, 10s));
  auto heal = c.cli({"chaos", "heal"});
  CHECK(heal.out.find("node 3 resumed") != std::string::npos);
  REQUIRE(cluster_process::eventually([&] { return c.brokers_alive(3); }, 30s));

  // A dead node, restarted.
  REQUIRE(c.cli({"chaos", "kill", "--node", "1"}).exit_code == 0);
  REQUIRE(cluster_process::eventually([&] {
    return c.cli({"chaos", "status"}).out.find("down") != std::string::npos;
  }, 10s));
  REQUIRE(cluster_process::eventually([&] { return fenced(c, 1); }, 10s));
  REQUIRE(c.cli({"chaos", "restart", "--node", "1"}).exit_code == 0);
  REQUIRE(cluster_process::eventually([&] { return c.brokers_alive(3); }, 30s));

  // Nothing acknowledged was lost on the way.
  auto r = c.cli({"consume", "--topic", "t", "--from-beginning", "--max-messages", "100",
                  "--timeout-ms", "20000"},
                 {}, 2);
  CHECK(count(r.out, "\n") == 100);

  // Bad input: one clear line, non-zero exit.
  auto bad = c.cli({"chaos", "isolate", "--node", "9"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("node 9 is not in") != std::string::npos);
  auto bad_p = c.cli({"chaos", "drop", "--probability", "1.5"});
  CHECK(bad_p.exit_code != 0);
  CHECK(bad_p.err.find("between 0 and 1") != std::string::npos);
}
