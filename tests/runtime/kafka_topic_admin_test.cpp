// Tests of the CreateTopics, DeleteTopics and DescribeConfigs codecs against the bytes real
// clients send and expect.
//
// kafka-python bytes: /usr/bin/python3 -c 'from kafka.protocol.admin import *; print(X.encode().hex())'
// with X as given above each hex string (kafka-python 2.0.2; keep the object in a variable
// before calling encode(), its encode() holds only a weak reference).
// librdkafka bytes: /usr/bin/python3 tests/tools/kafka_capture/capture_librdkafka.py admin
// (confluent-kafka 1.7.0 on librdkafka 2.0.2, against tests/tools/kafka_capture/fake_broker.py).

#include <catch2/catch.hpp>

#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/topic_admin_codec.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

namespace {

// CreateTopicsRequest_vN(create_topic_requests=[
//   ('t1', 3, 2, [], [('cleanup.policy', 'compact'), ('retention.ms', None)]),
//   ('t2', -1, -1, [(0, [1, 2]), (1, [2, 3])], [])], timeout=30000[, validate_only=N==3])
constexpr const char* create_topics_v0 =
  "00000002000274310000000300020000000000000002000e636c65616e75702e706f6c6963790007636f6d"
  "70616374000c726574656e74696f6e2e6d73ffff00027432ffffffffffff00000002000000000000000200"
  "00000100000002000000010000000200000002000000030000000000007530";
constexpr const char* create_topics_v3 =
  "00000002000274310000000300020000000000000002000e636c65616e75702e706f6c6963790007636f6d"
  "70616374000c726574656e74696f6e2e6d73ffff00027432ffffffffffff00000002000000000000000200"
  "0000010000000200000001000000020000000200000003000000000000753001";

void check_kafka_python_topics(const create_topics_request& req) {
  REQUIRE(req.topics.size() == 2);
  const auto& t1 = req.topics[0];
  CHECK(t1.name == "t1");
  CHECK(t1.num_partitions == 3);
  CHECK(t1.replication_factor == 2);
  CHECK(t1.assignments.empty());
  REQUIRE(t1.configs.size() == 2);
  CHECK(t1.configs[0].name == "cleanup.policy");
  CHECK(t1.configs[0].value == std::optional<std::string>{"compact"});
  CHECK(t1.configs[1].name == "retention.ms");
  CHECK_FALSE(t1.configs[1].value.has_value());
  const auto& t2 = req.topics[1];
  CHECK(t2.num_partitions == -1);
  CHECK(t2.replication_factor == -1);
  REQUIRE(t2.assignments.size() == 2);
  CHECK(t2.assignments[1].partition_index == 1);
  CHECK(t2.assignments[1].broker_ids == std::vector<int32_t>{2, 3});
  CHECK(req.timeout_ms == 30000);
}

} // namespace

TEST_CASE("CreateTopics v0 and v3 from kafka-python decode", "[kafka][topic_admin]") {
  auto v0 = decoded<create_topics_request>(0, create_topics_v0);
  check_kafka_python_topics(v0);
  CHECK_FALSE(v0.validate_only);
  auto v3 = decoded<create_topics_request>(3, create_topics_v3);
  check_kafka_python_topics(v3);
  CHECK(v3.validate_only);
}

TEST_CASE("CreateTopics v4 from librdkafka decodes", "[kafka][topic_admin]") {
  // create_topics([NewTopic('t1', 3, 1, config={'cleanup.policy': 'compact'}),
  //                NewTopic('t2', 2, replica_assignment=[[1], [1]])],
  //               operation_timeout=5, validate_only=True)
  auto req = decoded<create_topics_request>(
    4, "00000002000274310000000300010000000000000001000e636c65616e75702e706f6c69637900076"
       "36f6d7061637400027432ffffffffffff0000000200000000000000010000000100000001000000010"
       "0000001000000000000138801");
  REQUIRE(req.topics.size() == 2);
  CHECK(req.topics[0].num_partitions == 3);
  CHECK(req.topics[0].replication_factor == 1);
  REQUIRE(req.topics[0].configs.size() == 1);
  CHECK(req.topics[0].configs[0].value == std::optional<std::string>{"compact"});
  CHECK(req.topics[1].name == "t2");
  CHECK(req.topics[1].num_partitions == -1);
  REQUIRE(req.topics[1].assignments.size() == 2);
  CHECK(req.topics[1].assignments[0].broker_ids == std::vector<int32_t>{1});
  CHECK(req.timeout_ms == 5000);
  CHECK(req.validate_only);
}

