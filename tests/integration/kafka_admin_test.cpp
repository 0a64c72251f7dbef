// Kafka's topic admin APIs (CreateTopics, DeleteTopics, DescribeConfigs) against a real
// 2-broker cluster, driven by kafka-python's KafkaAdminClient and confluent-kafka's
// AdminClient (tests/integration/kafka/admin_*.py, /usr/bin/python3), with the outcome
// checked through `cafka topics list/describe`.
#include <catch2/catch.hpp>

#include <sstream>

#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::command_result;
using cafka::testing::node_spec;
using cafka::testing::run;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace std::chrono_literals;

namespace {

// Node 1 is the quorum and a broker, node 2 only a broker; both serve Kafka. cluster.conf
// sets num-partitions=3 (the harness) and log-retention-ms, so DescribeConfigs shows both
// as static broker configs.
struct admin_cluster {
  cluster_process c{std::vector<node_spec>{{1, true, true}, {2, false, true}},
                    "log-retention-ms=3600000\n", true};

  admin_cluster() {
    c.start_all();
    REQUIRE(eventually([&] { return c.brokers_alive(2); }, 30s));
  }

  // admin_<client>.py <bootstrap> <args...>; the client must not fail itself.
  std::string admin(const std::string& client, std::vector<std::string> args) const {
    args.insert(args.begin(), {CAFKA_SOURCE_DIR "/tests/integration/kafka/admin_" + client
                                 + ".py",
                               c.kafka_bootstrap()});
    auto r = run("/usr/bin/python3", args, {}, 120s);
    INFO(client << " " << args[2] << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
  }

  std::string topics() const { return c.cli({"topics", "list"}).out; }

  std::string describe(const std::string& topic) const {
    return c.cli({"topics", "describe", "--topic", topic}).out;
  }
};

// The output line that starts with `prefix` (a topic, a config name, "error"), or "".
std::string line(const std::string& out, const std::string& prefix) {
  std::istringstream in{out};
  std::string l;
  while (std::getline(in, l))
    if (l.rfind(prefix, 0) == 0)
      return l;
  return {};
}

bool listed(const std::string& list, const std::string& topic) {
  return ("\n" + list).find("\n" + topic + "\n") != std::string::npos;
}

void check_create(const admin_cluster& a, const std::string& client) {
  auto t = client + "-orders";
  CHECK(a.admin(client, {"create", t, "4", "2"}) == t + " 0 -\n");
  CHECK_THAT(a.describe(t), Contains("Topic: " + t + "\tPartitionCount: 4\tReplicationFactor: 2"));

  auto again = a.admin(client, {"create", t, "1", "1"});
  CHECK_THAT(again, StartsWith(t + " 36 "));
  CHECK_THAT(again, Contains("already exists"));

  auto zero = a.admin(client, {"create", client + "-zero", "0", "1"});
  CHECK_THAT(zero, StartsWith(client + "-zero 37 "));
  auto rf = a.admin(client, {"create", client + "-rf", "1", "3"});
  CHECK_THAT(rf, StartsWith(client + "-rf 38 "));
  CHECK_THAT(rf, Contains("larger than the number of available brokers (2)"));
  CHECK_THAT(a.admin(client, {"create", client + "-bad/name", "1", "1"}),
             StartsWith(client + "-bad/name 17 "));
  auto assigned = a.admin(client, {"create", client + "-assigned", "2", "1", "--assign", "1:2"});
  CHECK_THAT(assigned, StartsWith(client + "-assigned 39 "));
  CHECK_THAT(assigned, Contains("manual replica assignments are not supported"));
  auto config = a.admin(client, {"create", client + "-config", "1", "1", "--config",
                                 "min.insync.replicas=0"});
  CHECK(config == client + "-config 40 Invalid value 0 for configuration min.insync.replicas: "
                           "Value must be at least 1\n");

  // -1: the cluster's num-partitions and default-replication-factor; configs become the
  // topic's overrides.
  auto d = client + "-defaults";
  CHECK(a.admin(client, {"create", d, "-1", "-1", "--config", "retention.ms=3600000",
                         "--config", "cleanup.policy=delete"})
        == d + " 0 -\n");
  CHECK_THAT(a.describe(d), Contains("Topic: " + d + "\tPartitionCount: 3\tReplicationFactor: 1"));

  // validate_only checks everything and creates nothing.
  auto v = client + "-checked";
  CHECK(a.admin(client, {"create", v, "2", "2", "--validate-only"}) == v + " 0 -\n");
  CHECK_THAT(a.admin(client, {"create", v, "2", "3", "--validate-only"}),
             StartsWith(v + " 38 "));
  CHECK_THAT(a.admin(client, {"create", t, "2", "1", "--validate-only"}),
             StartsWith(t + " 36 "));

  auto list = a.topics();
  CHECK(listed(list, t));
  CHECK(listed(list, d));
  for (auto& absent : {"-zero", "-rf", "-bad/name", "-assigned", "-config", "-checked"})
    CHECK_FALSE(listed(list, client + absent));
}

void check_describe(const admin_cluster& a, const std::string& client) {
  auto t = client + "-orders";
  auto topic = a.admin(client, {"describe-topic", t});
  CHECK(line(topic, "error") == "error 0 -");
  CHECK_THAT(line(topic, "retention.ms="),
             StartsWith("retention.ms=3600000 source=4 read_only=0 default=0"));
  CHECK_THAT(line(topic, "retention.ms="), Contains("synonyms=log.retention.ms=3600000/4"));
  CHECK_THAT(line(topic, "cleanup.policy="),
             StartsWith("cleanup.policy=delete source=5 read_only=0 default=1"));
  CHECK_THAT(line(topic, "segment.bytes="), StartsWith("segment.bytes=1073741824 source=5"));
  CHECK_THAT(line(topic, "max.message.bytes="), StartsWith("max.message.bytes=1048588 "));
  CHECK_THAT(line(topic, "compression.type="), StartsWith("compression.type=producer "));
  CHECK_THAT(line(topic, "message.timestamp.type="),
             StartsWith("message.timestamp.type=CreateTime "));
  CHECK_THAT(line(topic, "min.insync.replicas="), StartsWith("min.insync.replicas=1 "));

  auto some = a.admin(client, {"describe-topic", t, "retention.bytes", "segment.bytes"});
  CHECK(std::count(some.begin(), some.end(), '\n') == 3);
  CHECK_THAT(line(some, "retention.bytes="), StartsWith("retention.bytes=-1 source=5"));

  CHECK_THAT(line(a.admin(client, {"describe-topic", client + "-nope"}), "error"),
             StartsWith("error 3 "));

  // Broker configs: each client asks the broker itself.
  for (int32_t id : {1, 2}) {
    CAPTURE(id);
    auto b = a.admin(client, {"describe-broker", std::to_string(id)});
    auto ids = std::to_string(id);
    CHECK(line(b, "error") == "error 0 -");
    CHECK_THAT(line(b, "broker.id="), StartsWith("broker.id=" + ids + " source=4 read_only=1"));
    CHECK_THAT(line(b, "listeners="),
               StartsWith("listeners=PLAINTEXT://127.0.0.1:"
                          + std::to_string(a.c.kafka_port(id)) + " source=4"));
    CHECK_THAT(line(b, "advertised.listeners="),
               StartsWith("advertised.listeners=PLAINTEXT://127.0.0.1:"
                          + std::to_string(a.c.kafka_port(id))));
    CHECK_THAT(line(b, "process.roles="),
               StartsWith(id == 1 ? "process.roles=broker,controller "
                                  : "process.roles=broker "));
    CHECK_THAT(line(b, "num.partitions="), StartsWith("num.partitions=3 source=4"));
    CHECK_THAT(line(b, "default.replication.factor="),
               StartsWith("default.replication.factor=1 source=5"));
    CHECK_THAT(line(b, "log.retention.ms="), StartsWith("log.retention.ms=3600000 source=4"));
    CHECK_THAT(line(b, "offsets.topic.num.partitions="),
               StartsWith("offsets.topic.num.partitions=12 "));
    CHECK_THAT(line(b, "auto.create.topics.enable="),
               StartsWith("auto.create.topics.enable=true "));
  }
}

// AlterConfigs replaces a topic's overrides; CreatePartitions grows it.
void check_alter(const admin_cluster& a, const std::string& client) {
  auto t = client + "-orders";
  CHECK(a.admin(client, {"alter-topic", t, "retention.ms=1000", "min.insync.replicas=2"})
        == t + " 0 -\n");
  auto topic = a.admin(client, {"describe-topic", t});
  CHECK_THAT(line(topic, "retention.ms="),
             StartsWith("retention.ms=1000 source=1 read_only=0 default=0"));
  CHECK_THAT(line(topic, "min.insync.replicas="),
             StartsWith("min.insync.replicas=2 source=1 "));
  // The overrides become exactly the request's: retention.ms is the cluster's again.
  CHECK(a.admin(client, {"alter-topic", t, "min.insync.replicas=2"}) == t + " 0 -\n");
  topic = a.admin(client, {"describe-topic", t});
  CHECK_THAT(line(topic, "retention.ms="), StartsWith("retention.ms=3600000 source=4 "));
  CHECK(a.admin(client, {"alter-topic", t, "min.insync.replicas=0"})
        == t + " 40 Invalid value 0 for configuration min.insync.replicas: Value must be at "
               "least 1\n");
  CHECK_THAT(a.admin(client, {"alter-topic", t, "retention.mss=1"}),
             StartsWith(t + " 40 Unknown topic config name: retention.mss"));
  CHECK_THAT(a.admin(client, {"alter-topic", client + "-nope", "retention.ms=1"}),
             StartsWith(client + "-nope 3 "));

  CHECK(a.admin(client, {"grow", t, "8", "--validate-only"}) == t + " 0 -\n");
  CHECK_THAT(a.describe(t), Contains("PartitionCount: 4\t"));
  CHECK(a.admin(client, {"grow", t, "6"}) == t + " 0 -\n");
  CHECK(eventually([&] { return a.describe(t).find("PartitionCount: 6\t") != std::string::npos; },
                   10s));
  CHECK(a.admin(client, {"grow", t, "5"})
        == t + " 37 Topic currently has 6 partitions, which is higher than the requested 5.\n");
  CHECK_THAT(a.admin(client, {"grow", client + "-nope", "5"}), StartsWith(client + "-nope 3 "));
}

void check_delete(const admin_cluster& a, const std::string& client) {
  auto t = client + "-orders";
  auto d = client + "-defaults";
  auto out = a.admin(client, {"delete", t, d, client + "-nope"});
  CHECK(line(out, t + " ") == t + " 0 -");
  CHECK(line(out, d + " ") == d + " 0 -");
  CHECK_THAT(line(out, client + "-nope "), StartsWith(client + "-nope 3 "));
  CHECK(eventually(
    [&] {
      auto list = a.topics();
      return !listed(list, t) && !listed(list, d);
    },
    10s));
  CHECK_THAT(a.admin(client, {"delete", t}), StartsWith(t + " 3 "));
  // The internal offsets topic cannot be deleted (cafka's rule: Kafka would let it go).
  CHECK_THAT(a.admin(client, {"delete", "__consumer_offsets"}),
             StartsWith("__consumer_offsets 42 "));
}

} // namespace

TEST_CASE("kafka-python's admin client creates, describes and deletes topics",
          "[integration][kafka]") {
  admin_cluster a;
  check_create(a, "kafka_python");
  check_describe(a, "kafka_python");
  check_alter(a, "kafka_python");
  // Asked about another broker, a broker answers INVALID_REQUEST (as Kafka does).
  auto other = a.admin("kafka_python", {"describe-broker-via", "1", "2"});
  CHECK(line(other, "error")
        == "error 42 Unexpected broker id, expected 1 or empty string, but received 2");
  check_delete(a, "kafka_python");
}

TEST_CASE("confluent-kafka's admin client creates, describes and deletes topics",
          "[integration][kafka]") {
  admin_cluster a;
  check_create(a, "confluent");
  check_describe(a, "confluent");
  check_alter(a, "confluent");
  check_delete(a, "confluent");
  // operation_timeout 0: the answer comes at once (librdkafka treats REQUEST_TIMED_OUT as
  // "in progress"); cafka answers with the outcome.
  auto fast = std::string{"confluent-fast"};
  CHECK(a.admin("confluent", {"create", fast, "1", "1", "--timeout-ms", "0"})
        == fast + " 0 -\n");
  CHECK(eventually([&] { return listed(a.topics(), fast); }, 10s));
  CHECK(a.admin("confluent", {"delete", fast, "--timeout-ms", "0"}) == fast + " 0 -\n");
}
