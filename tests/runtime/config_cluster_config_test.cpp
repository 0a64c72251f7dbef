// Tests of cluster.conf loading and validation: a valid file with every [defaults] key, the
// built-in defaults, data-dir resolution, each kind of bad file (always errc::invalid_config
// with a message naming the problem), and parse_host_port.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/config/cluster_config.hpp"

using namespace cafka;
using Catch::Matchers::Contains;

namespace {

namespace fs = std::filesystem;

// A fresh directory under temp_directory_path(), removed with its contents at scope exit.
class config_dir {
public:
  config_dir() {
    static std::atomic<int> counter{0};
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = fs::temp_directory_path()
            / ("cafka-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(stamp)
               + "-" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~config_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  config_dir(const config_dir&) = delete;
  config_dir& operator=(const config_dir&) = delete;

  const fs::path& path() const { return path_; }

  // Writes `contents` to <dir>/<name> and returns its path.
  std::string write(const std::string& contents, const std::string& name = "cluster.conf") {
    auto p = (path_ / name).string();
    std::ofstream out{p, std::ios::binary | std::ios::trunc};
    out << contents;
    return p;
  }

private:
  fs::path path_;
};

const std::string one_node
  = "[cluster]\n"
    "nodes=[{id=1, host=\"127.0.0.1\", port=9101, roles=[\"controller\", \"broker\"]}]\n";

// Loads `contents` and requires an invalid_config error whose message names the file and
// contains `what`.
void require_invalid(const std::string& contents, const std::string& what) {
  config_dir dir;
  auto path = dir.write(contents);
  auto cfg = load_cluster_config(path);
  REQUIRE_FALSE(cfg);
  CHECK(errc_of(cfg.error()) == errc::invalid_config);
  auto msg = describe(cfg.error());
  CHECK_THAT(msg, Contains(path));
  CHECK_THAT(msg, Contains(what));
}

} // namespace

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

TEST_CASE("a missing config file is invalid_config naming the file", "[config]") {
  config_dir dir;
  auto path = (dir.path() / "no-such.conf").string();
  auto cfg = load_cluster_config(path);
  REQUIRE_FALSE(cfg);
  CHECK(errc_of(cfg.error()) == errc::invalid_config);
  CHECK_THAT(describe(cfg.error()), Contains(path));
  CHECK_THAT(describe(cfg.error()), Contains("cannot open"));
}

TEST_CASE("an unparsable config file is invalid_config", "[config]") {
  SECTION("unterminated section header") {
    require_invalid("[cluster\nnodes=[{id=1, host=\"h\", port=1}]\n", "does not parse");
  }
  SECTION("unterminated list") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=1}\n", "does not parse");
  }
  SECTION("unterminated string") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h, port=1}]\n", "does not parse");
  }
  SECTION("'#' is not a comment in CAF's INI syntax") {
    require_invalid("# a comment\n" + one_node, "does not parse");
  }
}

TEST_CASE("structural problems in [cluster] are invalid_config naming the problem",
          "[config]") {
  SECTION("no [cluster] section") {
    require_invalid("[defaults]\nnum-partitions=3\n", "missing [cluster]");
  }
  SECTION("empty file") {
    require_invalid("", "missing [cluster]");
  }
  SECTION("no nodes key") {
    require_invalid("[cluster]\ndata-dir=\"data\"\n", "nodes is missing");
  }
  SECTION("empty nodes list") {
    require_invalid("[cluster]\nnodes=[]\n", "nodes is missing, empty");
  }
  SECTION("nodes is not a list") {
    require_invalid("[cluster]\nnodes=42\n", "nodes is missing, empty or malformed");
  }
  SECTION("a node is not a dictionary") {
    require_invalid("[cluster]\nnodes=[42]\n", "nodes[0]");
  }
  SECTION("unknown key in [cluster]") {
    require_invalid(one_node + "data-dri=\"x\"\n", "unknown key 'data-dri' in [cluster]");
  }
  SECTION("unknown key in a node") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=1, rolez=[\"broker\"]}]\n",
                    "unknown key 'rolez'");
  }
  SECTION("data-dir is not a string") {
    require_invalid(one_node + "data-dir=5\n", "data-dir must be a string");
  }
  SECTION("empty data-dir") {
    require_invalid(one_node + "data-dir=\"\"\n", "data-dir is empty");
  }
}

