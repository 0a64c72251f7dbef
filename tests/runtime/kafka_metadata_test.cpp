// Tests of the Metadata codec: requests from kafka-python's encoders and librdkafka's
// frames, responses byte-for-byte against kafka-python's MetadataResponse_v0..v5.

#include <catch2/catch.hpp>

#include <string>

#include "runtime/kafka/metadata_codec.hpp"
#include "runtime/kafka/request_header.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

namespace {

// The response the kafka-python snippet below encodes, before the later versions' fields:
// brokers (1, "h1", 9092, "r1") and (2, "h2", 9093, None); topic "t" (error 0) with
// partitions (error 0, 0, leader 1, replicas [1,2], isr [1], offline [2]) and
// (error 5, 1, leader -1, replicas [2], isr [], offline []).
metadata_response sample() {
  metadata_response x;
  x.brokers = {{1, "h1", 9092, "r1"}, {2, "h2", 9093, std::nullopt}};
  metadata_response::metadata_response_topic t;
  t.name = "t";
  t.partitions = {{0, 0, 1, {1, 2}, {1}, {2}}, {5, 1, -1, {2}, {}, {}}};
  x.topics.push_back(t);
  return x;
}

} // namespace

// Request bodies from /usr/bin/python3 with kafka-python 2.0.2:
//   from kafka.protocol.metadata import *; MetadataRequest_vN(...).encode().hex()
TEST_CASE("metadata v0 request: an empty array asks for all topics", "[kafka][metadata]") {
  // MetadataRequest_v0(topics=[])
  CHECK_FALSE(decoded<metadata_request>(0, "00000000").topics.has_value());
  // MetadataRequest_v0(topics=["a", "bb"])
  auto req = decoded<metadata_request>(0, "0000000200016100026262");
  REQUIRE(req.topics.has_value());
  CHECK(*req.topics == std::vector<std::string>{"a", "bb"});
  CHECK(req.allow_auto_topic_creation);
  // A null array is not valid before v1.
  CHECK(decode_error<metadata_request>(0, "ffffffff") == "null topics in metadata v0");
}

TEST_CASE("metadata v1+ request: null asks for all, empty for none", "[kafka][metadata]") {
  // MetadataRequest_v1(topics=None)
  CHECK_FALSE(decoded<metadata_request>(1, "ffffffff").topics.has_value());
  // MetadataRequest_v1(topics=[])
  auto none = decoded<metadata_request>(1, "00000000");
  REQUIRE(none.topics.has_value());
  CHECK(none.topics->empty());
  // MetadataRequest_v4(topics=["t"], allow_auto_topic_creation=False)
  auto v4 = decoded<metadata_request>(4, "0000000100017400");
  CHECK(*v4.topics == std::vector<std::string>{"t"});
  CHECK_FALSE(v4.allow_auto_topic_creation);
  // MetadataRequest_v5(topics=None, allow_auto_topic_creation=True)
  auto v5 = decoded<metadata_request>(5, "ffffffff01");
  CHECK_FALSE(v5.topics.has_value());
  CHECK(v5.allow_auto_topic_creation);
}

TEST_CASE("metadata v4 requests librdkafka sends", "[kafka][metadata]") {
  // `kcat -b 127.0.0.1:<port> -L -m 3` against a fake broker (a /usr/bin/python3 server
  // answering ApiVersions v3 and Metadata with kafka-python's MetadataResponse_v4):
  // its brokers-only query, then the all-topics query, frames without size prefix.
  for (auto& [hex, all] : {std::pair{"0003000400000002000772646b61666b610000000000", false},
                           std::pair{"0003000400000003000772646b61666b61ffffffff01", true}}) {
    request_header h;
    auto req = decoded_frame<metadata_request>(from_hex(hex), h);
    CHECK(h.api_version == 4);
    CHECK(h.client_id == "rdkafka");
    CHECK(req.topics.has_value() == !all);
    CHECK(req.allow_auto_topic_creation == all);
  }
}

