// Tests of the Kafka primitive reader/writer and the request/response headers.

#include <catch2/catch.hpp>

#include <string>

#include "runtime/kafka/api_keys.hpp"
#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"
#include "runtime/kafka/request_header.hpp"

using namespace cafka::kafka;

TEST_CASE("kafka primitives round-trip through writer and reader", "[kafka][primitives]") {
  std::string buf;
  writer w{buf};
  w.i8(-3);
  w.i16(-2);
  w.i32(123456789);
  w.i64(-9876543210);
  w.boolean(true);
  w.string("topic");
  w.nullable_string(std::nullopt);
  w.compact_string("abc");
  w.compact_nullable_string(std::nullopt);
  w.bytes("xyz");
  w.nullable_bytes(std::nullopt);
  w.compact_array_length(2);
  w.array_length(-1);
  w.varint(-300);
  w.varlong(1LL << 40);
  w.empty_tagged_fields();
  reader r{buf};
  CHECK(r.i8() == -3);
  CHECK(r.i16() == -2);
  CHECK(r.i32() == 123456789);
  CHECK(r.i64() == -9876543210);
  CHECK(r.boolean());
  CHECK(r.string() == "topic");
  CHECK_FALSE(r.nullable_string().has_value());
  CHECK(r.compact_string() == "abc");
  CHECK_FALSE(r.compact_nullable_string().has_value());
  CHECK(r.bytes() == "xyz");
  CHECK_FALSE(r.nullable_bytes().has_value());
  CHECK(r.compact_array_length() == 2);
  CHECK(r.array_length() == -1);
  CHECK(r.varint() == -300);
  CHECK(r.varlong() == (1LL << 40));
  r.skip_tagged_fields();
  CHECK(r.ok());
  CHECK(r.remaining() == 0);
}

TEST_CASE("kafka reader fails on truncation and stays failed", "[kafka][primitives]") {
  std::string buf{"\x00\x05" "ab", 4}; // a string of 5 bytes with 2 present
  reader r{buf};
  CHECK(r.string().empty());
  CHECK_FALSE(r.ok());
  CHECK(std::string{r.error()} == "truncated");
  CHECK(r.i32() == 0);
  CHECK(r.remaining() == 0);
}

TEST_CASE("kafka reader refuses array counts beyond the message", "[kafka][primitives]") {
  std::string buf;
  writer w{buf};
  w.array_length(1000000);
  w.i32(1);
  reader r{buf};
  CHECK(r.array_length(4) == 0);
  CHECK_FALSE(r.ok());
  CHECK(std::string{r.error()} == "array length beyond the message");
}

TEST_CASE("kafka reader refuses negative lengths other than null", "[kafka][primitives]") {
  std::string buf;
  writer w{buf};
  w.i16(-2);
  reader r{buf};
  r.nullable_string();
  CHECK_FALSE(r.ok());
  CHECK(std::string{r.error()} == "negative length");
}

TEST_CASE("kafka reader skips tagged fields", "[kafka][primitives]") {
  std::string buf;
  writer w{buf};
  w.uvarint(2);
  w.uvarint(0);
  w.uvarint(2);
  w.raw("zz");
  w.uvarint(7);
  w.uvarint(1);
  w.raw("q");
  w.i8(42);
  reader r{buf};
  r.skip_tagged_fields();
  CHECK(r.i8() == 42);
  CHECK(r.ok());
}

TEST_CASE("request header v1 and v2 decode as clients send them", "[kafka][header]") {
  // librdkafka's first request: ApiVersions v3, header v2, client id "rdkafka".
  std::string frame;
  writer w{frame};
  w.i16(18);
  w.i16(3);
  w.i32(1);
  w.nullable_string(std::string_view{"rdkafka"});
  w.empty_tagged_fields();
  w.compact_string("librdkafka");
  reader r{frame};
  request_header h;
  decode_request_header(r, is_flexible(18, 3), h);
  CHECK(h.api_key == 18);
  CHECK(h.api_version == 3);
  CHECK(h.correlation_id == 1);
  CHECK(h.client_id == std::optional<std::string>{"rdkafka"});
  CHECK(r.compact_string() == "librdkafka");
  CHECK(r.ok());
  request_header peeked;
  CHECK(peek_request_header(frame, peeked));
  CHECK(peeked.correlation_id == 1);
  CHECK_FALSE(peek_request_header(frame.substr(0, 7), peeked));
}

TEST_CASE("the API table serves each key once with sane ranges", "[kafka][header]") {
  for (auto& a : supported_apis()) {
    CHECK(find_api(static_cast<int16_t>(a.key)) == &a);
    CHECK(a.min_version <= a.max_version);
  }
  CHECK(find_api(4) == nullptr); // LeaderAndIsr: between Kafka brokers only
  CHECK(is_flexible(18, 3));
  CHECK_FALSE(is_flexible(0, 7));
}
