// cluster_bootstrap and bootstrap_from_args (cafka/admin.hpp): the bootstrap list of every
// broker of a cluster.conf, and the one a program's --bootstrap / --config options name; the
// clients' default list is the brokers of the repository's cluster.conf. Test thread only.
#include <catch2/catch.hpp>

#include "cafka/admin.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/client/client_config.hpp"
#include "tests/runtime/config_test_util.hpp"

using cafka::test::config_dir;

namespace {

const std::string three_nodes
  = "[cluster]\n"
    "nodes=[{id=1, host=\"127.0.0.1\", port=9201, roles=[\"broker\"]},\n"
    "       {id=2, host=\"127.0.0.1\", port=9202, roles=[\"controller\"]},\n"
    "       {id=3, host=\"10.0.0.3\", port=9203, roles=[\"broker\"]}]\n";

} // namespace

TEST_CASE("cluster_bootstrap lists every broker of a cluster.conf in node order",
          "[admin][bootstrap]") {
  config_dir dir;
  auto list = cafka::cluster_bootstrap(dir.write(three_nodes));
  REQUIRE(list);
  CHECK(*list == "127.0.0.1:9201,10.0.0.3:9203");
  auto missing = cafka::cluster_bootstrap(dir.path().string() + "/nope.conf");
  REQUIRE_FALSE(missing);
  CHECK(cafka::errc_of(missing.error()) == cafka::errc::invalid_config);
  auto no_broker = cafka::cluster_bootstrap(dir.write(
    "[cluster]\nnodes=[{id=1, host=\"127.0.0.1\", port=9201, roles=[\"controller\"]}]\n",
    "controllers.conf"));
  REQUIRE_FALSE(no_broker);
  CHECK(cafka::errc_of(no_broker.error()) == cafka::errc::invalid_config);
  CHECK_THAT(cafka::describe(no_broker.error()),
             Catch::Matchers::Contains("[cluster] no node has the \"broker\" role"));
}

TEST_CASE("the clients' default bootstrap list is every broker of the repository's "
          "cluster.conf",
          "[admin][bootstrap]") {
  auto list = cafka::cluster_bootstrap(std::string{CAFKA_SOURCE_DIR} + "/cluster.conf");
  REQUIRE(list);
  CHECK(*list == cafka::default_bootstrap);
  CHECK(cafka::producer_config{}.bootstrap == *list);
  CHECK(cafka::consumer_config{}.bootstrap == *list);
}

TEST_CASE("bootstrap_from_args takes --bootstrap or --config out of a command line",
          "[admin][bootstrap]") {
  config_dir dir;
  auto conf = dir.write(three_nodes);
  SECTION("a --bootstrap list is used as given") {
    std::vector<std::string> args{"topic", "--bootstrap", "h1:1,h2:2", "10"};
    auto list = cafka::bootstrap_from_args(args);
    REQUIRE(list);
    CHECK(*list == "h1:1,h2:2");
    CHECK(args == std::vector<std::string>{"topic", "10"});
  }
  SECTION("--config names the file whose brokers are the list") {
    std::vector<std::string> args{"--config", conf, "topic"};
    auto list = cafka::bootstrap_from_args(args);
    REQUIRE(list);
    CHECK(*list == "127.0.0.1:9201,10.0.0.3:9203");
    CHECK(args == std::vector<std::string>{"topic"});
  }
  SECTION("an option without its value or a bad list is an invalid_config error") {
    std::vector<std::string> no_value{"topic", "--bootstrap"};
    auto list = cafka::bootstrap_from_args(no_value);
    REQUIRE_FALSE(list);
    CHECK(cafka::errc_of(list.error()) == cafka::errc::invalid_config);
    std::vector<std::string> bad{"--bootstrap", "h1:1,nope"};
    auto bad_list = cafka::bootstrap_from_args(bad);
    REQUIRE_FALSE(bad_list);
    CHECK_THAT(cafka::describe(bad_list.error()), Catch::Matchers::Contains("'nope'"));
  }
  SECTION("an empty list is an error, not the default file") {
    std::vector<std::string> empty{"--bootstrap", ""};
    auto list = cafka::bootstrap_from_args(empty);
    REQUIRE_FALSE(list);
    CHECK(cafka::errc_of(list.error()) == cafka::errc::invalid_config);
  }
  SECTION("--bootstrap and --config together are refused") {
    std::vector<std::string> both{"--bootstrap", "h1:1", "--config", conf};
    auto list = cafka::bootstrap_from_args(both);
    REQUIRE_FALSE(list);
    CHECK(cafka::errc_of(list.error()) == cafka::errc::invalid_config);
    CHECK_THAT(cafka::describe(list.error()),
               Catch::Matchers::EndsWith("--bootstrap and --config are alternatives: pass one"));
  }
}
