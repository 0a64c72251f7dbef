// The `cafka` CLI against a real node: the tour commands, bad input (one clear line on
// stderr, non-zero exit, nothing written) and `cluster up/down/status` with its pid files.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <sys/wait.h>
#include <unistd.h>

#include "cafka/eventually.hpp"
#include "tests/integration/node_process.hpp"

using cafka::test::eventually;
using cafka::testing::node_process;
using cafka::testing::run;

namespace {

size_t lines_of(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

} // namespace

TEST_CASE("topics create, list, describe and delete", "[integration][cli]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  auto c = node.cli({"topics", "create", "--topic", "orders", "--partitions", "3"});
  REQUIRE(c.exit_code == 0);
  auto d = node.cli({"topics", "describe", "--topic", "orders"});
  REQUIRE(d.exit_code == 0);
  CHECK(d.out.find("Topic: orders\tPartitionCount: 3\tReplicationFactor: 1") != std::string::npos);
  CHECK(d.out.find("Topic: orders\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1")
        != std::string::npos);
  REQUIRE(node.cli({"topics", "list"}).out == "orders\n");
  // Listed by name, not in creation order.
  REQUIRE(node.cli({"topics", "create", "--topic", "apples", "--partitions", "1"}).exit_code
          == 0);
  CHECK(node.cli({"topics", "list"}).out == "apples\norders\n");
  REQUIRE(node.cli({"topics", "delete", "--topic", "apples"}).exit_code == 0);
  auto dup = node.cli({"topics", "create", "--topic", "orders"});
  CHECK(dup.exit_code != 0);
  CHECK(dup.err.find("topic_already_exists") != std::string::npos);
  REQUIRE(node.cli({"topics", "delete", "--topic", "orders"}).exit_code == 0);
  // The controller answers a delete once it is committed and pushes the metadata at most once
  // per tick: right after another change the broker learns of it a moment later (as with
  // Kafka, whose brokers' metadata also follows the controller).
  REQUIRE(eventually([&] { return node.cli({"topics", "list"}).out.empty(); }));
  auto gone = node.cli({"topics", "describe", "--topic", "orders"});
  CHECK(gone.exit_code != 0);
  CHECK(gone.err.find("unknown_topic_or_partition") != std::string::npos);
  // The deleted partitions' directories go once their replicas have stopped, and a stopping
  // replica of a deleted partition saves nothing into them.
  auto leftovers = [&] {
    int n = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(node.dir()))
      n += e.path().filename().string().find("orders") != std::string::npos ? 1 : 0;
    return n;
  };
  CHECK(eventually([&] { return leftovers() == 0; }));
  std::ifstream log_file{node.log()};
  std::string log{std::istreambuf_iterator<char>{log_file}, std::istreambuf_iterator<char>{}};
  CHECK(log.find("topic partition orders-0 deleted") != std::string::npos);
  CHECK(log.find("cannot write the producer snapshot") == std::string::npos);
}

TEST_CASE("bad input gets one clear error line and a non-zero exit", "[integration][cli]") {
  node_process node{"message-max-bytes=2048\n"};
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "small", "--partitions", "1"}).exit_code == 0);

  SECTION("unknown topic") {
    auto p = node.cli({"produce", "--topic", "nope"}, "hello\n");
    CHECK(p.exit_code != 0);
    CHECK(lines_of(p.err) == 1);
    CHECK(p.err.find("unknown_topic_or_partition") != std::string::npos);
    auto c = node.cli({"consume", "--topic", "nope", "--timeout-ms", "100"});
    CHECK(c.exit_code != 0);
    CHECK(c.err.find("unknown_topic_or_partition") != std::string::npos);
  }
  SECTION("replication factor larger than the brokers") {
    auto r = node.cli({"topics", "create", "--topic", "rf", "--replication-factor", "2"});
    CHECK(r.exit_code != 0);
    CHECK(lines_of(r.err) == 1);
    CHECK(r.err.find("replication factor 2 is larger than the number of available brokers")
          != std::string::npos);
  }
  SECTION("invalid topic name") {
    auto r = node.cli({"topics", "create", "--topic", "bad name"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("invalid_topic") != std::string::npos);
  }
  SECTION("oversize record: error, nothing written") {
    std::string big(5000, 'x');
    auto p = node.cli({"produce", "--topic", "small", "--acks", "1"}, big + "\n");
    CHECK(p.exit_code != 0);
    CHECK(p.err.find("message_too_large") != std::string::npos);
    auto c = node.cli({"consume", "--topic", "small", "--from-beginning", "--timeout-ms", "500"});
    CHECK(c.exit_code == 0);
    CHECK(c.out.empty());
  }
  SECTION("bad flags") {
    auto r = node.cli({"topics", "create", "--topic", "x", "--partitions", "zero"});
    CHECK(r.exit_code != 0);
    CHECK(lines_of(r.err) == 1);
    auto a = node.cli({"produce", "--topic", "small", "--acks", "2"}, "x\n");
    CHECK(a.exit_code != 0);
    CHECK(a.err.find("--acks") != std::string::npos);
    auto i = node.cli({"produce", "--topic", "small", "--idempotence", "--acks", "1"}, "x\n");
    CHECK(i.exit_code != 0);
    CHECK(lines_of(i.err) == 1);
    CHECK(i.err.find("--idempotence requires --acks all") != std::string::npos);
    auto u = node.cli({"topics", "list", "--no-such-flag"});
    CHECK(u.exit_code != 0);
  }
  SECTION("the broker is still healthy afterwards") {
    auto p = node.cli({"produce", "--topic", "small"}, "fine\n");
    CHECK(p.exit_code == 0);
    auto c = node.cli({"consume", "--topic", "small", "--from-beginning", "--max-messages", "1",
                       "--timeout-ms", "10000"});
    CHECK(c.out == "fine\n");
  }
}

