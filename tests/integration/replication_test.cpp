// Replication across real `cafka node` processes: RF 3 partitions survive losing leaders one
// after another and a full restart, acks=all refuses to write below min.insync.replicas,
// and a hung old leader comes back as a follower with the new leader's log.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/messages.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::testing::cluster_process;
using cafka::testing::node_spec;
using namespace std::chrono_literals;

namespace {

// Coordinators on nodes 1-3 and brokers on nodes 4-6: losing brokers never costs the
// metadata quorum its majority.
std::vector<node_spec> split_roles() {
  return {{1, true, false}, {2, true, false}, {3, true, false},
          {4, false, true}, {5, false, true}, {6, false, true}};
}

bool all_alive(const cluster_process& c, int expected) {
  auto r = c.cli({"cluster", "status"});
  size_t n = 0;
  for (size_t pos = 0; (pos = r.out.find("\talive\t", pos)) != std::string::npos; ++pos)
    ++n;
  return static_cast<int>(n) == expected;
}

// "Isr: 1,2,3" of partition 0 from `topics describe` through node `via`, or "".
std::string isr(const cluster_process& c, const std::string& topic, int32_t via) {
  auto r = c.cli({"topics", "describe", "--topic", topic}, {}, via);
  auto pos = r.out.find("Isr: ");
  if (pos == std::string::npos)
    return {};
  auto end = r.out.find_first_of("\t\n", pos);
  return r.out.substr(pos + 5, end == std::string::npos ? std::string::npos : end - pos - 5);
}

std::string numbered(const std::string& prefix, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += prefix + std::to_string(i) + "\n";
  return out;
}

// Waits until partition 0 of `topic` has a leader other than `old` (seen through `via`).
int32_t next_leader(const cluster_process& c, const std::string& topic, int32_t old,
                    int32_t via) {
  int32_t now = -1;
  cluster_process::eventually([&] {
    auto l = c.leaders(topic, via);
    now = l.count(0) != 0 ? l[0] : -1;
    return now != -1 && now != old;
  }, 20s);
  return now;
}

std::string log_bytes(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".log")
      files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::string out;
  for (auto& f : files) {
    std::ifstream in{f, std::ios::binary};
    out.append(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
  }
  return out;
}

} // namespace

