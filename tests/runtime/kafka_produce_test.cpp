// Tests of the Produce codec: frames librdkafka sends, requests from kafka-python's
// encoders, responses byte-for-byte against kafka-python's ProduceResponse_v3..v7.

#include <catch2/catch.hpp>

#include <string>

#include "runtime/kafka/produce_codec.hpp"
#include "runtime/kafka/request_header.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

namespace {

// Frames (size prefix removed) librdkafka 2.0.2 sent to a fake broker: a /usr/bin/python3
// server answering ApiVersions v3, Metadata (kafka-python's MetadataResponse_v4: broker 1,
// topic "t" with partition 0), InitProducerId (producer id 7) and Produce, printing frames.
//   printf 'k1:v1\n' | kcat -b 127.0.0.1:<port> -P -t t -p 0 -K: -X enable.idempotence=true
const std::string kcat_produce_v7_idempotent =
  "0000000700000004000772646b61666b61ffffffff000075300000000100017400000001000000000000004800"
  "000000000000000000003c00000000021fa52955000000000000000001a243c08a93000001a243c08a930000"
  "0000000000070000000000000000000114000000046b3104763100";
//   printf 'v0\n' | kcat -b 127.0.0.1:<port> -P -t t -p 0 -X acks=0
const std::string kcat_produce_v7_acks0 =
  "0000000700000003000772646b61666b61ffff0000000075300000000100017400000001000000000000004600"
  "000000000000000000003a0000000002b9a2434e000000000000000001a243c09668000001a243c09668ffff"
  "ffffffffffffffffffffffff00000001100000000104763000";

} // namespace

TEST_CASE("produce v7 from librdkafka: records stay a view into the frame",
          "[kafka][produce]") {
  auto frame = from_hex(kcat_produce_v7_idempotent);
  request_header h;
  auto req = decoded_frame<produce_request>(frame, h);
  CHECK(h.api_version == 7);
  CHECK_FALSE(req.transactional_id.has_value());
  CHECK(req.acks == -1);
  CHECK(req.timeout_ms == 30000);
  REQUIRE(req.topic_data.size() == 1);
  CHECK(req.topic_data[0].name == "t");
  REQUIRE(req.topic_data[0].partition_data.size() == 1);
  auto& p = req.topic_data[0].partition_data[0];
  CHECK(p.index == 0);
  REQUIRE(p.records.has_value());
  CHECK(p.records->size() == 72);
  CHECK(p.records->data() == frame.data() + frame.size() - 72); // not copied
  CHECK((*p.records)[16] == 2);                                 // batch magic v2
}

TEST_CASE("produce acks peek reads only the header and acks", "[kafka][produce]") {
  CHECK(peek_produce_acks(from_hex(kcat_produce_v7_idempotent)) == -1);
  auto acks0 = from_hex(kcat_produce_v7_acks0);
  CHECK(peek_produce_acks(acks0) == 0);
  CHECK(peek_produce_acks(acks0.substr(0, 21)) == 0);   // ends right after acks
  CHECK_FALSE(peek_produce_acks(acks0.substr(0, 20)));  // ends inside acks
  CHECK_FALSE(peek_produce_acks(acks0.substr(0, 6)));   // ends inside the header
  // A Fetch frame (kcat's, see the fetch tests) is not a Produce request.
  CHECK_FALSE(peek_produce_acks(from_hex("0001000b00000005000772646b61666b61ffffffff")));
  request_header h;
  auto req = decoded_frame<produce_request>(acks0, h);
  CHECK(req.acks == 0);
  CHECK(req.topic_data.at(0).partition_data.at(0).records->size() == 70);
}

// Request bodies from /usr/bin/python3 with kafka-python 2.0.2, e.g.
//   from kafka.protocol.produce import *; ProduceRequest_v3(transactional_id=None,
//     required_acks=1, timeout=1500, topics=[("t", [(0, b"\x01\x02\x03"), (2, None)]),
//     ("u", [])]).encode().hex()
TEST_CASE("produce requests from kafka-python's encoder", "[kafka][produce]") {
  auto v3 = decoded<produce_request>(3, "ffff0001000005dc00000002000174000000020000000000000003"
                                             "0102030000" "0002ffffffff00017500000000");
  CHECK(v3.acks == 1);
  CHECK(v3.timeout_ms == 1500);
  REQUIRE(v3.topic_data.size() == 2);
  auto& t = v3.topic_data[0].partition_data;
  REQUIRE(t.size() == 2);
  CHECK(*t[0].records == std::string_view{"\x01\x02\x03", 3});
  CHECK(t[1].index == 2);
  CHECK_FALSE(t[1].records.has_value());
  CHECK(v3.topic_data[1].name == "u");
  CHECK(v3.topic_data[1].partition_data.empty());
  // ProduceRequest_v7(transactional_id="tx", required_acks=-1, timeout=30000,
  //   topics=[("t", [(1, b"abcd")])])
  auto v7 = decoded<produce_request>(7, "00027478ffff0000753000000001000174000000010000000100"
                                             "00000461626364");
  CHECK(v7.transactional_id == "tx");
  CHECK(v7.topic_data.at(0).partition_data.at(0).records == "abcd");
}