TEST_CASE("the parser names an unknown command and rejects negative counts and offsets",
          "[integration][cli]") {
  auto bogus = run(CAFKA_BINARY, {"bogus"});
  CHECK(bogus.exit_code == 2);
  CHECK(bogus.err == "cafka: unknown command 'bogus' (see cafka --help)\n");
  auto sub = run(CAFKA_BINARY, {"topics", "bogus"});
  CHECK(sub.exit_code == 2);
  CHECK(sub.err == "cafka: unknown command 'topics bogus' (see cafka --help)\n");
  // Checked before any connection is made: no node runs here.
  for (auto flag : {"--offset", "--partition", "--max-messages", "--timeout-ms"}) {
    auto c = run(CAFKA_BINARY, {"consume", "--topic", "t", flag, "-3"});
    INFO(flag << ": " << c.err);
    CHECK(c.exit_code == 2);
    CHECK(lines_of(c.err) == 1);
    CHECK(c.err.find(std::string{flag} + ": must not be negative, got -3") != std::string::npos);
  }
  auto p = run(CAFKA_BINARY, {"produce", "--topic", "t", "--partition", "-1"}, "x\n");
  CHECK(p.exit_code == 2);
  CHECK(p.err.find("--partition: must not be negative, got -1") != std::string::npos);
}

TEST_CASE("a misspelled section in the config is an error naming it", "[integration][cli]") {
  node_process node{"[default]\nnum-partitions=6\n"};
  auto r = node.cli({"cluster", "status"});
  CHECK(r.exit_code == 1);
  CHECK(lines_of(r.err) == 1);
  CHECK(r.err.find("unknown section [default]") != std::string::npos);
}

