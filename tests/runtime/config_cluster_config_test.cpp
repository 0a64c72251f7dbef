// Tests of cluster.conf loading: a valid file with every [defaults] key, the built-in
// defaults, data-dir resolution, listeners, and the host:port and bootstrap list parsers.
// Bad files: config_cluster_config_errors_test.cpp.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/config/cluster_config.hpp"
#include "tests/runtime/config_test_util.hpp"

using namespace cafka;
using namespace cafka::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

TEST_CASE("a valid cluster.conf loads with its nodes and every [defaults] value",
          "[config]") {
  config_dir dir;
  auto path = dir.write(
    "; a comment\n"
    "[cluster]\n"
    "nodes=[{id=1, host=\"127.0.0.1\", port=9101, roles=[\"controller\", \"broker\"]}, "
    "{id=2, host=\"127.0.0.1\", port=9102, roles=[\"broker\"]}, "
    "{id=3, host=\"localhost\", port=9103, roles=[\"controller\"]}, "
    "{id=7, host=\"10.0.0.7\", port=65535}]\n"
    "data-dir=\"var/data\"\n"
    "\n"
    "[defaults]\n"
    "num-partitions=6\n"
    "default-replication-factor=2\n"
    "min-insync-replicas=2\n"
    "message-max-bytes=2000000\n"
    "fetch-max-bytes=4096\n"
    "log-segment-bytes=1048576\n"
    "log-retention-ms=-1\n"
    "log-retention-bytes=10000000\n"
    "log-index-interval-bytes=1024\n"
    "flush-messages=10\n"
    "flush-ms=500\n"
    "log-retention-check-interval-ms=1000\n"
    "replica-high-watermark-checkpoint-interval-ms=250\n"
    "\n"
    "; CAF's own settings share the file\n"
    "[middleman]\n"
    "heartbeat-interval=200ms\n"
    "connection-timeout=2s\n"
    "[scheduler]\n"
    "policy='sharing'\n");
  auto cfg = load_cluster_config(path);
  REQUIRE(cfg);
  CHECK(cfg->path == path);
  REQUIRE(cfg->nodes.size() == 4);

  auto& n1 = cfg->nodes[0];
  CHECK(n1.id == node_id{1});
  CHECK(n1.host == "127.0.0.1");
  CHECK(n1.port == 9101);
  CHECK(n1.controller);
  CHECK(n1.broker);
  CHECK(n1.address() == "127.0.0.1:9101");

  auto& n2 = cfg->nodes[1];
  CHECK(n2.id == node_id{2});
  CHECK_FALSE(n2.controller);
  CHECK(n2.broker);

  auto& n3 = cfg->nodes[2];
  CHECK(n3.host == "localhost");
  CHECK(n3.controller);
  CHECK_FALSE(n3.broker);

  // No roles: both.
  auto& n7 = cfg->nodes[3];
  CHECK(n7.id == node_id{7});
  CHECK(n7.port == 65535);
  CHECK(n7.controller);
  CHECK(n7.broker);

  REQUIRE(cfg->find(node_id{3}) != nullptr);
  CHECK(cfg->find(node_id{3})->port == 9103);
  CHECK(cfg->find(node_id{4}) == nullptr);
  // Brokers only, in file order.
  CHECK(cfg->bootstrap_servers() == "127.0.0.1:9101,127.0.0.1:9102,10.0.0.7:65535");

  // data-dir is relative to the config file's directory.
  auto expected_dir = (fs::absolute(dir.path()) / "var" / "data").lexically_normal();
  CHECK(fs::path{cfg->data_dir} == expected_dir);
  CHECK(fs::path{cfg->node_dir(node_id{2})} == expected_dir / "node-2");

  auto& d = cfg->defaults;
  CHECK(d.num_partitions == 6);
  CHECK(d.default_replication_factor == 2);
  CHECK(d.min_insync_replicas == 2);
  CHECK(d.message_max_bytes == 2000000);
  CHECK(d.fetch_max_bytes == 4096);
  CHECK(d.log.segment_bytes == 1048576u);
  CHECK(d.log.retention_ms == -1);
  CHECK(d.log.retention_bytes == 10000000);
  CHECK(d.log.index_interval_bytes == 1024u);
  CHECK(d.log.flush_messages == 10);
  CHECK(d.log.flush_ms == 500);
  CHECK(d.log_retention_check_interval_ms == 1000);
  CHECK(d.replica_hw_checkpoint_interval_ms == 250);
}

