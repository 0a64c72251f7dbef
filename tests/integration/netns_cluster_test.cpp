// Several hosts in one machine: each node in its own network namespace with its own address
// (10.77.0.1-3 on a bridge the test creates), the client in a fourth, all on mutual TLS from
// `cafka tls init`. `cluster up` in each namespace starts exactly that namespace's node (it
// knows its node by the interface address), a leader's SIGKILL and restart lose nothing.
// Needs root and iproute2; the namespaces and the bridge are removed at the end.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "cafka/eventually.hpp"
#include "tests/integration/background_process.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/temp_dir.hpp"

using cafka::test::eventually;
using cafka::testing::background_process;
using cafka::testing::command_result;
using cafka::testing::numbered_lines;
using cafka::testing::read_file;
using cafka::testing::run;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// iproute2's `ip` (run() takes a path, not a name to look up).
const std::string& ip_binary() {
  static const std::string path = [] {
    for (const char* p : {"/usr/bin/ip", "/bin/ip", "/usr/sbin/ip", "/sbin/ip"})
      if (::access(p, X_OK) == 0)
        return std::string{p};
    return std::string{"/usr/bin/ip"};
  }();
  return path;
}

// Four namespaces on one bridge: host i (1-4) is 10.77.0.i. Names carry the test's pid so
// that parallel runs do not collide; everything is removed by the destructor.
class netns_lab {
public:
  netns_lab() : tag_("ck" + std::to_string(::getpid() % 100000)) {}

  ~netns_lab() {
    for (int i = 1; i <= hosts; ++i)
      run(ip_binary(), {"netns", "del", ns(i)});
    run(ip_binary(), {"link", "del", tag_ + "br"});
  }

  // Creates the bridge and the namespaces; the first failing command's output, or "".
  std::string setup() {
    std::vector<std::vector<std::string>> cmds{
      {"link", "add", tag_ + "br", "type", "bridge"}, {"link", "set", tag_ + "br", "up"}};
    for (int i = 1; i <= hosts; ++i) {
      auto host_end = tag_ + "h" + std::to_string(i);
      auto ns_end = tag_ + "v" + std::to_string(i);
      auto addr = address(i) + "/24";
      cmds.push_back({"netns", "add", ns(i)});
      cmds.push_back({"link", "add", host_end, "type", "veth", "peer", "name", ns_end});
      cmds.push_back({"link", "set", ns_end, "netns", ns(i)});
      cmds.push_back({"link", "set", host_end, "master", tag_ + "br", "up"});
      cmds.push_back({"netns", "exec", ns(i), "ip", "addr", "add", addr, "dev", ns_end});
      cmds.push_back({"netns", "exec", ns(i), "ip", "link", "set", ns_end, "up"});
      cmds.push_back({"netns", "exec", ns(i), "ip", "link", "set", "lo", "up"});
    }
    for (auto& c : cmds) {
      auto r = run(ip_binary(), c);
      if (r.exit_code != 0)
        return "ip " + c[0] + " " + c[1] + " ...: " + r.err;
    }
    return {};
  }

  std::string ns(int i) const { return tag_ + "n" + std::to_string(i); }
  static std::string address(int i) { return "10.77.0." + std::to_string(i); }

  // `cafka <args>` inside host i's namespace.
  command_result cafka(int i, std::vector<std::string> args, const std::string& input = {}) {
    std::vector<std::string> full{"netns", "exec", ns(i), CAFKA_BINARY};
    full.insert(full.end(), args.begin(), args.end());
    return run(ip_binary(), full, input);
  }

  static constexpr int hosts = 4;

private:
  std::string tag_;
};

pid_t node_pid(const std::string& dir, int id) {
  std::ifstream in{dir + "/data/node-" + std::to_string(id) + ".pid"};
  pid_t pid = -1;
  in >> pid;
  return pid;
}

// The leader of partition 0 per `topics describe` from the client's host; -1 if none.
int leader_of(netns_lab& lab, const std::string& conf, const std::string& topic) {
  auto r = lab.cafka(4, {"topics", "describe", "--topic", topic, "--config", conf});
  auto l = r.out.find("Leader: ");
  if (r.exit_code != 0 || l == std::string::npos || r.out.compare(l + 8, 4, "none") == 0)
    return -1;
  return std::stoi(r.out.substr(l + 8));
}

