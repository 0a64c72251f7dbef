// The producer against real `cafka node` processes: keyless records avoid partitions without
// a leader.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/protocol/murmur2.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::testing::cluster_process;
using namespace std::chrono_literals;

namespace {

std::string numbers(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i)
    out += std::to_string(i) + "\n";
  return out;
}

// A 3-node cluster with an RF 1 topic of 3 partitions whose partition 0 lost its leader:
// its broker's node was killed. `via` is a node that is still up.
struct leaderless_partition {
  cluster_process c{cafka::testing::combined_nodes(3)};
  int32_t victim = -1;
  int32_t via = -1;

  explicit leaderless_partition(const std::string& topic) {
    c.start_all();
    REQUIRE(cluster_process::eventually([&] { return c.brokers_alive(3); }, 30s));
    REQUIRE(c.cli({"topics", "create", "--topic", topic, "--partitions", "3",
                   "--replication-factor", "1"})
              .exit_code
            == 0);
    std::map<int32_t, int32_t> leaders;
    REQUIRE(cluster_process::eventually([&] {
      leaders = c.leaders(topic);
      return leaders.size() == 3 && leaders.count(-1) == 0;
    }, 30s));
    victim = leaders.at(0);
    via = victim % 3 + 1;
    c.kill9(victim);
    REQUIRE(cluster_process::eventually([&] {
      auto now = c.leaders(topic, via);
      return now.size() == 3 && now.at(0) == -1;
    }, 30s));
  }
};

} // namespace

TEST_CASE("keyless records go only to partitions with a leader",
          "[integration][producer]") {
  leaderless_partition lp{"t"};
  auto& c = lp.c;
  // A short delivery timeout: a record sent to the leaderless partition fails quickly.
  auto p = c.cli({"produce", "--topic", "t", "--delivery-timeout-ms", "3000"},
                 numbers(1, 30000), lp.via);
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  CHECK(p.err.empty());

  auto r = c.cli({"consume", "--topic", "t", "--from-beginning", "--max-messages", "30000",
                  "--timeout-ms", "20000"},
                 {}, lp.via);
  std::istringstream in{r.out};
  std::set<int> got;
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    got.insert(std::stoi(line));
  }
  CHECK(lines == 30000);
  REQUIRE(got.size() == 30000);
  CHECK(*got.begin() == 1);
  CHECK(*got.rbegin() == 30000);

  // Keyed records keep their partition: a key of partition 0 is not moved, and fails.
  std::string key;
  for (int i = 0; key.empty(); ++i)
    if (cafka::partition_for_key("k" + std::to_string(i), 3) == 0)
      key = "k" + std::to_string(i);
  auto keyed = c.cli({"produce", "--topic", "t", "--key-separator", ":",
                      "--delivery-timeout-ms", "1000"},
                     key + ":v\n", lp.via);
  CHECK(keyed.exit_code != 0);
  CHECK(keyed.err.find("1 of 1 record(s) were not acknowledged") != std::string::npos);
}
