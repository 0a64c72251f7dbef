// Tests of the ApiVersions codec on frames librdkafka and kafka-python send, responses
// checked against kafka-python's encoder (v0-v2) and Kafka's v3 schema.

#include <catch2/catch.hpp>

#include <string>

#include "runtime/kafka/api_keys.hpp"
#include "runtime/kafka/api_versions_codec.hpp"
#include "runtime/kafka/request_header.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

namespace {

// The first frame `kcat -b 127.0.0.1:<port> -L -m 3` (kcat 1.7.1, librdkafka 2.0.2) sends,
// size prefix removed, recorded by a /usr/bin/python3 socket server that prints it as hex.
const std::string kcat_api_versions_v3 =
  "0012000300000001000772646b61666b61000b6c696272646b61666b6106322e302e3200";

// The first frame of kafka-python 2.0.2 (`KafkaConsumer(bootstrap_servers=...)`, its version
// probe), size prefix removed, recorded the same way: ApiVersionRequest_v0, empty body.
const std::string kafka_python_api_versions_v0 =
  "001200000000000100126b61666b612d707974686f6e2d322e302e32";

// /usr/bin/python3: ApiVersionResponse_v0(error_code=E, api_versions=keys).encode().hex()
// with keys = [(0,0,7),(1,4,11),(2,1,3),(3,0,6),(8,1,7),(9,1,5),(10,0,2),(11,0,5),(12,0,3),
// (13,0,3),(14,0,3),(15,0,4),(16,0,2),(17,0,1),(18,0,3),(19,0,4),(20,0,3),(22,0,1),(29,0,1),
// (30,0,1),(31,0,1),(32,0,2),(33,0,1),(36,0,1),(37,0,1),(42,0,2),(44,0,0),(45,0,0),(46,0,0),
// (47,0,0)] (supported_apis()), after the error code.
const std::string supported_v0_keys =
  "0000001e00000000000700010004000b000200010003000300000006000800010007000900010005000a0000"
  "0002000b00000005000c00000003000d00000003000e00000003000f00000004001000000002001100000001"
  "001200000003001300000004001400000003001600000001001d00000001001e00000001001f000000010020"
  "00000002002100000001002400000001002500000001002a00000002002c00000000002d00000000002e00000000002f00000000";

api_versions_response two_keys(int32_t throttle) {
  api_versions_response x;
  x.api_keys = {{0, 3, 7}, {1, 4, 11}};
  x.throttle_time_ms = throttle;
  return x;
}

} // namespace

TEST_CASE("api_versions decodes librdkafka's v3 request with its header v2",
          "[kafka][api_versions]") {
  auto frame = from_hex(kcat_api_versions_v3);
  request_header h;
  REQUIRE(peek_request_header(frame, h));
  REQUIRE(h.api_key == 18);
  REQUIRE(h.api_version == 3);
  reader r{frame};
  decode_request_header(r, is_flexible(h.api_key, h.api_version), h);
  CHECK(h.correlation_id == 1);
  CHECK(h.client_id == "rdkafka");
  api_versions_request req;
  decode(r, h.api_version, req);
  REQUIRE(r.ok());
  CHECK(r.remaining() == 0);
  CHECK(req.client_software_name == "librdkafka");
  CHECK(req.client_software_version == "2.0.2");
}

TEST_CASE("api_versions decodes kafka-python's empty v0 request", "[kafka][api_versions]") {
  auto frame = from_hex(kafka_python_api_versions_v0);
  reader r{frame};
  request_header h;
  decode_request_header(r, is_flexible(18, 0), h);
  CHECK(h.client_id == "kafka-python-2.0.2");
  api_versions_request req;
  decode(r, h.api_version, req);
  REQUIRE(r.ok());
  CHECK(r.remaining() == 0);
  CHECK(req.client_software_name.empty());
}

TEST_CASE("api_versions v3 request edge cases fail the reader", "[kafka][api_versions]") {
  api_versions_request req;
  SECTION("truncated software version") {
    auto body = from_hex("0b6c696272646b61666b6106322e30");
    reader r{body};
    decode(r, 3, req);
    CHECK_FALSE(r.ok());
  }
  SECTION("null compact string where a string is required") {
    auto body = from_hex("000100");
    reader r{body};
    decode(r, 3, req);
    CHECK_FALSE(r.ok());
  }
  SECTION("missing tagged fields") {
    auto body = from_hex("0201" "0231");
    reader r{body};
    decode(r, 3, req);
    CHECK_FALSE(r.ok());
  }
  SECTION("unknown tagged fields are skipped") {
    auto body = from_hex("0261" "0231" "01" "05" "02" "abcd");
    reader r{body};
    decode(r, 3, req);
    CHECK(r.ok());
    CHECK(req.client_software_name == "a");
    CHECK(req.client_software_version == "1");
  }
}

TEST_CASE("api_versions responses v0-v2 match kafka-python's encoder", "[kafka][api_versions]") {
  // ApiVersionResponse_v1(error_code=0, api_versions=[(0,3,7),(1,4,11)], throttle_time_ms=5)
  CHECK(encoded(1, two_keys(5)) == "00000000000200000003000700010004000b00000005");
  // ApiVersionResponse_v2(error_code=0, api_versions=[(0,3,7),(1,4,11)], throttle_time_ms=0)
  CHECK(encoded(2, two_keys(0)) == "00000000000200000003000700010004000b00000000");
  // v0 has no throttle time: ApiVersionResponse_v0(error_code=0, api_versions=keys)
  CHECK(encoded(0, make_api_versions_response()) == "0000" + supported_v0_keys);
}

TEST_CASE("api_versions v3 response is flexible per Kafka's schema", "[kafka][api_versions]") {
  // error_code, compact array (2 + 1), each key then empty tags, throttle, empty tags.
  CHECK(encoded(3, two_keys(5)) ==
        "0000" "03" "00000003000700" "00010004000b00" "00000005" "00");
}

TEST_CASE("api_versions response advertises supported_apis", "[kafka][api_versions]") {
  auto res = make_api_versions_response();
  CHECK(res.error_code == 0);
  REQUIRE(res.api_keys.size() == supported_apis().size());
  for (size_t i = 0; i < res.api_keys.size(); ++i) {
    CHECK(res.api_keys[i].api_key == static_cast<int16_t>(supported_apis()[i].key));
    CHECK(res.api_keys[i].min_version == supported_apis()[i].min_version);
    CHECK(res.api_keys[i].max_version == supported_apis()[i].max_version);
  }
}

// librdkafka before 2.11.1 compresses a batch with gzip, snappy or lz4 only if the broker's
// Produce range includes v0 (rd_kafka_msgset_writer_select_MsgVersion asks for [0, 0]);
// without it kcat -z gzip sends uncompressed batches.
TEST_CASE("produce is advertised from v0 so that librdkafka compresses with every codec",
          "[kafka][api_versions]") {
  auto produce = find_api(0);
  REQUIRE(produce != nullptr);
  CHECK(produce->min_version == 0);
  CHECK(produce->max_version == 7);
}

TEST_CASE("an unsupported api_versions version gets a v0 body with error 35",
          "[kafka][api_versions]") {
  std::string out;
  writer w{out};
  encode_unsupported_api_versions(w);
  // ApiVersionResponse_v0(error_code=35, api_versions=keys).encode().hex()
  CHECK(to_hex(out) == "0023" + supported_v0_keys);
}