TEST_CASE("CreateTopics responses match kafka-python byte for byte", "[kafka][topic_admin]") {
  create_topics_response resp;
  resp.throttle_time_ms = 7;
  resp.topics = {{"t1", 0, std::nullopt},
                 {"t2", code(error_code::topic_already_exists), std::string{"exists"}}};
  // CreateTopicsResponse_v0(topic_errors=[('t1', 0), ('t2', 36)])
  CHECK(encoded(0, resp) == "00000002000274310000000274320024");
  // CreateTopicsResponse_v1(topic_errors=[('t1', 0, None), ('t2', 36, 'exists')])
  CHECK(encoded(1, resp) == "00000002000274310000ffff0002743200240006657869737473");
  // CreateTopicsResponse_v2 / _v3(throttle_time_ms=7, topic_errors=<as v1>)
  const char* v2 = "0000000700000002000274310000ffff0002743200240006657869737473";
  CHECK(encoded(2, resp) == v2);
  CHECK(encoded(3, resp) == v2);
  CHECK(encoded(4, resp) == v2); // v4 changes only what the broker accepts
}

TEST_CASE("DeleteTopics requests decode and responses match", "[kafka][topic_admin]") {
  // DeleteTopicsRequest_v0 / _v3(topics=['t1', 't2'], timeout=1000) encode alike.
  for (int16_t v : {0, 3}) {
    auto req = decoded<delete_topics_request>(v, "000000020002743100027432000003e8");
    CHECK(req.topic_names == std::vector<std::string>{"t1", "t2"});
    CHECK(req.timeout_ms == 1000);
  }
  // librdkafka: delete_topics(['t1', 't2'], operation_timeout=5) sends v1.
  auto rd = decoded<delete_topics_request>(1, "00000002000274310002743200001388");
  CHECK(rd.timeout_ms == 5000);

  delete_topics_response resp;
  resp.throttle_time_ms = 5;
  resp.responses = {{"t1", 0}, {"t2", code(error_code::unknown_topic_or_partition)}};
  // DeleteTopicsResponse_v0(topic_error_codes=[('t1', 0), ('t2', 3)])
  CHECK(encoded(0, resp) == "00000002000274310000000274320003");
  // DeleteTopicsResponse_v3(throttle_time_ms=5, topic_error_codes=<as v0>); v1, v2 alike
  for (int16_t v : {1, 2, 3})
    CHECK(encoded(v, resp) == "0000000500000002000274310000000274320003");
}

TEST_CASE("DescribeConfigs requests decode, null keys included", "[kafka][topic_admin]") {
  // DescribeConfigsRequest_v2(resources=[(2, 't1', ['retention.ms', 'cleanup.policy']),
  //                                      (4, '1', None)], include_synonyms=True)
  auto req = decoded<describe_configs_request>(
    2, "00000002020002743100000002000c726574656e74696f6e2e6d73000e636c65616e75"
       "702e706f6c69637904000131ffffffff01");
  REQUIRE(req.resources.size() == 2);
  CHECK(req.resources[0].resource_type == config_resource_topic);
  CHECK(req.resources[0].resource_name == "t1");
  CHECK(req.resources[0].configuration_keys
        == std::optional<std::vector<std::string>>{{"retention.ms", "cleanup.policy"}});
  CHECK(req.resources[1].resource_type == config_resource_broker);
  CHECK(req.resources[1].resource_name == "1");
  CHECK_FALSE(req.resources[1].configuration_keys.has_value());
  CHECK(req.include_synonyms);
  // librdkafka: describe_configs([ConfigResource(TOPIC, 't1'), ConfigResource(BROKER, '1')])
  auto rd = decoded<describe_configs_request>(1, "000000020200027431ffffffff04000131ffffffff01");
  REQUIRE(rd.resources.size() == 2);
  CHECK_FALSE(rd.resources[0].configuration_keys.has_value());
  CHECK(rd.include_synonyms); // librdkafka asks for synonyms
}