TEST_CASE("bad node entries are invalid_config naming the node and the field", "[config]") {
  SECTION("missing port") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"127.0.0.1\"}]\n",
                    "nodes[0]: id, host and port are required");
  }
  SECTION("missing id") {
    require_invalid("[cluster]\nnodes=[{host=\"127.0.0.1\", port=9101}]\n",
                    "id, host and port are required");
  }
  SECTION("missing host") {
    require_invalid("[cluster]\nnodes=[{id=1, port=9101}]\n", "id, host and port are required");
  }
  SECTION("port above 65535") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=70000}]\n",
                    "port must be between 1 and 65535, got 70000");
  }
  SECTION("port 0") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=0}]\n",
                    "port must be between 1 and 65535, got 0");
  }
  SECTION("negative port") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=-5}]\n",
                    "port must be between 1 and 65535");
  }
  SECTION("port is a string") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=\"9101\"}]\n",
                    "port must be an integer");
  }
  SECTION("negative id") {
    require_invalid("[cluster]\nnodes=[{id=-1, host=\"h\", port=1}]\n", "id must be between");
  }
  SECTION("empty host") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"\", port=1}]\n",
                    "host must be a non-empty string");
  }
  SECTION("second node bad: the index is named") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=1}, {id=2, host=\"h\"}]\n",
                    "nodes[1]");
  }
  SECTION("duplicate id") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"127.0.0.1\", port=9101}, "
                    "{id=1, host=\"127.0.0.1\", port=9102}]\n",
                    "node id 1 appears twice");
  }
  SECTION("duplicate host:port") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"127.0.0.1\", port=9101}, "
                    "{id=2, host=\"127.0.0.1\", port=9101}]\n",
                    "address 127.0.0.1:9101 appears twice");
  }
  SECTION("unknown role") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=1, roles=[\"broker\", "
                    "\"leader\"]}]\n",
                    "unknown role");
  }
  SECTION("empty roles") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=1, roles=[]}]\n",
                    "roles must be a non-empty list");
  }
  SECTION("no broker at all") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=1, roles=[\"controller\"]}]\n",
                    "no node has the \"broker\" role");
  }
  SECTION("an even number of controllers") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=1}, {id=2, host=\"h\", port=2}]\n",
                    "needs 1, 3 or 5 nodes with the \"controller\" role");
  }
  SECTION("no controller at all") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=1, roles=[\"broker\"]}]\n",
                    "got 0");
  }
  SECTION("seven controllers") {
    std::string nodes;
    for (int i = 1; i <= 7; ++i)
      nodes += std::string{i > 1 ? ", " : ""} + "{id=" + std::to_string(i) + ", host=\"h\", port="
               + std::to_string(i) + "}";
    require_invalid("[cluster]\nnodes=[" + nodes + "]\n", "got 7");
  }
}

TEST_CASE("bad [defaults] are invalid_config naming the key", "[config]") {
  SECTION("a typo is an unknown key, not silently ignored") {
    require_invalid(one_node + "[defaults]\nnum-partition=3\n",
                    "unknown key 'num-partition' in [defaults]");
  }
  SECTION("Kafka's dotted name is written with dashes") {
    require_invalid(one_node + "[defaults]\nlog_segment_bytes=1048576\n",
                    "unknown key 'log_segment_bytes'");
  }
  SECTION("negative num-partitions") {
    require_invalid(one_node + "[defaults]\nnum-partitions=-3\n",
                    "num-partitions must be between 1 and 10000, got -3");
  }
  SECTION("zero replication factor") {
    require_invalid(one_node + "[defaults]\ndefault-replication-factor=0\n",
                    "default-replication-factor must be between");
  }
  SECTION("message-max-bytes too small") {
    require_invalid(one_node + "[defaults]\nmessage-max-bytes=10\n",
                    "message-max-bytes must be between");
  }
  SECTION("retention below -1") {
    require_invalid(one_node + "[defaults]\nlog-retention-ms=-2\n",
                    "log-retention-ms must be between");
  }
  SECTION("not an integer") {
    require_invalid(one_node + "[defaults]\nnum-partitions=\"three\"\n",
                    "num-partitions must be an integer");
  }
}

