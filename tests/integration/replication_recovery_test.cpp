// Replication recovery across real `cafka node` processes: a leader restarted after every
// broker died starts at its checkpointed high watermark (replication-offset-checkpoint) and
// serves its committed records at once.
#include <catch2/catch.hpp>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cafka/eventually.hpp"
#include "runtime/replication/hw_checkpoint.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/replication_helpers.hpp"
#include "tests/integration/node_process.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::isr;
using cafka::testing::node_spec;
using cafka::testing::split_roles;
using namespace std::chrono_literals;

namespace {

std::string numbered(const std::string& prefix, int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i)
    out += prefix + std::to_string(i) + "\n";
  return out;
}

std::string partition_dir(const cluster_process& c, int32_t node, const std::string& tp) {
  return c.dir() + "/data/node-" + std::to_string(node) + "/" + tp;
}

// The high watermark in a replica's replication-offset-checkpoint, if it has a readable one.
std::optional<int64_t> checkpointed_hw(const std::string& dir) {
  auto bytes = cafka::testing::read_file(dir + "/" + cafka::hw_checkpoint_file);
  auto hw = cafka::parse_hw_checkpoint(bytes);
  if (!hw)
    return std::nullopt;
  return hw->value;
}

std::vector<int32_t> others(int32_t leader) {
  std::vector<int32_t> out;
  for (int32_t b : {4, 5, 6})
    if (b != leader)
      out.push_back(b);
  return out;
}

} // namespace

TEST_CASE("a leader restarted after every broker died starts at its checkpointed high "
          "watermark and serves its committed records at once",
          "[integration][replication]") {
  cluster_process c{split_roles(),
                    "min-insync-replicas=1\nreplica-high-watermark-checkpoint-interval-ms=100\n"};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "hw", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  REQUIRE(c.cli({"produce", "--topic", "hw", "--acks", "all"}, numbered("a", 0, 100))
            .exit_code
          == 0);
  auto leader = c.leaders("hw").at(0);
  REQUIRE(leader >= 4);
  auto followers = others(leader);
  // Every replica's timer writes the high watermark it knows (a follower's is the leader's,
  // learnt from its next fetch).
  for (auto b : {leader, followers[0], followers[1]})
    REQUIRE(eventually([&] { return checkpointed_hw(partition_dir(c, b, "hw-0")) == 100; },
                       20s));
  // The followers stop; the leader alone commits 50 more, and its timer checkpoints them.
  for (auto f : followers)
    CHECK(c.terminate(f) == 0);
  REQUIRE(eventually([&] { return isr(c, "hw", leader) == std::to_string(leader); }, 20s));
  REQUIRE(c.cli({"produce", "--topic", "hw", "--acks", "all"}, numbered("b", 0, 50), leader)
            .exit_code
          == 0);
  REQUIRE(eventually([&] { return checkpointed_hw(partition_dir(c, leader, "hw-0")) == 150; },
                     20s));
  // SIGKILL: nothing is saved at exit; only the timer's checkpoint is on disk.
  c.kill9(leader);
  auto log_path = c.dir() + "/node-" + std::to_string(leader) + ".log";
  auto before = cafka::testing::read_file(log_path).size();
  c.start(leader);
  // The last ISR member leads again once it is back, with its followers still down.
  REQUIRE(eventually([&] {
    auto l = c.leaders("hw", leader);
    return l.count(0) != 0 && l[0] == leader;
  }, 30s));
  auto restarted = cafka::testing::read_file(log_path).substr(before);
  CHECK(restarted.find("partition hw-0: leading in epoch ") != std::string::npos);
  CHECK(restarted.find("(log end 150, high watermark 150)") != std::string::npos);
  auto r = c.cli({"consume", "--topic", "hw", "--from-beginning", "--max-messages", "150",
                  "--timeout-ms", "20000"},
                 {}, leader);
  CHECK(r.out == numbered("a", 0, 100) + numbered("b", 0, 50));
}
