// cluster.conf's metrics keys: each node's metrics-port (default port + 1000, 0 off) and the
// [metrics] section, and the errors for bad values.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/config/cluster_config.hpp"
#include "tests/runtime/config_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

TEST_CASE("metrics-port defaults to the node's port + 1000 and 0 turns it off",
          "[config]") {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(
    "[cluster]\n"
    "nodes=[{id=1, host=\"127.0.0.1\", port=9101},\n"
    "       {id=2, host=\"127.0.0.1\", port=9102, metrics-port=0},\n"
    "       {id=3, host=\"127.0.0.1\", port=9103, metrics-port=19000},\n"
    "       {id=4, host=\"127.0.0.1\", port=65000, roles=[\"broker\"]}]\n"));
  REQUIRE(cfg);
  CHECK(cfg->nodes[0].metrics_port == 10101);
  CHECK(cfg->nodes[1].metrics_port == 0);
  CHECK(cfg->nodes[2].metrics_port == 19000);
  CHECK(cfg->nodes[3].metrics_port == 0);  // 66000 is no port: off unless set
  CHECK(cfg->metrics.partition_series_max == 10000);
  CHECK(cfg->metrics.group_series_max == 1000);
  CHECK(cfg->metrics.view_refresh_ms == 1000);
}

TEST_CASE("the [metrics] section sets the series caps and the view's refresh", "[config]") {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(one_node + "[metrics]\npartition-series-max=0\n"
                                                      "group-series-max=5\n"
                                                      "view-refresh-ms=250\n"));
  REQUIRE(cfg);
  CHECK(cfg->metrics.partition_series_max == 0);
  CHECK(cfg->metrics.group_series_max == 5);
  CHECK(cfg->metrics.view_refresh_ms == 250);
}

TEST_CASE("bad metrics settings are invalid_config naming the key", "[config]") {
  SECTION("a port past 65535") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"127.0.0.1\", port=9101, "
                    "metrics-port=70000}]\n",
                    "metrics-port");
  }
  SECTION("a metrics port taken by another node") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"127.0.0.1\", port=9101},\n"
                    "       {id=2, host=\"127.0.0.1\", port=9102, metrics-port=9101}]\n",
                    "metrics-port 9101 is an address already taken");
  }
  SECTION("an unknown [metrics] key") {
    require_invalid(one_node + "[metrics]\nport=1\n", "port");
  }
  SECTION("a refresh below 100 ms") {
    require_invalid(one_node + "[metrics]\nview-refresh-ms=10\n", "view-refresh-ms");
  }
}