TEST_CASE("without a [defaults] section or data-dir the built-in defaults apply",
          "[config]") {
  config_dir dir;
  auto path = dir.write(one_node);
  auto cfg = load_cluster_config(path);
  REQUIRE(cfg);
  REQUIRE(cfg->nodes.size() == 1);
  CHECK(fs::path{cfg->data_dir} == (fs::absolute(dir.path()) / "data").lexically_normal());

  broker_defaults builtin;
  auto& d = cfg->defaults;
  CHECK(d.num_partitions == builtin.num_partitions);
  CHECK(d.default_replication_factor == builtin.default_replication_factor);
  CHECK(d.min_insync_replicas == builtin.min_insync_replicas);
  CHECK(d.replica_hw_checkpoint_interval_ms == 5000);  // Kafka's default
  CHECK(d.message_max_bytes == builtin.message_max_bytes);
  CHECK(d.fetch_max_bytes == builtin.fetch_max_bytes);
  CHECK(d.log.segment_bytes == builtin.log.segment_bytes);
  CHECK(d.log.retention_ms == builtin.log.retention_ms);
  CHECK(d.log.retention_bytes == builtin.log.retention_bytes);
  CHECK(d.log.flush_messages == builtin.log.flush_messages);
  CHECK(d.log.flush_ms == builtin.log.flush_ms);
  CHECK(d.log_retention_check_interval_ms == builtin.log_retention_check_interval_ms);
}

TEST_CASE("a partial [defaults] section keeps the built-in value of every absent key",
          "[config]") {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(one_node + "[defaults]\nnum-partitions=3\n"));
  REQUIRE(cfg);
  broker_defaults builtin;
  CHECK(cfg->defaults.num_partitions == 3);
  CHECK(cfg->defaults.default_replication_factor == builtin.default_replication_factor);
  CHECK(cfg->defaults.message_max_bytes == builtin.message_max_bytes);
  CHECK(cfg->defaults.log.segment_bytes == builtin.log.segment_bytes);
  CHECK(cfg->defaults.offsets_retention_minutes == 10080);
  auto retention = load_cluster_config(
    dir.write(one_node + "[defaults]\noffsets-retention-minutes=1440\n"));
  REQUIRE(retention);
  CHECK(retention->defaults.offsets_retention_minutes == 1440);
}

TEST_CASE("the timestamp window of produced batches loads with Kafka's KIP-937 names",
          "[config]") {
  config_dir dir;
  broker_defaults builtin;
  CHECK(builtin.log_message_timestamp_before_max_ms == INT64_MAX);
  CHECK(builtin.log_message_timestamp_after_max_ms == 3600000);
  auto cfg = load_cluster_config(dir.write(one_node
                                           + "[defaults]\n"
                                             "log-message-timestamp-before-max-ms=86400000\n"
                                             "log-message-timestamp-after-max-ms=0\n"));
  REQUIRE(cfg);
  CHECK(cfg->defaults.log_message_timestamp_before_max_ms == 86400000);
  CHECK(cfg->defaults.log_message_timestamp_after_max_ms == 0);
  require_invalid(one_node + "[defaults]\nlog-message-timestamp-after-max-ms=-1\n",
                  "log-message-timestamp-after-max-ms must be between 0 and");
}

TEST_CASE("an absolute data-dir is kept as written", "[config]") {
  config_dir dir;
  auto abs = (fs::absolute(dir.path()) / "elsewhere").lexically_normal();
  auto cfg = load_cluster_config(dir.write(one_node + "data-dir=\"" + abs.string() + "\"\n"));
  REQUIRE(cfg);
  CHECK(fs::path{cfg->data_dir} == abs);
  CHECK(fs::path{cfg->node_dir(node_id{1})} == abs / "node-1");
}