TEST_CASE("an unknown section is invalid_config naming it, and CAF's own sections are "
          "allowed",
          "[config]") {
  SECTION("a misspelled [defaults] does not silently drop every default in it") {
    require_invalid(one_node + "[default]\nnum-partitions=6\n", "unknown section [default]");
  }
  SECTION("a made-up section") {
    require_invalid(one_node + "[brokers]\nx=1\n", "unknown section [brokers]");
  }
  SECTION("CAF's sections") {
    config_dir dir;
    auto path = dir.write(one_node
                          + "[middleman]\nheartbeat-interval=200ms\n"
                            "[scheduler]\npolicy='sharing'\nmax-threads=2\n"
                            "[logger]\nverbosity='quiet'\n[stream]\n"
                            "[work-stealing]\n");
    auto cfg = load_cluster_config(path);
    INFO((cfg ? std::string{} : describe(cfg.error())));
    CHECK(cfg);
  }
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

namespace {

std::string node_with(const std::string& extra) {
  return "[cluster]\nnodes=[{id=1, host=\"127.0.0.1\", port=9101, roles=[\"controller\", "
         "\"broker\"], " + extra + "}]\n";
}

} // namespace

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
  auto plain = load_cluster_config(dir.write(node_with("listeners=\"PLAINTEXT://127.0.0.1:9092\"")));
  REQUIRE(plain);
  CHECK(plain->nodes.at(0).advertised_listeners == plain->nodes.at(0).listeners);
  auto none = load_cluster_config(dir.write(one_node));
  REQUIRE(none);
  CHECK(none->nodes.at(0).listeners.empty());
}

TEST_CASE("bad listeners are invalid_config naming the entry", "[config]") {
  SECTION("not a URL") {
    require_invalid(node_with("listeners=\"127.0.0.1:9092\""),
                    "listeners: '127.0.0.1:9092' is not NAME://host:port");
  }
  SECTION("a name cafka does not serve") {
    require_invalid(node_with("listeners=\"SSL://127.0.0.1:9092\""),
                    "only PLAINTEXT is served");
  }
  SECTION("a repeated name") {
    require_invalid(node_with("listeners=\"PLAINTEXT://127.0.0.1:9092,PLAINTEXT://127.0.0.1:9093\""),
                    "repeats listener name PLAINTEXT");
  }
  SECTION("a wildcard bind without advertised-listeners") {
    require_invalid(node_with("listeners=\"PLAINTEXT://0.0.0.0:9092\""),
                    "binds every interface: set advertised-listeners");
  }
  SECTION("a wildcard advertised address") {
    require_invalid(node_with("listeners=\"PLAINTEXT://:9092\", "
                              "advertised-listeners=\"PLAINTEXT://0.0.0.0:9092\""),
                    "advertises a wildcard address");
  }
  SECTION("the node's own BASP address") {
    require_invalid(node_with("listeners=\"PLAINTEXT://127.0.0.1:9101\""),
                    "uses an address already taken");
  }
  SECTION("not a string") {
    require_invalid(node_with("listeners=9092"), "listeners must be a string");
  }
  SECTION("on a node without the broker role") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"h\", port=9101, roles=[\"controller\"], "
                    "listeners=\"PLAINTEXT://h:9092\"}, {id=2, host=\"h\", port=9102, "
                    "roles=[\"broker\"]}]\n",
                    "listeners needs the \"broker\" role");
  }
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
