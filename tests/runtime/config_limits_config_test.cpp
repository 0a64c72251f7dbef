// cluster.conf's [limits] section: defaults, each key, and the errors of bad values.
#include <catch2/catch.hpp>

#include "runtime/config/cluster_config.hpp"
#include "tests/runtime/config_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

limits_config limits_of(const std::string& contents) {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(contents));
  INFO((cfg ? std::string{} : describe(cfg.error())));
  REQUIRE(cfg);
  return cfg->limits;
}

} // namespace

TEST_CASE("without [limits] a node has Kafka-like caps", "[config]") {
  auto x = limits_of(one_node);
  CHECK(x.max_connections == 10000);
  CHECK(x.max_connections_per_ip == 1000);
  CHECK(x.socket_request_max_bytes == 100 << 20);
  CHECK(x.queued_max_request_bytes == 256 << 20);
  CHECK(x.connections_max_idle_ms == 600000);
  CHECK(x.authentication_timeout_ms == 10000);
  CHECK(x.connection_failed_authentication_delay_ms == 100);
  CHECK(x.max_parked_fetches == 100000);
  CHECK(x.max_parked_fetches_per_connection == 1000);
  CHECK(x.max_parked_fetches_per_partition == 2000);
  CHECK(x.max_topics == 2000);
  CHECK(x.max_partitions == 10000);
  CHECK(x.max_groups == 10000);
  CHECK(x.group_max_size == 1000);
  CHECK(x.max_producer_ids_per_partition == 10000);
}

TEST_CASE("[limits] sets every cap", "[config]") {
  auto x = limits_of(one_node
                     + "[limits]\nmax-connections=50\nmax-connections-per-ip=5\n"
                       "socket-request-max-bytes=2048\nqueued-max-request-bytes=4096\n"
                       "connections-max-idle-ms=2000\nauthentication-timeout-ms=500\n"
                       "connection-failed-authentication-delay-ms=0\n"
                       "max-parked-fetches=10\nmax-parked-fetches-per-connection=3\n"
                       "max-parked-fetches-per-partition=4\nmax-topics=6\n"
                       "max-partitions=7\nmax-groups=8\ngroup-max-size=9\n"
                       "max-producer-ids-per-partition=11\n");
  CHECK(x.max_connections == 50);
  CHECK(x.max_connections_per_ip == 5);
  CHECK(x.socket_request_max_bytes == 2048);
  CHECK(x.queued_max_request_bytes == 4096);
  CHECK(x.connections_max_idle_ms == 2000);
  CHECK(x.authentication_timeout_ms == 500);
  CHECK(x.connection_failed_authentication_delay_ms == 0);
  CHECK(x.max_parked_fetches == 10);
  CHECK(x.max_parked_fetches_per_connection == 3);
  CHECK(x.max_parked_fetches_per_partition == 4);
  CHECK(x.max_topics == 6);
  CHECK(x.max_partitions == 7);
  CHECK(x.max_groups == 8);
  CHECK(x.group_max_size == 9);
  CHECK(x.max_producer_ids_per_partition == 11);
}

TEST_CASE("a bad [limits] value is one clear config error", "[config]") {
  SECTION("out of range") {
    require_invalid(one_node + "[limits]\nmax-connections=0\n",
                    "[limits] max-connections must be between 1 and 1000000, got 0");
  }
  SECTION("not an integer") {
    require_invalid(one_node + "[limits]\ngroup-max-size=\"many\"\n",
                    "[limits] group-max-size must be an integer, got \"many\"");
  }
  SECTION("unknown key") {
    require_invalid(one_node + "[limits]\nmax-connection=5\n",
                    "unknown key 'max-connection' in [limits]");
  }
  SECTION("the largest frame does not fit the request byte budget") {
    require_invalid(one_node
                      + "[limits]\nsocket-request-max-bytes=8192\n"
                        "queued-max-request-bytes=4096\n",
                    "[limits] queued-max-request-bytes (4096) must be at least "
                    "socket-request-max-bytes (8192)");
  }
  SECTION("the failed-authentication delay outlasts the authentication timeout") {
    require_invalid(one_node
                      + "[limits]\nauthentication-timeout-ms=200\n"
                        "connection-failed-authentication-delay-ms=200\n",
                    "[limits] connection-failed-authentication-delay-ms must be less than "
                    "authentication-timeout-ms");
  }
  SECTION("a connection may park more than the node") {
    require_invalid(one_node
                      + "[limits]\nmax-parked-fetches=5\n"
                        "max-parked-fetches-per-connection=6\n",
                    "[limits] max-parked-fetches-per-connection must be at most "
                    "max-parked-fetches");
  }
}
