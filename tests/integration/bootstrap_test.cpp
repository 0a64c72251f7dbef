// Bootstrap lists as Kafka's bootstrap.servers: with node 1 down, the CLI, its producer and
// consumer and the producer example find the cluster through the other brokers of
// cluster.conf, and an explicit --bootstrap-server list is tried in turn past a dead entry.
#include <catch2/catch.hpp>

#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::node_spec;
using namespace std::chrono_literals;

TEST_CASE("with node 1 down the CLI, its producer and consumer reach the cluster through the "
          "other brokers, by default and through a --bootstrap-server list",
          "[integration][cli]") {
  cluster_process c{{{1, true, true}, {2, true, true}, {3, true, true}}};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "b", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  c.kill9(1);
  // Without a flag: every broker of cluster.conf, node 1's first.
  REQUIRE(eventually([&] { return c.cli({"topics", "list"}).out == "b\n"; }, 30s));
  // The partition's leadership has left node 1 (a new controller is elected within 2 s and
  // fences it).
  REQUIRE(eventually([&] {
    auto l = c.leaders("b");
    return l.count(0) != 0 && l[0] > 1;
  }, 30s));
  auto produced = c.cli({"produce", "--topic", "b"}, "one\ntwo\n");
  INFO(produced.err);
  CHECK(produced.exit_code == 0);
  auto consumed = c.cli({"consume", "--topic", "b", "--from-beginning", "--max-messages", "2"});
  INFO(consumed.err);
  CHECK(consumed.exit_code == 0);
  CHECK(consumed.out == "one\ntwo\n");
  // The producer example: every broker of the config it is given, node 1's first.
  auto example = cafka::testing::run(std::string{CAFKA_EXAMPLES_DIR} + "/producer",
                                     {"--config", c.config(), "b", "10"});
  INFO(example.err);
  CHECK(example.exit_code == 0);
  CHECK(example.out.find("delivered 10 records, 0 failed") != std::string::npos);
  // An explicit list: the dead entry first, then a live one.
  auto listed = c.cli({"topics", "list", "--bootstrap-server",
                       c.address(1) + "," + c.address(3)});
  INFO(listed.err);
  CHECK(listed.exit_code == 0);
  CHECK(listed.out == "b\n");
  // Only dead entries: one clear error.
  auto dead = c.cli({"topics", "list", "--bootstrap-server", c.address(1)});
  CHECK(dead.exit_code != 0);
  INFO(dead.err);
  CHECK(dead.err.find("cafka: ") == 0);
  CHECK(dead.err.find("broker_not_available: cannot connect to " + c.address(1))
        != std::string::npos);
  auto bad = c.cli({"topics", "list", "--bootstrap-server", c.address(2) + ",nope"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("bootstrap server 'nope'") != std::string::npos);
}
