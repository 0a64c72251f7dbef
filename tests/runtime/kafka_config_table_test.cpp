// Tests of the Kafka-named config tables (DescribeConfigs): topic and broker configs derived
// from cluster.conf, their sources and synonyms, key filtering and the per-resource answers
// (unknown topic, another broker's id, unsupported resource types).

#include <catch2/catch.hpp>

#include <algorithm>

#include "runtime/kafka/config_table.hpp"
#include "runtime/kafka/kafka_error.hpp"

using namespace cafka;
using namespace cafka::kafka;

namespace {

const config_entry& entry(const std::vector<config_entry>& xs, const std::string& name) {
  auto i = std::find_if(xs.begin(), xs.end(), [&](const auto& e) { return e.name == name; });
  REQUIRE(i != xs.end());
  return *i;
}

bool has(const std::vector<config_entry>& xs, const std::string& name) {
  return std::any_of(xs.begin(), xs.end(), [&](const auto& e) { return e.name == name; });
}

// Node 1: controller and broker with a Kafka listener; node 2: controller only; node 3:
// broker only, advertising another address than it binds.
cluster_config three_nodes() {
  cluster_config cfg;
  cfg.data_dir = "/var/lib/cafka";
  node_config n1;
  n1.id = node_id{1};
  n1.host = "10.0.0.1";
  n1.port = 9101;
  n1.controller = n1.broker = true;
  n1.listeners = {{"PLAINTEXT", "10.0.0.1", 9092}};
  n1.advertised_listeners = n1.listeners;
  node_config n2;
  n2.id = node_id{2};
  n2.host = "10.0.0.2";
  n2.port = 9102;
  n2.controller = true;
  node_config n3;
  n3.id = node_id{3};
  n3.host = "10.0.0.3";
  n3.port = 9103;
  n3.broker = true;
  n3.listeners = {{"PLAINTEXT", "", 9092}};
  n3.advertised_listeners = {{"PLAINTEXT", "kafka-3.example", 19092}};
  cfg.nodes = {n1, n2, n3};
  return cfg;
}

cluster_metadata with_topic(const std::string& name) {
  cluster_metadata md;
  md.topics.push_back(topic_metadata{name, {}});
  return md;
}

describe_configs_request::describe_configs_resource resource(int8_t type, std::string name) {
  return {type, std::move(name), std::nullopt};
}

} // namespace

TEST_CASE("topic configs at cafka's defaults are Kafka's defaults", "[kafka][config]") {
  auto t = topic_configs(broker_defaults{}, "orders", {});
  CHECK(entry(t, "cleanup.policy").value == "delete");
  CHECK(entry(t, "compression.type").value == "producer");
  CHECK(entry(t, "message.timestamp.type").value == "CreateTime");
  CHECK(entry(t, "retention.ms").value == "604800000");
  CHECK(entry(t, "retention.bytes").value == "-1");
  CHECK(entry(t, "segment.bytes").value == "1073741824");
  CHECK(entry(t, "max.message.bytes").value == "1048588");
  CHECK(entry(t, "min.insync.replicas").value == "1");
  CHECK(entry(t, "index.interval.bytes").value == "4096");
  CHECK(entry(t, "flush.messages").value == "9223372036854775807");
  CHECK(entry(t, "flush.ms").value == "9223372036854775807");
  CHECK(entry(t, "unclean.leader.election.enable").value == "false");
  for (auto& e : t) {
    CAPTURE(e.name);
    CHECK(e.source == config_source_default);
    CHECK_FALSE(e.read_only);  // topics may override them
    CHECK_FALSE(e.is_sensitive);
    // One synonym: the broker config the topic config defaults to.
    REQUIRE(e.synonyms.size() == 1);
    CHECK(e.synonyms[0].value == e.value);
    CHECK(e.synonyms[0].source == config_source_default);
  }
  CHECK(entry(t, "retention.ms").synonyms[0].name == "log.retention.ms");
  CHECK(entry(t, "max.message.bytes").synonyms[0].name == "message.max.bytes");
  CHECK(entry(t, "cleanup.policy").synonyms[0].name == "log.cleanup.policy");
  CHECK(std::is_sorted(t.begin(), t.end(),
                       [](const auto& a, const auto& b) { return a.name < b.name; }));
}

TEST_CASE("topic configs set in cluster.conf are static broker configs", "[kafka][config]") {
  broker_defaults d;
  d.log.retention_ms = 3600000;
  d.log.segment_bytes = 65536;
  d.min_insync_replicas = 2;
  d.unclean_leader_election_enable = true;
  auto t = topic_configs(d, "orders", {});
  auto& ret = entry(t, "retention.ms");
  CHECK(ret.value == "3600000");
  CHECK(ret.source == config_source_static_broker);
  REQUIRE(ret.synonyms.size() == 1);
  CHECK(ret.synonyms[0].name == "log.retention.ms");
  CHECK(ret.synonyms[0].value == "3600000");
  CHECK(ret.synonyms[0].source == config_source_static_broker);
  CHECK(entry(t, "segment.bytes").value == "65536");
  CHECK(entry(t, "min.insync.replicas").value == "2");
  CHECK(entry(t, "unclean.leader.election.enable").value == "true");
  CHECK(entry(t, "unclean.leader.election.enable").source == config_source_static_broker);
  // Untouched ones stay defaults.
  CHECK(entry(t, "retention.bytes").source == config_source_default);
}