TEST_CASE("a malformed config is rejected with one line", "[integration][cli]") {
  auto dir = std::filesystem::temp_directory_path() / "cafka-bad-config";
  std::filesystem::create_directories(dir);
  auto path = (dir / "bad.conf").string();
  std::ofstream{path} << "[cluster]\nnodes=[{id=1, host=\"127.0.0.1\"}]\n";
  auto node = run(CAFKA_BINARY, {"node", "--config", path, "--id", "1"});
  CHECK(node.exit_code != 0);
  CHECK(lines_of(node.err) == 1);
  CHECK(node.err.find("id, host and port are required") != std::string::npos);
  auto missing = run(CAFKA_BINARY, {"topics", "list", "--config", (dir / "none.conf").string()});
  CHECK(missing.exit_code != 0);
  CHECK(missing.err.find("cannot open") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a corrupt segment tail is truncated on restart and earlier records survive",
          "[integration]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "c", "--partitions", "1"}).exit_code == 0);
  std::string lines;
  for (int i = 0; i < 1000; ++i)
    lines += "r" + std::to_string(i) + "\n";
  REQUIRE(node.cli({"produce", "--topic", "c"}, lines).exit_code == 0);
  REQUIRE(node.terminate() == 0);
  auto seg = node.dir() + "/data/node-1/c-0/00000000000000000000.log";
  REQUIRE(std::filesystem::exists(seg));
  {
    std::ofstream out{seg, std::ios::app | std::ios::binary};
    out << std::string(300, '\x5a'); // a torn, garbage tail
  }
  node.start();
  REQUIRE(node.wait_ready());
  auto c = node.cli({"consume", "--topic", "c", "--from-beginning", "--max-messages", "1000",
                     "--timeout-ms", "10000"});
  CHECK(c.exit_code == 0);
  CHECK(lines_of(c.out) == 1000);
  std::ifstream log{node.log()};
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK(text.find("truncated") != std::string::npos);
  // Appends continue after the truncation point.
  REQUIRE(node.cli({"produce", "--topic", "c"}, "after\n").exit_code == 0);
  auto c2 = node.cli({"consume", "--topic", "c", "--partition", "0", "--offset", "1000",
                      "--max-messages", "1", "--timeout-ms", "10000"});
  CHECK(c2.out == "after\n");
}

TEST_CASE("a partition corrupt mid-log refuses to open, the node serves its other partitions",
          "[integration]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  for (auto topic : {"good", "bad"})
    REQUIRE(node.cli({"topics", "create", "--topic", topic, "--partitions", "1"}).exit_code
            == 0);
  std::string lines;
  for (int i = 0; i < 100; ++i)
    lines += "r" + std::to_string(i) + "\n";
  REQUIRE(node.cli({"produce", "--topic", "bad"}, lines).exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "bad"}, "later\n").exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "good"}, "g1\n").exit_code == 0);
  REQUIRE(node.terminate() == 0);
  auto part = node.dir() + "/data/node-1/bad-0";
  auto seg = part + "/00000000000000000000.log";
  auto bytes = cafka::testing::read_file(seg);
  REQUIRE(bytes.size() > 200);
  bytes[100] ^= 0x01;  // inside the records of the first batch; the second stays whole
  std::ofstream{seg, std::ios::binary | std::ios::trunc} << bytes;
  // A clean stop leaves a recovery point after which nothing is checked at open: without it
  // (lost, or never written) the open checks every batch.
  REQUIRE(std::filesystem::remove(part + "/recovery-point-checkpoint"));
  node.start();
  REQUIRE(node.wait_ready());
  auto logged = [&] { return cafka::testing::read_file(node.log()); };
  auto line = "cannot open log in " + part + ": corrupt_message: " + seg
              + ": corrupt batch at position 0 (offset 0): ";
  REQUIRE(eventually([&] { return logged().find(line) != std::string::npos; }));
  CHECK(logged().find("a valid batch follows at position") != std::string::npos);
  // The other partition serves reads and writes.
  REQUIRE(node.cli({"produce", "--topic", "good"}, "g2\n").exit_code == 0);
  auto c = node.cli({"consume", "--topic", "good", "--from-beginning", "--max-messages", "2",
                     "--timeout-ms", "10000"});
  CHECK(c.exit_code == 0);
  CHECK(c.out == "g1\ng2\n");
  // The damaged one serves nothing and is left as it was.
  auto b = node.cli({"consume", "--topic", "bad", "--from-beginning", "--max-messages", "1",
                     "--timeout-ms", "2000"});
  CHECK(b.out.empty());
  CHECK(cafka::testing::read_file(seg) == bytes);
}

TEST_CASE("a Raft log damaged mid-file stops the quorum member with one line, file untouched",
          "[integration]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "t", "--partitions", "1"}).exit_code == 0);
  REQUIRE(node.terminate() == 0);
  auto path = node.dir() + "/data/node-1/__cluster_metadata/log";
  auto bytes = cafka::testing::read_file(path);
  REQUIRE(bytes.size() > 100);  // the header and several records
  bytes[6 + 8 + 3] ^= 0x01;     // the term of the first record: its CRC fails
  std::ofstream{path, std::ios::binary | std::ios::trunc} << bytes;
  node.start();
  auto line = "corrupt " + path + ": bad record at position 6 (after entry 0): CRC mismatch; "
              "a valid record follows at position ";
  auto logged = [&](const std::string& what) {
    return eventually(
      [&] { return cafka::testing::read_file(node.log()).find(what) != std::string::npos; });
  };
  REQUIRE(logged(line));
  REQUIRE(logged("the controller actor died unexpectedly"));
  CHECK(cafka::testing::read_file(path) == bytes);
  // The node stops its broker too and exits with code 1, also when this SIGTERM arrives
  // while the broker is still stopping.
  CHECK(node.terminate() == 1);
}