TEST_CASE("produce request edge cases fail the reader", "[kafka][produce]") {
  // Body prefix: null transactional id, acks 1, timeout 30000.
  const std::string head = "ffff000100007530";
  auto error = [](const std::string& hex) { return decode_error<produce_request>(7, hex); };
  CHECK(error(head + "0000000100017400000001000000000000004801020304") == "truncated");
  CHECK(error(head + "40000000000174") == "array length beyond the message");
  CHECK(error(head + "000000010001748000000000") == "negative array length");
  CHECK(error(head + "ffffffff") == "null array");
  CHECK(error(head + "00000001000174" "00000001" "00000000" "fffffffe") ==
        "negative length");
  CHECK(error(head.substr(0, 10)) == "truncated");
  // Out-of-range acks are the handler's to answer, not a decode error.
  CHECK(error("ffff000500007530" "00000000").empty());
}

// Expected bytes from /usr/bin/python3 with kafka-python 2.0.2, e.g.
//   ProduceResponse_v5(topics=[("t", [(0, 0, 42, -1, 10), (2, 6, -1, -1, -1)]), ("u", [])],
//     throttle_time_ms=0).encode().hex()
// (partition tuples: partition, error_code, offset, timestamp[, log_start_offset]).
TEST_CASE("produce responses v3-v7 match kafka-python's encoder", "[kafka][produce]") {
  produce_response x;
  x.responses = {{"t", {{0, 0, 42, -1, 10}, {2, 6, -1, -1, -1}}}};
  // ProduceResponse_v3(topics=[("t", [(0, 0, 42, -1), (2, 6, -1, -1)])], throttle_time_ms=0)
  CHECK(encoded(3, x) == "0000000100017400000002000000000000000000000000002affffffffffffffff0000"
                         "00020006ffffffffffffffffffffffffffffffff00000000");
  x.responses.push_back({"u", {}});
  auto v5 = "0000000200017400000002000000000000000000000000002affffffffffffffff000000000000000a00"
            "0000020006ffffffffffffffffffffffffffffffffffffffffffffffff0001750000000000000000";
  CHECK(encoded(5, x) == v5);
  CHECK(encoded(6, x) == v5);
  CHECK(encoded(7, x) == v5);
  // ProduceResponse_v4(topics=[("t", [(0, 0, 42, 1700000000000)])], throttle_time_ms=3)
  produce_response v4;
  v4.responses = {{"t", {{0, 0, 42, 1700000000000, 0}}}};
  v4.throttle_time_ms = 3;
  CHECK(encoded(4, v4) ==
        "0000000100017400000001000000000000000000000000002a0000018bcfe5680000000003");
}

// Produce v0-v2 is advertised for librdkafka's compression check and answered with
// UNSUPPORTED_FOR_MESSAGE_FORMAT (43). Bytes from /usr/bin/python3 with kafka-python 2.0.2:
//   x = ProduceRequest_v0(required_acks=1, timeout=1500, topics=[("t", [(0, b"\x01\x02\x03"),
//     (2, None)])]); x.encode().hex()   (kafka-python's structs are weakly bound: keep x)
//   ProduceRequest_v2(required_acks=-1, timeout=30000, topics=[("t", [(1, b"abcd")])])
//   ProduceResponse_v0(topics=[("t", [(0, 43, -1), (2, 0, 42)])])
//   ProduceResponse_v1(topics=[("t", [(0, 43, -1)])], throttle_time_ms=3)
//   ProduceResponse_v2(topics=[("t", [(0, 43, -1, -1)])], throttle_time_ms=0)
TEST_CASE("produce v0-v2 requests and responses match kafka-python's encoder",
          "[kafka][produce]") {
  auto v0 = decoded<produce_request>(0, "0001000005dc00000001000174000000020000000000000003010203"
                                        "00000002ffffffff");
  CHECK_FALSE(v0.transactional_id.has_value());
  CHECK(v0.acks == 1);
  CHECK(v0.timeout_ms == 1500);
  REQUIRE(v0.topic_data.at(0).partition_data.size() == 2);
  CHECK(*v0.topic_data[0].partition_data[0].records == std::string_view{"\x01\x02\x03", 3});
  CHECK_FALSE(v0.topic_data[0].partition_data[1].records.has_value());
  auto v2 = decoded<produce_request>(2, "ffff000075300000000100017400000001000000010000000461626364");
  CHECK(v2.acks == -1);
  CHECK(v2.topic_data.at(0).partition_data.at(0).records == "abcd");
  produce_response x;
  x.responses = {{"t", {{0, 43, -1, -1, -1}, {2, 0, 42, -1, -1}}}};
  CHECK(encoded(0, x) == "000000010001740000000200000000002bffffffffffffffff0000000200000000000000"
                         "00002a");
  produce_response one;
  one.responses = {{"t", {{0, 43, -1, -1, -1}}}};
  one.throttle_time_ms = 3;
  CHECK(encoded(1, one) == "000000010001740000000100000000002bffffffffffffffff00000003");
  one.throttle_time_ms = 0;
  CHECK(encoded(2, one) == "000000010001740000000100000000002bffffffffffffffffffffffffffffffff0000"
                           "0000");
}
