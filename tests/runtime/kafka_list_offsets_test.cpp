// Tests of the ListOffsets codec: librdkafka's v2 frames, requests from kafka-python's
// encoders, responses byte-for-byte against kafka-python's OffsetResponse_v1..v3.

#include <catch2/catch.hpp>

#include <string>

#include "runtime/kafka/list_offsets_codec.hpp"
#include "runtime/kafka/request_header.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

TEST_CASE("list_offsets v2 requests from librdkafka", "[kafka][list_offsets]") {
  // Frames (size prefix removed) librdkafka 2.0.2 sent to a fake broker (a /usr/bin/python3
  // server answering ApiVersions v3, Metadata v4 with topic "t", ListOffsets and Fetch with
  // kafka-python's encoders, printing each frame) for
  //   kcat -b 127.0.0.1:<port> -C -t t -p 0 -o beginning -e   (earliest, -2)
  //   kcat -b 127.0.0.1:<port> -C -t t -p 0 -o end -e         (latest, -1)
  const std::string head = "0002000200000004000772646b61666b61ffffffff01000000010001740000000100"
                           "000000";
  for (auto [tail, ts] : {std::pair{"fffffffffffffffe", list_offsets_earliest},
                          std::pair{"ffffffffffffffff", list_offsets_latest}}) {
    request_header h;
    auto req = decoded_frame<list_offsets_request>(from_hex(head + tail), h);
    CHECK(h.api_version == 2);
    CHECK(req.replica_id == -1);
    CHECK(req.isolation_level == 1); // librdkafka's default isolation.level=read_committed
    REQUIRE(req.topics.size() == 1);
    CHECK(req.topics[0].name == "t");
    REQUIRE(req.topics[0].partitions.size() == 1);
    CHECK(req.topics[0].partitions[0].partition_index == 0);
    CHECK(req.topics[0].partitions[0].timestamp == ts);
  }
}

// Request bodies from /usr/bin/python3 with kafka-python 2.0.2
// (from kafka.protocol.offset import *), each call named above its bytes.
TEST_CASE("list_offsets requests v1-v3 from kafka-python's encoder", "[kafka][list_offsets]") {
  // OffsetRequest_v1(replica_id=-1, topics=[("t", [(0, -1), (2, -2)]),
  //   ("u", [(1, 1700000000000)])]).encode().hex()
  auto v1 = decoded<list_offsets_request>(
    1, "ffffffff000000020001740000000200000000ffffffffffffffff00000002fffffffffffffffe0001750000"
       "0001000000010000018bcfe56800");
  CHECK(v1.isolation_level == 0);
  REQUIRE(v1.topics.size() == 2);
  CHECK(v1.topics[0].partitions.at(1).partition_index == 2);
  CHECK(v1.topics[0].partitions.at(1).timestamp == list_offsets_earliest);
  CHECK(v1.topics[1].name == "u");
  CHECK(v1.topics[1].partitions.at(0).timestamp == 1700000000000);
  // OffsetRequest_v2(replica_id=-1, isolation_level=1, topics=[("t", [(0, -1)])])
  auto v2 = decoded<list_offsets_request>(2, "ffffffff01000000010001740000000100000000ffffffffff"
                                             "ffffff");
  CHECK(v2.isolation_level == 1);
  CHECK(v2.topics.at(0).partitions.at(0).timestamp == list_offsets_latest);
  // OffsetRequest_v3(replica_id=-1, isolation_level=0, topics=[])
  CHECK(decoded<list_offsets_request>(3, "ffffffff0000000000").topics.empty());
}

TEST_CASE("list_offsets request edge cases fail the reader", "[kafka][list_offsets]") {
  auto error = [](int16_t version, const std::string& hex) {
    return decode_error<list_offsets_request>(version, hex);
  };
  CHECK(error(2, "ffffffff") == "truncated"); // no isolation level
  CHECK(error(2, "ffffffff00ffffffff") == "null array");
  CHECK(error(2, "ffffffff00" "00000002" "000174" "00000000") ==
        "array length beyond the message");
  CHECK(error(1, "ffffffff" "00000001" "000174" "00000001" "00000000ffffffff") ==
        "array length beyond the message"); // a partition needs 12 bytes
  CHECK(error(1, "ffffffff" "00000001" "000174" "80000000") == "negative array length");
  CHECK(error(1, "ffffffff" "00000001" "0005" "740000000000") == "truncated");
}

// Expected bytes from /usr/bin/python3 with kafka-python 2.0.2; partition tuples are
// (partition, error_code, timestamp, offset).
TEST_CASE("list_offsets responses v1-v3 match kafka-python's encoder", "[kafka][list_offsets]") {
  list_offsets_response v1;
  v1.topics = {{"t", {{0, 0, -1, 25}, {2, 3, -1, -1}}}};
  // OffsetResponse_v1(topics=[("t", [(0, 0, -1, 25), (2, 3, -1, -1)])])
  CHECK(encoded(1, v1) == "0000000100017400000002000000000000ffffffffffffffff000000000000001900"
                          "0000020003ffffffffffffffffffffffffffffffff");
  list_offsets_response x;
  x.topics = {{"t", {{0, 0, 1700000000000, 12}}}, {"u", {}}};
  // OffsetResponse_v2(throttle_time_ms=0, topics=[("t", [(0, 0, 1700000000000, 12)]),
  //   ("u", [])])
  CHECK(encoded(2, x) == "0000000000000002000174000000010000000000000000018bcfe568000000000000"
                         "00000c00017500000000");
  // OffsetResponse_v3(throttle_time_ms=4, ...the same topics)
  x.throttle_time_ms = 4;
  CHECK(encoded(3, x) == "0000000400000002000174000000010000000000000000018bcfe568000000000000"
                         "00000c00017500000000");
}