TEST_CASE("a topic's overrides are dynamic topic configs over the broker's",
          "[kafka][config]") {
  broker_defaults d;
  d.min_insync_replicas = 2;
  auto t = topic_configs(d, "orders", {{"cleanup.policy", "compact,delete"},
                                       {"min.insync.replicas", "3"}});
  auto& isr = entry(t, "min.insync.replicas");
  CHECK(isr.value == "3");
  CHECK(isr.source == config_source_dynamic_topic);
  REQUIRE(isr.synonyms.size() == 2);
  CHECK(isr.synonyms[0].name == "min.insync.replicas");
  CHECK(isr.synonyms[0].value == "3");
  CHECK(isr.synonyms[0].source == config_source_dynamic_topic);
  CHECK(isr.synonyms[1].value == "2");
  CHECK(isr.synonyms[1].source == config_source_static_broker);
  CHECK(entry(t, "cleanup.policy").value == "compact,delete");
  CHECK(entry(t, "retention.ms").source == config_source_default);
}

TEST_CASE("__consumer_offsets is compacted and keeps every record", "[kafka][config]") {
  broker_defaults d;
  d.log.retention_ms = 3600000;
  auto t = topic_configs(d, "__consumer_offsets", {});
  auto& ret = entry(t, "retention.ms");
  CHECK(ret.value == "-1");
  CHECK(ret.source == config_source_dynamic_topic);
  REQUIRE(ret.synonyms.size() == 2);
  CHECK(ret.synonyms[0].name == "retention.ms");
  CHECK(ret.synonyms[0].source == config_source_dynamic_topic);
  CHECK(ret.synonyms[1].name == "log.retention.ms");
  CHECK(ret.synonyms[1].value == "3600000");
  CHECK(entry(t, "retention.bytes").value == "-1");
  CHECK(entry(t, "cleanup.policy").value == "compact");
  CHECK(entry(t, "cleanup.policy").source == config_source_dynamic_topic);
  CHECK(entry(t, "segment.bytes").source == config_source_default);
}

TEST_CASE("broker configs name the node, its listeners and the defaults", "[kafka][config]") {
  auto cfg = three_nodes();
  cfg.defaults.num_partitions = 3;
  auto b = broker_configs(cfg, node_id{1});
  CHECK(entry(b, "broker.id").value == "1");
  CHECK(entry(b, "broker.id").source == config_source_static_broker);
  CHECK(entry(b, "node.id").value == "1");
  CHECK(entry(b, "process.roles").value == "broker,controller");
  CHECK(entry(b, "controller.quorum.voters").value == "1@10.0.0.1:9101,2@10.0.0.2:9102");
  CHECK(entry(b, "listeners").value == "PLAINTEXT://10.0.0.1:9092");
  CHECK(entry(b, "advertised.listeners").value == "PLAINTEXT://10.0.0.1:9092");
  CHECK(entry(b, "log.dirs").value == "/var/lib/cafka/node-1");
  CHECK(entry(b, "num.partitions").value == "3");
  CHECK(entry(b, "num.partitions").source == config_source_static_broker);
  CHECK(entry(b, "default.replication.factor").value == "1");
  CHECK(entry(b, "default.replication.factor").source == config_source_default);
  CHECK(entry(b, "auto.create.topics.enable").value == "true");
  CHECK(entry(b, "message.max.bytes").value == "1048588");
  CHECK(entry(b, "log.segment.bytes").value == "1073741824");
  CHECK(entry(b, "log.retention.ms").value == "604800000");
  CHECK(entry(b, "offsets.topic.num.partitions").value == "12");
  CHECK(entry(b, "offsets.topic.replication.factor").value == "3");
  CHECK(entry(b, "offsets.retention.minutes").value == "10080");
  CHECK(entry(b, "delete.topic.enable").value == "true");
  for (auto& e : b) {
    CAPTURE(e.name);
    CHECK(e.read_only);
    REQUIRE(e.synonyms.size() == 1);
    CHECK(e.synonyms[0].name == e.name);
    CHECK(e.synonyms[0].source == e.source);
  }
  CHECK(std::is_sorted(b.begin(), b.end(),
                       [](const auto& x, const auto& y) { return x.name < y.name; }));
  // Topic configs are not broker configs.
  CHECK_FALSE(has(b, "retention.ms"));

  auto b3 = broker_configs(cfg, node_id{3});
  CHECK(entry(b3, "process.roles").value == "broker");
  CHECK(entry(b3, "listeners").value == "PLAINTEXT://:9092");
  CHECK(entry(b3, "advertised.listeners").value == "PLAINTEXT://kafka-3.example:19092");
  auto b2 = broker_configs(cfg, node_id{2});
  CHECK(entry(b2, "listeners").value == std::nullopt);
}

