// `cafka chaos` against a cluster started with `cafka cluster up`: network faults through
// every node's chaos agent (isolate, with a duration that heals by itself), process faults
// through the pid files (pause and heal, kill and restart), disk faults on a partition's
// leader and follower, status, and bad input. The chaos gate: a node without
// chaos-enable=true refuses every network, disk, heal and status request with one line (exit
// 1); a node with it refuses a rule over its caps that the client let through.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <sstream>

#include "runtime/storage/partition_log.hpp"

#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::eventually;
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

const std::string disabled_line
  = "chaos is disabled on node 1 (set chaos-enable=true in cluster.conf's [cluster] section)";

} // namespace

TEST_CASE("cafka chaos isolates, pauses, kills and restarts nodes of a running cluster, and "
          "every fault heals",
          "[integration][chaos]") {
  cluster_process c{{{1, true, true}, {2, true, true}, {3, true, true}},
                    "min-insync-replicas=2\n", false, "chaos-enable=true\n"};
  auto up = c.cli({"cluster", "up"});
  cluster_up guard{c};
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "t", "--partitions", "3",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  std::string input;
  for (int i = 0; i < 100; ++i)
    input += "v" + std::to_string(i) + "\n";
  REQUIRE(c.cli({"produce", "--topic", "t", "--acks", "all"}, input).exit_code == 0);

  // A network fault with a duration: node 2 is cut off, fenced (its 3 s lease lapses), and
  // back by itself.
  auto iso = c.cli({"chaos", "isolate", "--node", "2", "--duration", "6s"});
  INFO(iso.err);
  REQUIRE(iso.exit_code == 0);
  CHECK(iso.out.find("fault installed on 3 node(s), heals in 6000 ms") != std::string::npos);
  auto st = c.cli({"chaos", "status"});
  CHECK(count(st.out, "drop 1.00") == 6);  // two rules on each of three nodes
  REQUIRE(eventually([&] { return fenced(c, 2); }, 10s));
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  CHECK(count(c.cli({"chaos", "status"}).out, "0 fault rule(s)") == 3);

  // A hung node: paused until `chaos heal` resumes it.
  REQUIRE(c.cli({"chaos", "pause", "--node", "3"}).exit_code == 0);
  CHECK(c.cli({"chaos", "status"}).out.find("node 3 (127.0.0.1:") != std::string::npos);
  CHECK(c.cli({"chaos", "status"}).out.find("paused") != std::string::npos);
  REQUIRE(eventually([&] { return fenced(c, 3); }, 10s));
  auto heal = c.cli({"chaos", "heal"});
  CHECK(heal.out.find("node 3 resumed") != std::string::npos);
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));

  // A dead node, restarted.
  REQUIRE(c.cli({"chaos", "kill", "--node", "1"}).exit_code == 0);
  REQUIRE(eventually([&] {
    return c.cli({"chaos", "status"}).out.find("down") != std::string::npos;
  }, 10s));
  REQUIRE(eventually([&] { return fenced(c, 1); }, 10s));
  REQUIRE(c.cli({"chaos", "restart", "--node", "1"}).exit_code == 0);
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));

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