TEST_CASE("DescribeConfigs v0 response matches kafka-python", "[kafka][topic_admin]") {
  describe_configs_response resp;
  describe_configs_response::describe_configs_result t1;
  t1.resource_type = config_resource_topic;
  t1.resource_name = "t1";
  t1.configs.push_back({"retention.ms", std::string{"1000"}, false, false, -1, false, {}});
  t1.configs.push_back({"cleanup.policy", std::string{"delete"}, false, true, -1, false, {}});
  describe_configs_response::describe_configs_result zz;
  zz.error_code = code(error_code::unknown_topic_or_partition);
  zz.error_message = "no such topic";
  zz.resource_type = config_resource_topic;
  zz.resource_name = "zz";
  resp.results = {t1, zz};
  // DescribeConfigsResponse_v0(throttle_time_ms=0, resources=[
  //   (0, None, 2, 't1', [('retention.ms', '1000', False, False, False),
  //                       ('cleanup.policy', 'delete', False, True, False)]),
  //   (3, 'no such topic', 2, 'zz', [])])
  CHECK(encoded(0, resp)
        == "00000000000000020000ffff020002743100000002000c726574656e74696f6e2e6d73000431303030"
           "000000000e636c65616e75702e706f6c696379000664656c6574650001000003000d6e6f2073756368"
           "20746f7069630200027a7a00000000");
}

TEST_CASE("DescribeConfigs v1 and v2 responses carry sources and synonyms",
          "[kafka][topic_admin]") {
  describe_configs_response resp;
  resp.throttle_time_ms = 3;
  describe_configs_response::describe_configs_result t1;
  t1.resource_type = config_resource_topic;
  t1.resource_name = "t1";
  t1.configs.push_back({"retention.ms", std::string{"1000"}, false, false,
                        config_source_dynamic_topic, false,
                        {{"retention.ms", std::string{"1000"}, config_source_dynamic_topic},
                         {"log.retention.ms", std::nullopt, config_source_default}}});
  t1.configs.push_back({"sasl.jaas.config", std::nullopt, true, false,
                        config_source_static_broker, true, {}});
  resp.results = {t1};
  // DescribeConfigsResponse_v2(throttle_time_ms=3, resources=[(0, None, 2, 't1', [
  //   ('retention.ms', '1000', False, 1, False,
  //    [('retention.ms', '1000', 1), ('log.retention.ms', None, 5)]),
  //   ('sasl.jaas.config', None, True, 4, True, [])])])
  const char* v2 =
    "00000003000000010000ffff020002743100000002000c726574656e74696f6e2e6d73000431303030000100"
    "00000002000c726574656e74696f6e2e6d730004313030300100106c6f672e726574656e74696f6e2e6d73ff"
    "ff0500107361736c2e6a6161732e636f6e666967ffff01040100000000";
  CHECK(encoded(2, resp) == v2);
  // Kafka's v1 is v2's layout (kafka-python's v1 schema wrongly has a bool is_default where
  // Kafka has the int8 config_source, so only v2 is compared with it).
  CHECK(encoded(1, resp) == v2);
}

TEST_CASE("topic admin decoders refuse malformed bodies", "[kafka][topic_admin]") {
  SECTION("a truncated CreateTopics") {
    std::string hex = create_topics_v3;
    hex.resize(hex.size() - 4); // without the last two bytes
    CHECK(decode_error<create_topics_request>(3, hex) == "truncated");
  }
  SECTION("a topic count beyond the bytes") {
    CHECK(decode_error<create_topics_request>(0, "7fffffff00000000")
          == "array length beyond the message");
  }
  SECTION("a null topic array where Kafka has none") {
    CHECK(decode_error<create_topics_request>(0, "ffffffff00007530") == "null array");
    CHECK(decode_error<delete_topics_request>(0, "ffffffff000003e8") == "null array");
  }
  SECTION("a negative broker id count") {
    // one topic "t", assignment count 1, broker id count -5
    CHECK(decode_error<create_topics_request>(
            0, "000000010001740000000100010000000100000000fffffffb0000000000007530")
          == "negative array length");
  }
  SECTION("a null topic name") {
    CHECK(decode_error<delete_topics_request>(0, "00000001ffff000003e8") == "negative length");
  }
  SECTION("DescribeConfigs v1 without include_synonyms") {
    CHECK(decode_error<describe_configs_request>(1, "000000010200027431ffffffff") == "truncated");
    CHECK(decode_error<describe_configs_request>(0, "000000010200027431ffffffff") == "");
  }
}