TEST_CASE("the examples run against a real node", "[integration][examples]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "example", "--partitions", "3"}).exit_code
          == 0);
  auto dir = std::string{CAFKA_EXAMPLES_DIR};
  auto p = run(dir + "/producer", {"--bootstrap", node.bootstrap(), "example", "1000"});
  CHECK(p.exit_code == 0);
  CHECK(p.out.find("delivered 1000 records, 0 failed") != std::string::npos);
  auto c = run(dir + "/actor_consumer", {"--bootstrap", node.bootstrap(), "example", "1000"},
               {}, std::chrono::seconds{60});
  CHECK(c.exit_code == 0);
  CHECK(c.out.find("consumed 1000 records") != std::string::npos);
}

TEST_CASE("cluster up, status and down manage the local nodes of a config",
          "[integration][cli]") {
  node_process node; // used only for its config, data dir and port; never started itself
  auto up = node.cli({"cluster", "up"});
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  CHECK(up.out.find("node 1 up on " + node.bootstrap()) != std::string::npos);
  auto status = node.cli({"cluster", "status"});
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("status: up") != std::string::npos);
  auto again = node.cli({"cluster", "up"});
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("already running") != std::string::npos);
  auto down = node.cli({"cluster", "down"});
  CHECK(down.exit_code == 0);
  CHECK(down.out.find("node 1 stopped") != std::string::npos);
  auto after = node.cli({"cluster", "status"});
  CHECK(after.exit_code != 0);
  CHECK(after.out.find("status: down") != std::string::npos);
}

namespace {

// A `sleep 600` child standing in for a program that got a dead node's pid; ended (and
// reaped) by the destructor.
struct other_program {
  pid_t pid = -1;

  other_program() {
    pid = ::fork();
    if (pid == 0) {
      ::execl("/bin/sleep", "sleep", "600", static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~other_program() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  // Not signalled: still running and not yet reaped.
  bool alive() const { return ::waitpid(pid, nullptr, WNOHANG) == 0; }
};

std::string read_text(const std::string& path) {
  std::ifstream in{path};
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

} // namespace

TEST_CASE("cluster up, down and status do not take a pid file's pid of another program for "
          "the node",
          "[integration][cli]") {
  node_process node; // its config and data dir; the node runs only through `cluster up`
  other_program sleeper;
  REQUIRE(sleeper.pid > 0);
  auto data = node.dir() + "/data";
  auto pid_file = data + "/node-1.pid";
  std::filesystem::create_directories(data);
  std::ofstream{pid_file} << sleeper.pid << "\n";
  auto sleeper_pid = "(pid " + std::to_string(sleeper.pid) + ")";

  auto status = node.cli({"cluster", "status"});
  CHECK(status.out.find("status: down") != std::string::npos);
  CHECK(status.out.find(sleeper_pid) == std::string::npos);
  auto down = node.cli({"cluster", "down", "--timeout-ms", "2000"});
  CHECK(down.exit_code == 0);
  CHECK(down.out.find("node 1 is not running") != std::string::npos);
  CHECK(sleeper.alive());

  // Another program under the pid (the first may have been signalled without the fix).
  other_program second;
  REQUIRE(second.pid > 0);
  std::ofstream{pid_file} << second.pid << "\n";
  auto up = node.cli({"cluster", "up"});
  INFO(up.out << up.err);
  REQUIRE(up.exit_code == 0);
  CHECK(up.out.find("node 1 up on " + node.bootstrap()) != std::string::npos);
  auto node_pid = read_text(pid_file);
  REQUIRE(node_pid != std::to_string(second.pid) + "\n");
  // A running node whose pid file names another program: up, but not with that pid.
  std::ofstream{pid_file} << second.pid << "\n";
  auto wrong = node.cli({"cluster", "status"});
  std::ofstream{pid_file} << node_pid;
  CHECK(wrong.out.find("status: up") != std::string::npos);
  CHECK(wrong.out.find("(pid " + std::to_string(second.pid) + ")") == std::string::npos);
  auto stop = node.cli({"cluster", "down"});
  CHECK(stop.exit_code == 0);
  CHECK(stop.out.find("node 1 stopped") != std::string::npos);
  CHECK(sleeper.alive());
  CHECK(second.alive());
}

TEST_CASE("cluster up does not record a node that could not lock its directory as up",
          "[integration][cli]") {
  node_process node; // runs node 1 itself, holding the directory's lock
  node.start();
  REQUIRE(node.wait_ready());
  auto up = node.cli({"cluster", "up", "--timeout-ms", "10000"});
  INFO(up.out << up.err);
  CHECK(up.exit_code == 1);
  CHECK(up.out.find("node 1 up") == std::string::npos);
  CHECK(up.err.find("node 1 did not start; see ") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(node.dir() + "/data/node-1.pid"));
  auto log = read_text(node.dir() + "/data/node-1.log");
  CHECK(log.find("another cafka node already uses") != std::string::npos);
}
