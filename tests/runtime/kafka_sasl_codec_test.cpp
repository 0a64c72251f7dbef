// Tests of the SaslHandshake and SaslAuthenticate codecs: requests hand-built per Kafka's
// schemas (SaslHandshakeRequest.json, SaslAuthenticateRequest.json; v0 and v1 share a
// layout), whole request frames, byte-exact responses per version, and round trips through
// the reader and writer.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/kafka/codec_arrays.hpp"
#include "runtime/kafka/request_header.hpp"
#include "runtime/kafka/sasl_codec.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

namespace {

// "Authentication failed: Invalid username or password" (51 bytes) as a STRING, in hex.
constexpr const char* invalid_password_hex =
  "0033" "41757468656e7469636174696f6e206661696c65643a20496e76616c696420757365726e616d65"
  "206f722070617373776f7264";

} // namespace

TEST_CASE("sasl_handshake requests v0 and v1 carry the mechanism name", "[kafka][sasl]") {
  for (int16_t v : {0, 1})
    CHECK(decoded<sasl_handshake_request>(v, "0005504c41494e").mechanism == "PLAIN");
  // Header v1 (key 17, version 1, correlation id 1, client id "rdkafka"), body
  // "SCRAM-SHA-512".
  request_header h;
  auto req = decoded_frame<sasl_handshake_request>(
    from_hex("0011000100000001000772646b61666b61000d534352414d2d5348412d353132"), h);
  CHECK(h.api_key == 17);
  CHECK(h.api_version == 1);
  CHECK(h.correlation_id == 1);
  CHECK(req.mechanism == "SCRAM-SHA-512");
}

TEST_CASE("sasl_handshake request edge cases fail the reader", "[kafka][sasl]") {
  auto error = [](const std::string& hex) {
    return decode_error<sasl_handshake_request>(1, hex);
  };
  CHECK(error("") == "truncated");
  CHECK(error("0005504c41") == "truncated");
  CHECK(error("ffff") == "negative length");
  CHECK(error("0000") == "");
}

TEST_CASE("sasl_handshake responses list the enabled mechanisms, the same in v0 and v1",
          "[kafka][sasl]") {
  sasl_handshake_response ok;
  ok.mechanisms = {"PLAIN", "SCRAM-SHA-512"};
  CHECK(encoded(0, ok) == "0000" "00000002" "0005504c41494e" "000d534352414d2d5348412d353132");
  CHECK(encoded(1, ok) == encoded(0, ok));
  sasl_handshake_response unsupported;
  unsupported.error_code = 33; // unsupported_sasl_mechanism
  unsupported.mechanisms = {"SCRAM-SHA-256"};
  CHECK(encoded(1, unsupported) == "0021" "00000001" "000d534352414d2d5348412d323536");
  CHECK(encoded(0, sasl_handshake_response{}) == "0000" "00000000");
}

TEST_CASE("sasl_authenticate requests v0 and v1 carry the token's bytes", "[kafka][sasl]") {
  auto plain = std::string{"\0alice\0secret", 13};
  for (int16_t v : {0, 1})
    CHECK(decoded<sasl_authenticate_request>(v, "0000000d00616c69636500736563726574").auth_bytes
          == plain);
  request_header h;
  auto req = decoded_frame<sasl_authenticate_request>(
    from_hex("0024000100000002000772646b61666b610000000d00616c69636500736563726574"), h);
  CHECK(h.api_key == 36);
  CHECK(h.api_version == 1);
  CHECK(req.auth_bytes == plain);
  CHECK(decoded<sasl_authenticate_request>(0, "00000000").auth_bytes == "");
}

TEST_CASE("sasl_authenticate request edge cases fail the reader", "[kafka][sasl]") {
  auto error = [](const std::string& hex) {
    return decode_error<sasl_authenticate_request>(1, hex);
  };
  CHECK(error("") == "truncated");
  CHECK(error("000000") == "truncated");
  CHECK(error("0000000500") == "truncated");
  CHECK(error("ffffffff") == "negative length"); // not nullable
}

TEST_CASE("sasl_authenticate responses: v1 adds the session lifetime", "[kafka][sasl]") {
  sasl_authenticate_response ok;
  ok.auth_bytes = "v=abc";
  CHECK(encoded(0, ok) == "0000" "ffff" "00000005763d616263");
  CHECK(encoded(1, ok) == "0000" "ffff" "00000005763d616263" "0000000000000000");
  ok.session_lifetime_ms = 3600000;
  CHECK(encoded(1, ok) == "0000" "ffff" "00000005763d616263" "000000000036ee80");
  CHECK(encoded(0, ok) == "0000" "ffff" "00000005763d616263");
  sasl_authenticate_response failed;
  failed.error_code = 58; // sasl_authentication_failed
  failed.error_message = "Authentication failed: Invalid username or password";
  CHECK(encoded(0, failed) == std::string{"003a"} + invalid_password_hex + "00000000");
  CHECK(encoded(1, failed)
        == std::string{"003a"} + invalid_password_hex + "00000000" + "0000000000000000");
}

TEST_CASE("sasl requests written by a client decode to what it wrote", "[kafka][sasl]") {
  std::string token{"n,,n=alice,r=\x01\xff\0", 16};
  for (int16_t v : {0, 1}) {
    std::string handshake;
    writer{handshake}.string("SCRAM-SHA-256");
    reader hr{handshake};
    sasl_handshake_request h;
    decode(hr, v, h);
    CHECK(hr.ok());
    CHECK(hr.remaining() == 0);
    CHECK(h.mechanism == "SCRAM-SHA-256");
    std::string authenticate;
    writer{authenticate}.bytes(token);
    reader ar{authenticate};
    sasl_authenticate_request a;
    decode(ar, v, a);
    CHECK(ar.ok());
    CHECK(ar.remaining() == 0);
    CHECK(a.auth_bytes == token);
  }
}

TEST_CASE("sasl responses read back field by field as a client reads them", "[kafka][sasl]") {
  sasl_handshake_response h;
  h.error_code = 33;
  h.mechanisms = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
  sasl_authenticate_response a;
  a.error_message = "a message";
  a.auth_bytes = std::string{"\0\x01\xfe", 3};
  a.session_lifetime_ms = -2;
  for (int16_t v : {0, 1}) {
    std::string hbytes;
    writer hw{hbytes};
    encode(hw, v, h);
    reader hr{hbytes};
    CHECK(hr.i16() == 33);
    std::vector<std::string> mechanisms;
    read_string_array(hr, mechanisms);
    CHECK(mechanisms == h.mechanisms);
    CHECK(hr.ok());
    CHECK(hr.remaining() == 0);
    std::string abytes;
    writer aw{abytes};
    encode(aw, v, a);
    reader ar{abytes};
    CHECK(ar.i16() == 0);
    CHECK(ar.nullable_string() == a.error_message);
    CHECK(ar.bytes() == a.auth_bytes);
    if (v >= 1)
      CHECK(ar.i64() == -2);
    CHECK(ar.ok());
    CHECK(ar.remaining() == 0);
  }
}
