// Tests of cluster.conf validation: each kind of bad file is refused as errc::invalid_config
// with a message naming the file and the problem.
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
  SECTION("offsets that would expire at once") {
    require_invalid(one_node + "[defaults]\noffsets-retention-minutes=0\n",
                    "offsets-retention-minutes must be between 1 and 2147483647, got 0");
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
  SECTION("a high-watermark checkpoint interval below 10 ms") {
    require_invalid(one_node + "[defaults]\nreplica-high-watermark-checkpoint-interval-ms=0\n",
                    "replica-high-watermark-checkpoint-interval-ms must be between 10 and "
                    "2147483647, got 0");
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

TEST_CASE("bad listeners are invalid_config naming the entry", "[config]") {
  SECTION("not a URL") {
    require_invalid(node_with("listeners=\"127.0.0.1:9092\""),
                    "listeners: '127.0.0.1:9092' is not NAME://host:port");
  }
  SECTION("a name cafka does not serve") {
    require_invalid(node_with("listeners=\"SASL_GSSAPI://127.0.0.1:9092\""),
                    "listeners: 'SASL_GSSAPI://127.0.0.1:9092' uses listener name "
                    "SASL_GSSAPI: PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL are served");
  }
  SECTION("a repeated name") {
    require_invalid(
      node_with("listeners=\"PLAINTEXT://127.0.0.1:9092,PLAINTEXT://127.0.0.1:9093\""),
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