TEST_CASE("RF 3 survives two leader failures in a row and a full restart",
          "[integration][replication]") {
  cluster_process c{split_roles(), "min-insync-replicas=1\n"};
  c.start_all();
  REQUIRE(cluster_process::eventually([&] { return all_alive(c, 3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "twice", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  REQUIRE(c.cli({"produce", "--topic", "twice", "--acks", "all"}, numbered("a", 100))
            .exit_code
          == 0);
  auto first = c.leaders("twice")[0];
  REQUIRE(first > 0);
  c.kill9(first);
  auto via = first == 4 ? 5 : 4;
  auto second = next_leader(c, "twice", first, via);
  REQUIRE(second > 0);
  REQUIRE(c.cli({"produce", "--topic", "twice", "--acks", "all"}, numbered("b", 100), via)
            .exit_code
          == 0);
  c.kill9(second);
  auto third = 15 - first - second;
  REQUIRE(next_leader(c, "twice", second, third) == third);
  REQUIRE(c.cli({"produce", "--topic", "twice", "--acks", "all"}, numbered("c", 100), third)
            .exit_code
          == 0);
  // Everything acknowledged so far survives a restart of the whole cluster.
  c.kill9(third);
  for (auto b : {first, second, third})
    c.start(b);
  REQUIRE(cluster_process::eventually([&] { return all_alive(c, 3); }, 30s));
  auto r = c.cli({"consume", "--topic", "twice", "--from-beginning", "--max-messages", "300",
                  "--timeout-ms", "20000"});
  CHECK(r.out == numbered("a", 100) + numbered("b", 100) + numbered("c", 100));
}

TEST_CASE("acks=all below min.insync.replicas is refused and writes nothing",
          "[integration][replication]") {
  cluster_process c{split_roles(), "min-insync-replicas=2\n"};
  c.start_all();
  REQUIRE(cluster_process::eventually([&] { return all_alive(c, 3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "strict", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  auto leader = c.leaders("strict")[0];
  REQUIRE(leader > 0);
  for (int32_t n = 4; n <= 6; ++n)
    if (n != leader)
      c.kill9(n);
  // The controller drops the dead followers from the ISR.
  REQUIRE(cluster_process::eventually(
    [&] { return isr(c, "strict", leader) == std::to_string(leader); }, 20s));
  auto p = c.cli({"produce", "--topic", "strict", "--acks", "all"}, "refused\n", leader);
  CHECK(p.exit_code == 1);
  CHECK(p.err.find("not_enough_replicas") != std::string::npos);
  auto r = c.cli({"consume", "--topic", "strict", "--from-beginning", "--timeout-ms", "1500"},
                 {}, leader);
  CHECK(r.out.empty());
}

TEST_CASE("a hung old leader takes no writes and rejoins as a follower with the new log",
          "[integration][replication]") {
  cluster_process c{split_roles(), "min-insync-replicas=2\n"};
  c.start_all();
  REQUIRE(cluster_process::eventually([&] { return all_alive(c, 3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "hang", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  REQUIRE(c.cli({"produce", "--topic", "hang", "--acks", "all"}, numbered("a", 100))
            .exit_code
          == 0);
  auto old = c.leaders("hang")[0];
  REQUIRE(old > 0);
  auto via = old == 4 ? 5 : 4;
  // A client that still talks to the old leader's broker directly.
  caf::actor_system_config cfg;
  cafka::register_types(cfg);
  cfg.load<caf::io::middleman>();
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};
  auto addr = c.address(old);
  auto node = sys.middleman().remote_actor<cafka::node_actor>(
    "127.0.0.1", static_cast<uint16_t>(std::stoi(addr.substr(addr.find(':') + 1))));
  REQUIRE(node);
  cafka::broker_actor stale_broker;
  {
    caf::scoped_actor self{sys};
    self->request(*node, 5s, cafka::broker_atom::value)
      .receive([&](cafka::broker_actor& b) { stale_broker = b; }, [](caf::error&) {});
  }
  REQUIRE(stale_broker);

  c.stop(old);
  auto now = next_leader(c, "hang", old, via);
  REQUIRE(now > 0);
  REQUIRE(c.cli({"produce", "--topic", "hang", "--acks", "all"}, numbered("b", 100), via)
            .exit_code
          == 0);
  // A write sent to the hung leader, processed when it wakes up: it must not succeed.
  cafka::batch_builder bb;
  bb.append(1, std::nullopt, std::string_view{"stale"});
  cafka::produce_request req;
  req.tp = {"hang", cafka::partition_id{0}};
  req.acks = -1;
  req.timeout_ms = 5000;
  req.batch = bb.finish();
  caf::scoped_actor client{sys};
  auto pending = client->request(stale_broker, 20s, cafka::produce_atom::value, req);
  c.resume(old);
  bool stale_acked = false;
  pending.receive([&](cafka::produce_response&) { stale_acked = true; },
                  [&](caf::error&) {});
  CHECK_FALSE(stale_acked);
  // It follows the new leader, drops whatever it appended on its own, and is back in the ISR.
  CHECK(cluster_process::eventually([&] { return isr(c, "hang", via).size() == 5; }, 30s));
  auto dir = c.dir() + "/data/node-";
  auto suffix = "/hang-0";
  CHECK(cluster_process::eventually([&] {
    return log_bytes(dir + std::to_string(old) + suffix)
           == log_bytes(dir + std::to_string(now) + suffix);
  }, 20s));
  auto r = c.cli({"consume", "--topic", "hang", "--from-beginning", "--max-messages", "200",
                  "--timeout-ms", "20000"},
                 {}, via);
  CHECK(r.out == numbered("a", 100) + numbered("b", 100));
}