TEST_CASE("select_configs filters by key and adds synonyms on request", "[kafka][config]") {
  auto table = topic_configs(broker_defaults{}, "t", {});
  SECTION("null and empty keys select everything") {
    CHECK(select_configs(table, std::nullopt, false).size() == table.size());
    CHECK(select_configs(table, std::vector<std::string>{}, false).size() == table.size());
  }
  SECTION("named keys, unknown names left out") {
    auto out = select_configs(table, std::vector<std::string>{"segment.bytes", "nope",
                                                              "retention.ms"},
                              false);
    REQUIRE(out.size() == 2);
    CHECK(out[0].name == "retention.ms");  // table order
    CHECK(out[1].name == "segment.bytes");
    CHECK(out[1].value == "1073741824");
    CHECK_FALSE(out[1].read_only);
    CHECK(out[1].is_default);
    CHECK(out[1].config_source == config_source_default);
    CHECK(out[1].synonyms.empty());
  }
  SECTION("synonyms") {
    auto out = select_configs(table, std::vector<std::string>{"retention.ms"}, true);
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].synonyms.size() == 1);
    CHECK(out[0].synonyms[0].name == "log.retention.ms");
    CHECK(out[0].synonyms[0].value == "604800000");
    CHECK(out[0].synonyms[0].source == config_source_default);
  }
  SECTION("a static value is not a default (v0's is_default)") {
    broker_defaults d;
    d.log.retention_ms = 1000;
    auto out = select_configs(topic_configs(d, "t", {}), std::vector<std::string>{"retention.ms"},
                              false);
    REQUIRE(out.size() == 1);
    CHECK_FALSE(out[0].is_default);
    CHECK(out[0].config_source == config_source_static_broker);
  }
}

TEST_CASE("describe_config_resource answers topics as Kafka does", "[kafka][config]") {
  auto cfg = three_nodes();
  auto md = with_topic("orders");
  auto known = describe_config_resource(resource(config_resource_topic, "orders"), false, cfg,
                                        node_id{1}, md);
  CHECK(known.error_code == 0);
  CHECK(known.resource_type == config_resource_topic);
  CHECK(known.resource_name == "orders");
  CHECK(known.configs.size() == topic_configs(cfg.defaults, "orders", {}).size());

  auto unknown = describe_config_resource(resource(config_resource_topic, "nope"), false, cfg,
                                          node_id{1}, md);
  CHECK(unknown.error_code == code(error_code::unknown_topic_or_partition));
  CHECK(unknown.resource_name == "nope");
  CHECK(unknown.configs.empty());

  auto bad = describe_config_resource(resource(config_resource_topic, "a b"), false, cfg,
                                      node_id{1}, md);
  CHECK(bad.error_code == code(error_code::invalid_topic_exception));
  CHECK(bad.error_message);
  CHECK(bad.configs.empty());

  auto some = describe_config_resource({config_resource_topic, "orders",
                                        std::vector<std::string>{"cleanup.policy"}},
                                       true, cfg, node_id{1}, md);
  REQUIRE(some.configs.size() == 1);
  CHECK(some.configs[0].value == "delete");
  CHECK(some.configs[0].synonyms.size() == 1);
}

TEST_CASE("describe_config_resource answers brokers as Kafka does", "[kafka][config]") {
  auto cfg = three_nodes();
  cluster_metadata md;
  auto self = describe_config_resource(resource(config_resource_broker, "1"), false, cfg,
                                       node_id{1}, md);
  CHECK(self.error_code == 0);
  CHECK(self.configs.size() == broker_configs(cfg, node_id{1}).size());

  // An empty name asks for the cluster-wide dynamic defaults: cafka has none.
  auto defaults = describe_config_resource(resource(config_resource_broker, ""), false, cfg,
                                           node_id{1}, md);
  CHECK(defaults.error_code == 0);
  CHECK(defaults.configs.empty());

  auto other = describe_config_resource(resource(config_resource_broker, "3"), false, cfg,
                                        node_id{1}, md);
  CHECK(other.error_code == code(error_code::invalid_request));
  CHECK(other.error_message
        == "Unexpected broker id, expected 1 or empty string, but received 3");
  CHECK(other.configs.empty());

  auto name = GENERATE(as<std::string>{}, "x", "1x", " 1", "99999999999");
  CAPTURE(name);
  auto bad = describe_config_resource(resource(config_resource_broker, name), false, cfg,
                                      node_id{1}, md);
  CHECK(bad.error_code == code(error_code::invalid_request));
  CHECK(bad.error_message == "Broker id must be an integer, but it is: " + name);
}

TEST_CASE("describe_config_resource refuses other resource types", "[kafka][config]") {
  auto cfg = three_nodes();
  auto type = GENERATE(as<int8_t>{}, 0, 1, 8, 16, -1);
  CAPTURE(type);
  auto r = describe_config_resource(resource(type, "1"), false, cfg, node_id{1},
                                    cluster_metadata{});
  CHECK(r.error_code == code(error_code::invalid_request));
  CHECK(r.resource_type == type);
  CHECK(r.configs.empty());
}