TEST_CASE("cafka chaos disk: a failed fsync or write is a clear error, no log is corrupted, "
          "and the broker recovers by itself when the fault clears",
          "[integration][chaos]") {
  // flush-messages=1: every append is fsynced before it is acknowledged.
  cluster_process c{{{1, true, true}, {2, true, true}, {3, true, true}},
                    "min-insync-replicas=2\nflush-messages=1\n", false, "chaos-enable=true\n"};
  auto up = c.cli({"cluster", "up"});
  cluster_up guard{c};
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "d", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  int32_t leader = -1;
  REQUIRE(eventually([&] {
    auto l = c.leaders("d");
    leader = l.count(0) != 0 ? l[0] : -1;
    return leader != -1;
  }, 20s));
  auto follower = leader == 1 ? 2 : 1;
  auto lines = [](const std::string& prefix, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
      out += prefix + std::to_string(i) + "\n";
    return out;
  };
  auto produce_retrying = [&](const std::string& input) {
    return c.cli({"produce", "--topic", "d", "--idempotence", "--delivery-timeout-ms", "60000"},
                 input);
  };

  // fsync fails on the leader: the write is refused with the reason, and the replica is
  // reopened (and flushed) once the fault heals by itself.
  auto f = c.cli({"chaos", "disk", "--node", std::to_string(leader), "--fault", "fsync",
                  "--duration", "2s"});
  INFO(f.err);
  REQUIRE(f.exit_code == 0);
  CHECK(f.out.find("fault installed on 1 node(s), heals in 2000 ms") != std::string::npos);
  CHECK(c.cli({"chaos", "status"}).out.find("disk fsync errors 1.00") != std::string::npos);
  auto refused = c.cli({"produce", "--topic", "d", "--acks", "all", "--retries", "0"}, "x\n");
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("fsync") != std::string::npos);
  CHECK(refused.err.find("Input/output error") != std::string::npos);
  auto a = produce_retrying(lines("a", 50));
  INFO(a.err);
  CHECK(a.exit_code == 0);

  // A follower's disk fills up: the other two replicas keep min ISR and take writes.
  REQUIRE(c.cli({"chaos", "disk", "--node", std::to_string(follower), "--fault", "write",
                 "--duration", "2s"})
            .exit_code
          == 0);
  CHECK(produce_retrying(lines("b", 50)).exit_code == 0);

  // The leader's disk fills up: the torn write is cut off again, the error names it.
  REQUIRE(c.cli({"chaos", "disk", "--node", std::to_string(leader), "--fault", "write",
                 "--duration", "2s"})
            .exit_code
          == 0);
  auto full = c.cli({"produce", "--topic", "d", "--acks", "all", "--retries", "0"}, "y\n");
  CHECK(full.exit_code == 1);
  CHECK(full.err.find("No space left on device") != std::string::npos);
  CHECK(produce_retrying(lines("c", 50)).exit_code == 0);

  // A slow disk only slows things down.
  REQUIRE(c.cli({"chaos", "disk", "--node", std::to_string(leader), "--fault", "slow",
                 "--delay-ms", "20", "--duration", "2s"})
            .exit_code
          == 0);
  CHECK(produce_retrying(lines("e", 20)).exit_code == 0);

  // Every acknowledged record is there once; x (whose fsync failed after the write) may be
  // too, y (whose write was cut off) is not. Every replica holds the same bytes.
  auto r = c.cli({"consume", "--topic", "d", "--from-beginning", "--max-messages", "171",
                  "--timeout-ms", "5000"});
  std::map<std::string, int> seen;
  std::istringstream in{r.out};
  for (std::string line; std::getline(in, line);)
    ++seen[line];
  for (auto& prefix : {"a", "b", "c"})
    for (int i = 0; i < 50; ++i)
      CHECK(seen[prefix + std::to_string(i)] == 1);
  CHECK(seen["e19"] == 1);
  CHECK(seen["x"] <= 1);
  CHECK(seen["y"] == 0);
  auto dir = c.dir() + "/data/node-";
  CHECK(eventually([&] {
    auto one = cafka::segment_bytes(dir + "1/d-0");
    return !one.empty() && one == cafka::segment_bytes(dir + "2/d-0")
           && one == cafka::segment_bytes(dir + "3/d-0");
  }, 20s));

  // Bad input.
  auto bad = c.cli({"chaos", "disk", "--node", "1", "--fault", "melt"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("not a disk fault") != std::string::npos);
  auto slow0 = c.cli({"chaos", "disk", "--node", "1", "--fault", "slow"});
  CHECK(slow0.exit_code != 0);
  CHECK(slow0.err.find("needs a delay") != std::string::npos);
}

TEST_CASE("a node without chaos-enable refuses cafka chaos with one line and exit 1",
          "[integration][chaos]") {
  cluster_process c{{{1, true, true}}};
  auto up = c.cli({"cluster", "up"});
  cluster_up guard{c};
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));

  for (auto args : std::vector<std::vector<std::string>>{
         {"chaos", "drop", "--probability", "0.5"},
         {"chaos", "isolate", "--node", "1", "--duration", "2s"},
         {"chaos", "disk", "--node", "1", "--fault", "slow", "--delay-ms", "20"}}) {
    auto r = c.cli(args);
    INFO(args[1] << ": " << r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "cafka: chaos_disabled: " + disabled_line + "\n");
    CHECK(r.out.empty());
  }
  auto heal = c.cli({"chaos", "heal"});
  CHECK(heal.exit_code == 1);
  CHECK(heal.out == disabled_line + "\n");
  auto st = c.cli({"chaos", "status"});
  CHECK(st.exit_code == 1);
  CHECK(st.out == "node 1 (" + c.address(1) + "): running, " + disabled_line + "\n");
  auto run = c.cli({"chaos", "run", "--seed", "1", "--duration", "5s"});
  CHECK(run.exit_code == 1);
  CHECK(run.err == "cafka: " + c.config()
                     + ": chaos run injects network and disk faults through the nodes' chaos "
                       "agents: set chaos-enable=true in its [cluster] section (or use "
                       "--faults kill,pause)\n");
  // The node still serves.
  CHECK(c.brokers_alive(1));
}

TEST_CASE("a node with chaos-enable takes a rule and refuses one over its caps",
          "[integration][chaos]") {
  cluster_process c{{{1, true, true}}, {}, false, "chaos-enable=true\nchaos-max-rules=4\n"};
  auto up = c.cli({"cluster", "up"});
  cluster_up guard{c};
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));

  auto ok = c.cli({"chaos", "delay", "--delay-ms", "5", "--duration", "60s"});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == "fault installed on 1 node(s), heals in 60000 ms\n");
  // The client checks no cap: the node does.
  auto late = c.cli({"chaos", "delay", "--delay-ms", "999999999"});
  CHECK(late.exit_code == 1);
  CHECK(late.err == "cafka: invalid_request: node 1 refuses the rule: delay 999999999 ms is "
                    "over chaos-max-delay-ms (10000 ms)\n");
  auto st = c.cli({"chaos", "status"});
  CHECK(st.exit_code == 0);
  CHECK(st.out.find("1 fault rule(s)") != std::string::npos);
  auto heal = c.cli({"chaos", "heal"});
  CHECK(heal.exit_code == 0);
  CHECK(heal.out == "node 1: healed\n");
}
