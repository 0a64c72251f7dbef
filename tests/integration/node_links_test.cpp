// Links between real `cafka node` processes: of two nodes only the one with the lower id
// opens the TCP connection (CAF 0.17 can lose one direction of a link that both sides opened
// at once), also after restarts and a hang, and the cluster works over those links.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using namespace std::chrono_literals;

namespace {

// The inodes of the sockets process pid holds.
std::set<uint64_t> socket_inodes(pid_t pid) {
  std::set<uint64_t> out;
  std::error_code ec;
  auto dir = "/proc/" + std::to_string(pid) + "/fd";
  for (auto& e : std::filesystem::directory_iterator{dir, ec}) {
    auto target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0)
      out.insert(std::stoull(target.substr(8, target.size() - 9)));
  }
  return out;
}

// Established IPv4 TCP connections: (socket inode, remote port).
std::vector<std::pair<uint64_t, uint16_t>> established() {
  std::vector<std::pair<uint64_t, uint16_t>> out;
  std::ifstream in{"/proc/net/tcp"};
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream ls{line};
    std::string sl, local, remote, st, queues, timer, retr, uid, timeout;
    uint64_t inode = 0;
    if (!(ls >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >> inode))
      continue;
    if (st != "01")
      continue;  // not ESTABLISHED
    auto port = static_cast<uint16_t>(std::stoul(remote.substr(remote.find(':') + 1), nullptr, 16));
    out.emplace_back(inode, port);
  }
  return out;
}

// (from, to) for every connection node `from` opened to node `to`'s listening port.
std::set<std::pair<int32_t, int32_t>> dialled(const cluster_process& c,
                                             const std::vector<int32_t>& ids) {
  std::map<uint16_t, int32_t> by_port;
  for (auto id : ids)
    by_port[c.port(id)] = id;
  auto conns = established();
  std::set<std::pair<int32_t, int32_t>> out;
  for (auto from : ids) {
    if (c.pid(from) == 0)
      continue;
    auto mine = socket_inodes(c.pid(from));
    for (auto& [inode, port] : conns) {
      auto to = by_port.find(port);
      if (mine.count(inode) > 0 && to != by_port.end() && to->second != from)
        out.emplace(from, to->second);
    }
  }
  return out;
}

} // namespace

TEST_CASE("of two nodes only the lower id opens the connection, also after restarts and a "
          "hang, and the cluster works over those links",
          "[integration][cluster]") {
  // Node 4 is a broker only: every pair is linked, not just the quorum's.
  cluster_process c{{{1, true, true}, {2, true, true}, {3, true, true}, {4, false, true}},
                    "min-insync-replicas=2\n"};
  std::vector<int32_t> ids{1, 2, 3, 4};
  std::set<std::pair<int32_t, int32_t>> mesh;
  for (auto a : ids)
    for (auto b : ids)
      if (a < b)
        mesh.emplace(a, b);
  std::set<std::pair<int32_t, int32_t>> seen;
  auto links_are_the_mesh = [&] {
    seen = dialled(c, ids);
    for (auto& [from, to] : seen) {
      INFO("node " << from << " opened a connection to node " << to);
      REQUIRE(from < to);
    }
    return seen == mesh;
  };
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(4); }, 30s));
  CHECK(eventually(links_are_the_mesh, 20s));
  REQUIRE(c.cli({"topics", "create", "--topic", "l", "--partitions", "4",
                 "--replication-factor", "3"})
            .exit_code
          == 0);

  // The lowest and the highest node restart, the middle one hangs past the connection
  // timeout (2 s): each time the links come back the same way.
  auto answers = [&](int32_t via) {
    return eventually([&] {
      return c.cli({"topics", "describe", "--topic", "l"}, {}, via).exit_code == 0;
    }, 30s);
  };
  for (int32_t victim : {1, 4}) {
    c.kill9(victim);
    c.start(victim);
    REQUIRE(answers(victim));
    CHECK(eventually(links_are_the_mesh, 20s));
  }
  c.stop(2);
  // Node 3 drops the hung node's connection after the timeout (node 2's end is then no
  // longer established, and node 2 cannot dial again while it hangs).
  CHECK(eventually([&] { return dialled(c, ids).count({2, 3}) == 0; }, 20s));
  c.resume(2);
  REQUIRE(answers(2));
  CHECK(eventually(links_are_the_mesh, 20s));
  REQUIRE(eventually([&] { return c.brokers_alive(4); }, 30s));

  // Every broker, the broker-only one included, takes writes for every partition and reads
  // them back.
  std::string input;
  for (int i = 0; i < 40; ++i)
    input += "r" + std::to_string(i) + "\n";
  auto p = c.cli({"produce", "--topic", "l", "--acks", "all", "--idempotence",
                  "--delivery-timeout-ms", "30000"},
                 input, 4);
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  auto r = c.cli({"consume", "--topic", "l", "--from-beginning", "--max-messages", "40",
                  "--timeout-ms", "10000"},
                 {}, 1);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 40);
}