TEST_CASE("a relative data-dir resolves against the config file's directory, not the cwd",
          "[config]") {
  config_dir dir;
  fs::create_directories(dir.path() / "conf");
  auto path = dir.write(one_node + "data-dir=\"../store/./x\"\n", "conf/cluster.conf");
  auto cfg = load_cluster_config(path);
  REQUIRE(cfg);
  auto expected = (fs::absolute(dir.path()) / "store" / "x").lexically_normal();
  CHECK(fs::path{cfg->data_dir} == expected);
  CHECK(fs::path{cfg->data_dir}.is_absolute());
}

TEST_CASE("parse_host_port accepts host:port", "[config]") {
  std::string host;
  uint16_t port = 0;
  REQUIRE(parse_host_port("127.0.0.1:9101", host, port));
  CHECK(host == "127.0.0.1");
  CHECK(port == 9101);
  REQUIRE(parse_host_port("localhost:1", host, port));
  CHECK(host == "localhost");
  CHECK(port == 1);
  REQUIRE(parse_host_port("broker-3.example.com:65535", host, port));
  CHECK(host == "broker-3.example.com");
  CHECK(port == 65535);
  // The last ':' separates the port.
  REQUIRE(parse_host_port("[::1]:9092", host, port));
  CHECK(host == "[::1]");
  CHECK(port == 9092);
  REQUIRE(parse_host_port("h:00080", host, port));
  CHECK(port == 80);
}

TEST_CASE("parse_host_port rejects malformed input and leaves the outputs alone",
          "[config]") {
  auto input = GENERATE(as<std::string>{}, "", "localhost", ":9101", "localhost:", "h:0",
                        "h:65536", "h:99999", "h:123456", "h:12a", "h:-1", "h:+80", "h: 80",
                        "h:0x50", ":");
  CAPTURE(input);
  std::string host = "unchanged";
  uint16_t port = 42;
  CHECK_FALSE(parse_host_port(input, host, port));
  CHECK(host == "unchanged");
  CHECK(port == 42);
}

TEST_CASE("listeners and advertised-listeners load in Kafka's form", "[config]") {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(node_with(
    "listeners=\"plaintext://:9092\", advertised-listeners=\"PLAINTEXT://kafka.example:9092\"")));
  REQUIRE(cfg);
  auto& n = cfg->nodes.at(0);
  REQUIRE(n.listeners.size() == 1);
  CHECK(n.listeners[0] == listener_endpoint{"PLAINTEXT", "0.0.0.0", 9092});
  REQUIRE(n.advertised_listeners.size() == 1);
  CHECK(n.advertised_listeners[0] == listener_endpoint{"PLAINTEXT", "kafka.example", 9092});
  auto plain
    = load_cluster_config(dir.write(node_with("listeners=\"PLAINTEXT://127.0.0.1:9092\"")));
  REQUIRE(plain);
  CHECK(plain->nodes.at(0).advertised_listeners == plain->nodes.at(0).listeners);
  auto none = load_cluster_config(dir.write(one_node));
  REQUIRE(none);
  CHECK(none->nodes.at(0).listeners.empty());
}

TEST_CASE("bootstrap lists parse as Kafka's bootstrap.servers", "[config]") {
  auto one = parse_bootstrap("127.0.0.1:9101");
  REQUIRE(one);
  CHECK(*one == std::vector<host_port>{{"127.0.0.1", 9101}});
  auto three = parse_bootstrap("a:1, b:2 ,c:3");
  REQUIRE(three);
  CHECK(*three == std::vector<host_port>{{"a", 1}, {"b", 2}, {"c", 3}});
  CHECK_THAT(describe(parse_bootstrap("a:1,b").error()),
             Catch::Contains("bootstrap server 'b' in 'a:1,b' is not host:port"));
  CHECK_THAT(describe(parse_bootstrap("a:1,").error()),
             Catch::Contains("bootstrap server '' in 'a:1,' is not host:port"));
  CHECK(errc_of(parse_bootstrap("").error()) == errc::invalid_config);
  CHECK(errc_of(parse_bootstrap("a:0").error()) == errc::invalid_config);
}