// Ends every node whose pid file names a live process (SIGKILL), whatever the test did.
struct nodes_killer {
  std::string dir;
  ~nodes_killer() {
    for (int id = 1; id <= 3; ++id)
      if (auto pid = node_pid(dir, id); pid > 0)
        ::kill(pid, SIGKILL);
  }
};

} // namespace

TEST_CASE("three nodes on three hosts (network namespaces) with TLS and a client on a fourth",
          "[integration][netns][tls]") {
  REQUIRE(::geteuid() == 0);  // network namespaces need root, as the README's test command has
  netns_lab lab;
  auto err = lab.setup();
  INFO(err);
  REQUIRE(err.empty());
  cafka::test::temp_dir dir;
  auto conf = dir.path().string() + "/cluster.conf";
  {
    std::ofstream out{conf};
    out << "[cluster]\nnodes=[";
    for (int id = 1; id <= 3; ++id)
      out << (id > 1 ? ",\n       " : "") << "{id=" << id << ", host=\"" << netns_lab::address(id)
          << "\", port=9101, roles=[\"controller\", \"broker\"]}";
    out << "]\ndata-dir=\"data\"\n\n[defaults]\nmin-insync-replicas=2\n";
  }
  REQUIRE(run(CAFKA_BINARY, {"tls", "init", "--config", conf}).exit_code == 0);
  nodes_killer killer{dir.path().string()};
  // `cluster up` on each host starts that host's node only; the three run at once (a broker
  // registers once a majority of the quorum runs).
  std::vector<std::unique_ptr<background_process>> ups;
  for (int id = 1; id <= 3; ++id)
    ups.push_back(std::make_unique<background_process>(
      ip_binary(), std::vector<std::string>{"netns", "exec", lab.ns(id), CAFKA_BINARY, "cluster",
                                     "up", "--config", conf}));
  for (int id = 1; id <= 3; ++id) {
    auto& up = *ups[id - 1];
    INFO(up.out() << up.err());
    REQUIRE(up.wait(60s) == 0);
    CHECK(contains(up.out(), "node " + std::to_string(id) + " up on " + netns_lab::address(id)));
    for (int other = 1; other <= 3; ++other)
      if (other != id)
        CHECK_FALSE(contains(up.out(), "node " + std::to_string(other) + " "));
  }
  // The client host has no node: its `cluster up` starts nothing.
  auto none = lab.cafka(4, {"cluster", "up", "--config", conf});
  CHECK_FALSE(contains(none.out, " up on "));

  REQUIRE(lab.cafka(4, {"topics", "create", "--topic", "hosts", "--partitions", "1",
                        "--replication-factor", "3", "--config", conf})
            .exit_code
          == 0);
  auto p = lab.cafka(4, {"produce", "--topic", "hosts", "--acks", "all", "--config", conf},
                     numbered_lines(1, 100));
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  int leader = -1;
  REQUIRE(eventually([&] { return (leader = leader_of(lab, conf, "hosts")) > 0; }, 15s));
  auto pid = node_pid(dir.path().string(), leader);
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  REQUIRE(eventually([&] {
    auto now = leader_of(lab, conf, "hosts");
    return now > 0 && now != leader;
  }, 20s));
  p = lab.cafka(4, {"produce", "--topic", "hosts", "--acks", "all", "--config", conf},
                numbered_lines(101, 200));
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  auto again = lab.cafka(leader, {"cluster", "up", "--config", conf});
  INFO(again.out << again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(contains(again.out, "node " + std::to_string(leader) + " up on "));
  auto c = lab.cafka(4, {"consume", "--topic", "hosts", "--from-beginning", "--max-messages",
                         "200", "--timeout-ms", "20000", "--config", conf});
  CHECK(c.exit_code == 0);
  CHECK(c.out == numbered_lines(1, 200));
  for (int id = 1; id <= 3; ++id) {
    auto down = lab.cafka(id, {"cluster", "down", "--config", conf});
    CHECK(down.exit_code == 0);
  }
}
