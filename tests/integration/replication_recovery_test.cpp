// Replication recovery across real `cafka node` processes: a leader restarted after every
// broker died starts at its checkpointed high watermark (replication-offset-checkpoint) and
// serves its committed records at once; a follower stopped while retention deleted the
// segments it needed restarts at the leader's log start and catches up.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cafka/eventually.hpp"
#include "runtime/replication/hw_checkpoint.hpp"
#include "runtime/storage/partition_log.hpp"
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

// The base offset of the first segment file in `dir` (its log start: retention deletes whole
// segments), or -1 if there is none.
int64_t first_segment_base(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".log")
      names.push_back(e.path().stem().string());
  if (names.empty())
    return -1;
  return std::stoll(*std::min_element(names.begin(), names.end()));
}

std::vector<int32_t> others(int32_t leader) {
  std::vector<int32_t> out;
  for (int32_t b : {4, 5, 6})
    if (b != leader)
      out.push_back(b);
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size()
         && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
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

TEST_CASE("a follower stopped while its leader's retention deleted what it lacks restarts at "
          "the leader's log start and catches up",
          "[integration][replication]") {
  cluster_process c{split_roles(),
                    "min-insync-replicas=1\nlog-segment-bytes=1024\nlog-retention-bytes=4096\n"
                    "log-retention-check-interval-ms=100\n"};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "gone", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  std::string acked;  // every value acknowledged, in offset order
  auto produce = [&](const std::string& lines, int32_t via) {
    REQUIRE(c.cli({"produce", "--topic", "gone", "--acks", "all"}, lines, via).exit_code == 0);
    acked += lines;
  };
  produce(numbered("a", 0, 50), -1);
  auto leader = c.leaders("gone").at(0);
  REQUIRE(leader >= 4);
  auto follower = others(leader)[0];
  auto other = others(leader)[1];
  auto leader_dir = partition_dir(c, leader, "gone-0");
  auto follower_dir = partition_dir(c, follower, "gone-0");
  // acks=all: the follower has all 50 when it stops.
  REQUIRE(c.terminate(follower) == 0);
  REQUIRE(eventually([&] {
    auto now = isr(c, "gone", leader);
    return now.size() == 3 && now.find(std::to_string(follower)) == std::string::npos;
  }, 20s));
  // Many small batches: the leader rolls 1 KiB segments and deletes all but about 4 KiB.
  for (int round = 0; round < 20 && first_segment_base(leader_dir) <= 50; ++round)
    produce(numbered("b" + std::to_string(round) + "-", 0, 40), leader);
  REQUIRE(eventually([&] { return first_segment_base(leader_dir) > 50; }, 20s));
  c.start(follower);
  // It finds the leader's log start past its log end, restarts its log there, copies the
  // rest and joins the ISR again.
  REQUIRE(eventually([&] { return isr(c, "gone", leader).size() == 5; }, 30s));
  auto node_log = cafka::testing::read_file(c.dir() + "/node-" + std::to_string(follower)
                                            + ".log");
  CHECK(node_log.find("holding nothing of this log (end 50); restarting the log there")
        != std::string::npos);
  produce(numbered("c", 0, 10), leader);
  // Both logs end at the same offset and hold the same batches from the later of their log
  // starts (each replica's retention deletes its own segments).
  REQUIRE(eventually([&] {
    auto l = cafka::segment_bytes(leader_dir);
    auto f = cafka::segment_bytes(follower_dir);
    auto& shorter = l.size() < f.size() ? l : f;
    auto& longer = l.size() < f.size() ? f : l;
    return !shorter.empty() && ends_with(longer, shorter);
  }, 20s));
  // Whatever is retained was acknowledged, and the returned follower alone serves it: the
  // other replicas die, and it is the last ISR member left.
  c.kill9(leader);
  c.kill9(other);
  REQUIRE(eventually([&] {
    auto l = c.leaders("gone", follower);
    return l.count(0) != 0 && l[0] == follower;
  }, 30s));
  auto r = c.cli({"consume", "--topic", "gone", "--from-beginning", "--timeout-ms", "3000"}, {},
                 follower);
  CHECK(!r.out.empty());
  CHECK(ends_with(r.out, numbered("c", 0, 10)));
  CHECK(ends_with("\n" + acked, "\n" + r.out));  // whole records, in order
  // It holds more than what was written after it came back.
  CHECK(r.out.size() > numbered("c", 0, 10).size());
}