TEST_CASE("metadata request edge cases fail the reader", "[kafka][metadata]") {
  auto error = [](int16_t version, const char* hex) {
    return decode_error<metadata_request>(version, hex);
  };
  CHECK(error(1, "00000001000561") == "truncated");
  CHECK(error(1, "7fffffff0001610001620001") == "array length beyond the message");
  CHECK(error(1, "fffffffe") == "negative array length");
  CHECK(error(4, "ffffffff") == "truncated"); // no allow_auto_topic_creation
  CHECK(error(1, "00000001ffff") == "negative length");
  CHECK(error(1, "").find("truncated") == 0);
}

// Expected bytes from /usr/bin/python3 with kafka-python 2.0.2, e.g. for v5
//   MetadataResponse_v5(throttle_time_ms=0, brokers=[(1,"h1",9092,"r1"),(2,"h2",9093,None)],
//     cluster_id="cid", controller_id=1, topics=[(0,"t",False,[(0,0,1,[1,2],[1],[2]),
//     (5,1,-1,[2],[],[])])]).encode().hex()
// (kafka-python's partition tuples are (error_code, partition, leader, replicas, isr...)).
TEST_CASE("metadata responses v0-v5 match kafka-python's encoder", "[kafka][metadata]") {
  auto x = sample();
  x.controller_id = 2; // v1+
  x.cluster_id = "cid"; // v2+
  SECTION("v0: no rack, controller, cluster id or is_internal") {
    metadata_response::metadata_response_topic missing;
    missing.error_code = 3;
    missing.name = "x";
    x.topics.push_back(missing);
    CHECK(encoded(0, x) ==
          "000000020000000100026831000023840000000200026832000023850000000200000001740000000200"
          "0000000000000000010000000200000001000000020000000100000001000500000001ffffffff000000"
          "010000000200000000000300017800000000");
  }
  SECTION("v1: rack, controller, is_internal") {
    metadata_response::metadata_response_topic internal;
    internal.name = "__consumer_offsets";
    internal.is_internal = true;
    x.topics.push_back(internal);
    CHECK(encoded(1, x) ==
          "0000000200000001000268310000238400027231000000020002683200002385ffff0000000200000002"
          "0000000174000000000200000000000000000001000000020000000100000002000000010000000100"
          "0500000001ffffffff000000010000000200000000000000125f5f636f6e73756d65725f6f666673657473"
          "0100000000");
  }
  SECTION("v2: cluster id, null or not") {
    CHECK(encoded(2, x) ==
          "0000000200000001000268310000238400027231000000020002683200002385ffff000363696400000002"
          "0000000100000001740000000002000000000000000000010000000200000001000000020000000100"
          "000001000500000001ffffffff000000010000000200000000");
    metadata_response empty;
    empty.brokers = x.brokers;
    CHECK(encoded(2, empty) == "0000000200000001000268310000238400027231000000020002683200002385"
                               "ffffffffffffffff00000000");
  }
  SECTION("v3: throttle time") {
    x.throttle_time_ms = 7;
    CHECK(encoded(3, x) ==
          "000000070000000200000001000268310000238400027231000000020002683200002385ffff00036369"
          "64000000020000000100000001740000000002000000000000000000010000000200000001000000020000"
          "000100000001000500000001ffffffff000000010000000200000000");
  }
  SECTION("v4 is v3's layout, v6 is v5's") {
    x.controller_id = 1;
    CHECK(encoded(4, x) ==
          "000000000000000200000001000268310000238400027231000000020002683200002385ffff00036369"
          "64000000010000000100000001740000000002000000000000000000010000000200000001000000020000"
          "000100000001000500000001ffffffff000000010000000200000000");
    auto v5 = "000000000000000200000001000268310000238400027231000000020002683200002385ffff0003"
              "636964000000010000000100000001740000000002000000000000000000010000000200000001"
              "0000000200000001000000010000000100000002000500000001ffffffff0000000100000002"
              "0000000000000000";
    CHECK(encoded(5, x) == v5);
    CHECK(encoded(6, x) == v5);
  }
}
