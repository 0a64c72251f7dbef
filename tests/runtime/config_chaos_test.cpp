// cluster.conf's chaos keys in [cluster]: chaos-enable is off unless set, the chaos-max-*
// caps have documented defaults, and a bad value is invalid_config naming the key.
#include <catch2/catch.hpp>

#include "runtime/config/cluster_config.hpp"
#include "tests/runtime/config_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

// "max-delay max-disk-delay max-duration max-rules"
std::string limits_of(const cluster_config& cfg) {
  auto& l = cfg.chaos.limits;
  return std::to_string(l.max_delay_ms) + " " + std::to_string(l.max_disk_delay_ms) + " "
         + std::to_string(l.max_duration_ms) + " " + std::to_string(l.max_rules);
}

} // namespace

TEST_CASE("chaos is off by default and the caps have their documented defaults",
          "[config][chaos]") {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(one_node));
  REQUIRE(cfg);
  CHECK_FALSE(cfg->chaos.enable);
  CHECK(limits_of(*cfg) == "10000 1000 3600000 64");
}

TEST_CASE("chaos-enable and the chaos-max-* caps are read from [cluster]", "[config][chaos]") {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(one_node
                                           + "chaos-enable=true\n"
                                             "chaos-max-delay-ms=500\n"
                                             "chaos-max-disk-delay-ms=50\n"
                                             "chaos-max-duration-ms=60000\n"
                                             "chaos-max-rules=8\n"));
  REQUIRE(cfg);
  CHECK(cfg->chaos.enable);
  CHECK(limits_of(*cfg) == "500 50 60000 8");
}

TEST_CASE("bad chaos keys are invalid_config naming the key", "[config][chaos]") {
  SECTION("chaos-enable is not a bool") {
    require_invalid(one_node + "chaos-enable=\"yes\"\n",
                    "[cluster] chaos-enable must be true or false, got \"yes\"");
  }
  SECTION("chaos-enable in [defaults] is an unknown key there") {
    require_invalid(one_node + "[defaults]\nchaos-enable=true\n",
                    "unknown key 'chaos-enable' in [defaults]");
  }
  SECTION("negative delay cap") {
    require_invalid(one_node + "chaos-max-delay-ms=-1\n",
                    "[cluster] chaos-max-delay-ms must be between 0 and 3600000, got -1");
  }
  SECTION("a disk delay cap over the storage layer's 10 s stall cap") {
    require_invalid(one_node + "chaos-max-disk-delay-ms=20000\n",
                    "[cluster] chaos-max-disk-delay-ms must be between 0 and 10000, got 20000");
  }
  SECTION("a duration cap over a week") {
    require_invalid(one_node + "chaos-max-duration-ms=9223372036854775807\n",
                    "[cluster] chaos-max-duration-ms must be between 0 and 604800000");
  }
  SECTION("no room for a single rule") {
    require_invalid(one_node + "chaos-max-rules=0\n",
                    "[cluster] chaos-max-rules must be between 1 and 1024, got 0");
  }
}
