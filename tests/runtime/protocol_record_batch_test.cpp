// Tests of the Kafka v2 record batch codec, writing and reading well-formed batches: varints,
// the builder and its header, round trips, Kafka's exact encoding, a batch written by another
// client, producer fields, and size bounds. Bad input: protocol_record_batch_validation_test.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/protocol/wire.hpp"
#include "tests/runtime/record_batch_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

TEST_CASE("varints are Kafka's zigzag encoding", "[protocol][record_batch]") {
  auto enc32 = [](int32_t v) {
    char buf[wire::max_varint_size];
    char* e = wire::write_varint(buf, v);
    CHECK(static_cast<size_t>(e - buf) == wire::varint_size(v));
    return std::string(buf, static_cast<size_t>(e - buf));
  };
  auto enc64 = [](int64_t v) {
    char buf[wire::max_varlong_size];
    char* e = wire::write_varlong(buf, v);
    CHECK(static_cast<size_t>(e - buf) == wire::varlong_size(v));
    return std::string(buf, static_cast<size_t>(e - buf));
  };
  CHECK(enc32(0) == bytes({0x00}));
  CHECK(enc32(-1) == bytes({0x01}));
  CHECK(enc32(1) == bytes({0x02}));
  CHECK(enc32(-2) == bytes({0x03}));
  CHECK(enc32(63) == bytes({0x7e}));
  CHECK(enc32(-64) == bytes({0x7f}));
  CHECK(enc32(64) == bytes({0x80, 0x01}));
  CHECK(enc32(INT32_MAX) == bytes({0xfe, 0xff, 0xff, 0xff, 0x0f}));
  CHECK(enc32(INT32_MIN) == bytes({0xff, 0xff, 0xff, 0xff, 0x0f}));
  CHECK(enc64(INT64_MIN)
        == bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  CHECK(enc64(INT64_MAX)
        == bytes({0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));

  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000; ++i) {
    auto v64 = static_cast<int64_t>(rng()) >> (rng() % 64);
    auto s = enc64(v64);
    const char* p = s.data();
    int64_t back;
    REQUIRE(wire::read_varlong(p, s.data() + s.size(), back));
    REQUIRE(back == v64);
    REQUIRE(p == s.data() + s.size());
    auto v32 = static_cast<int32_t>(v64);
    auto t = enc32(v32);
    p = t.data();
    int32_t back32;
    REQUIRE(wire::read_varint(p, t.data() + t.size(), back32));
    REQUIRE(back32 == v32);
  }

  SECTION("truncated and overlong varints are rejected") {
    auto t = enc32(INT32_MAX);
    const char* p = t.data();
    int32_t v;
    CHECK_FALSE(wire::read_varint(p, t.data() + t.size() - 1, v));
    auto overlong = bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
    p = overlong.data();
    CHECK_FALSE(wire::read_varint(p, overlong.data() + overlong.size(), v));
    p = overlong.data();
    CHECK_FALSE(wire::read_varint(p, overlong.data(), v)); // empty input
  }
}

TEST_CASE("batch_builder writes the v2 header", "[protocol][record_batch]") {
  auto batch = sample_batch();
  REQUIRE_FALSE(validate_batch(batch));
  batch_header h;
  REQUIRE(read_batch_header(batch.data(), batch.size(), h));
  CHECK(h.base_offset == 0);
  CHECK(h.total_size() == batch.size());
  CHECK(h.batch_length == static_cast<int32_t>(batch.size() - batch_log_overhead));
  CHECK(h.partition_leader_epoch == -1);
  CHECK(h.magic == 2);
  CHECK(h.attributes == 0);
  CHECK(h.record_count == 5);
  CHECK(h.last_offset_delta == 4);
  CHECK(h.first_timestamp == 1000);
  CHECK(h.max_timestamp == 1010);
  CHECK(h.producer_id == no_producer_id);
  CHECK(h.producer_epoch == no_producer_epoch);
  CHECK(h.base_sequence == -1);
  CHECK(h.crc == crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin));
  CHECK(h.next_offset() == log_offset{5});
  // Raw bytes of a few fields, big-endian.
  CHECK(static_cast<uint8_t>(batch[batch_magic_pos]) == 2);
  CHECK(wire::load_be32(batch.data() + 8) == batch.size() - 12);
  CHECK(wire::load_be32(batch.data() + 57) == 5u);
}

TEST_CASE("records round-trip through the builder", "[protocol][record_batch]") {
  auto batch = sample_batch();
  caf::error err;
  auto views = collect_views(batch, err);
  REQUIRE_FALSE(err);
  REQUIRE(views.size() == 5);
  for (size_t i = 0; i < views.size(); ++i)
    CHECK(views[i].offset == log_offset{static_cast<int64_t>(i)});
  CHECK(views[0].timestamp == 1000);
  CHECK(views[1].timestamp == 1003);
  CHECK(views[2].timestamp == 999); // negative delta
  CHECK(views[3].timestamp == 1010);
  CHECK(views[4].timestamp == 1005);

  CHECK(views[0].key == std::optional<std::string_view>{"k0"});
  CHECK(views[0].value == std::optional<std::string_view>{"v0"});
  CHECK(views[0].headers.empty());
  CHECK_FALSE(views[1].key.has_value());
  CHECK(views[1].value == std::optional<std::string_view>{"keyless"});
  CHECK(views[2].key == std::optional<std::string_view>{"tombstone"});
  CHECK_FALSE(views[2].value.has_value());
  // Empty is not null.
  REQUIRE(views[3].key.has_value());
  CHECK(views[3].key->empty());
  REQUIRE(views[3].value.has_value());
  CHECK(views[3].value->empty());
  REQUIRE(views[3].headers.size() == 3);
  CHECK(views[3].headers[0].first == "h1");
  CHECK(views[3].headers[0].second == "x");
  CHECK(views[3].headers[1].first.empty());
  CHECK(views[3].headers[1].second.empty());
  CHECK(views[3].headers[2].first == "trace");
  CHECK(views[3].headers[2].second == std::string(300, 't'));
  CHECK(views[4].value == std::optional<std::string_view>{std::string(1000, 'v')});

  std::vector<record> recs;
  REQUIRE_FALSE(decode_records(batch, recs));
  REQUIRE(recs.size() == 5);
  CHECK(recs[0].has_key);
  CHECK(recs[0].key == "k0");
  CHECK(recs[0].has_value);
  CHECK(recs[0].value == "v0");
  CHECK_FALSE(recs[1].has_key);
  CHECK(recs[1].value == "keyless");
  CHECK(recs[2].has_key);
  CHECK_FALSE(recs[2].has_value);
  CHECK(recs[3].has_key);
  CHECK(recs[3].key.empty());
  CHECK(recs[3].has_value);
  REQUIRE(recs[3].headers.size() == 3);
  CHECK(recs[3].headers[2].key == "trace");
  CHECK(recs[3].headers[2].value == std::string(300, 't'));
  CHECK(recs[4].offset == log_offset{4});
  CHECK(recs[4].timestamp == 1005);
}

TEST_CASE("batch_builder encodes a record exactly as Kafka does", "[protocol][record_batch]") {
  batch_builder b;
  b.append(1479847795005, std::string_view{"\x01\x02\x03\x04", 4},
           std::string_view{"\x05\x06\x07", 3}, {{"\x08\x09\x0a", "\x0b\x0c"}});
  auto batch = b.finish();
  // length 20, attributes, timestamp delta 0, offset delta 0, key 4 bytes, value 3 bytes,
  // one header with a 3-byte key and a 2-byte value; lengths zigzag-encoded.
  auto expected = bytes({40, 0, 0, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2, 6, 8, 9, 10, 4, 11, 12});
  REQUIRE(batch.size() == batch_header_size + expected.size());
  CHECK(hex(batch.substr(batch_header_size)) == hex(expected));
}

TEST_CASE("a batch written by another Kafka client decodes", "[protocol][record_batch]") {
  // Uncompressed v2 batch with one record (timestamp delta 5 ms, key 01..04, value 05..07,
  // header 08 09 0a = 0b 0c), CRC computed by that client.
  auto batch = bytes({
    0, 0, 0, 0, 0, 0, 0, 0,         // base offset
    0, 0, 0, 70,                    // batch length
    0, 0, 0, 0,                     // partition leader epoch
    2,                              // magic
    84, 121, 97, 253,               // crc
    0, 0,                           // attributes
    0, 0, 0, 0,                     // last offset delta
    0, 0, 1, 88, 141, 205, 89, 56,  // first timestamp 1479847795000
    0, 0, 0, 0, 0, 0, 0, 0,         // max timestamp
    0, 0, 0, 0, 0, 0, 0, 0,         // producer id
    0, 0,                           // producer epoch
    0, 0, 0, 0,                     // base sequence
    0, 0, 0, 1,                     // record count
    40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2, 6, 8, 9, 10, 4, 11, 12,
  });
  REQUIRE_FALSE(validate_batch(batch));
  std::vector<record> recs;
  REQUIRE_FALSE(decode_records(batch, recs));
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].offset == log_offset{0});
  CHECK(recs[0].timestamp == 1479847795005);
  CHECK(recs[0].key == std::string("\x01\x02\x03\x04"));
  CHECK(recs[0].value == std::string("\x05\x06\x07"));
  REQUIRE(recs[0].headers.size() == 1);
  CHECK(recs[0].headers[0].key == std::string("\x08\x09\x0a"));
  CHECK(recs[0].headers[0].value == std::string("\x0b\x0c"));

  // An empty batch from the same client (producer id 0, epoch 0, sequence 0) with last offset
  // delta 0: it claims an offset it has no record for, which Kafka refuses from a producer.
  auto empty = bytes({
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 49, 0, 0, 0, 0, 2, 89, 95, 183, 221, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0,
  });
  REQUIRE(empty.size() == batch_header_size);
  CHECK(describe(validate_batch(empty))
        == "invalid_record: batch at offset 0: record_count 0 (a batch holds at least one "
           "record)");
}

TEST_CASE("set_producer and reuse after finish", "[protocol][record_batch]") {
  batch_builder b;
  CHECK(b.empty());
  CHECK(b.size_bytes() == batch_header_size);
  b.set_producer(producer_id{77}, producer_epoch{3}, 1000);
  b.append(5, std::string_view{"k"}, std::string_view{"v"});
  CHECK(b.record_count() == 1);
  auto first = b.finish();
  batch_header h;
  REQUIRE(read_batch_header(first.data(), first.size(), h));
  CHECK(h.producer_id == producer_id{77});
  CHECK(h.producer_epoch == producer_epoch{3});
  CHECK(h.base_sequence == 1000);
  REQUIRE_FALSE(validate_batch(first));

  CHECK(b.empty());
  CHECK(b.record_count() == 0);
  CHECK(b.size_bytes() == batch_header_size);
  b.append(9, std::nullopt, std::string_view{"second"});
  auto second = b.finish();
  REQUIRE_FALSE(validate_batch(second));
  REQUIRE(read_batch_header(second.data(), second.size(), h));
  CHECK(h.producer_id == no_producer_id);
  CHECK(h.producer_epoch == no_producer_epoch);
  CHECK(h.base_sequence == -1);
  CHECK(h.record_count == 1);
  CHECK(h.first_timestamp == 9);
  std::vector<record> recs;
  REQUIRE_FALSE(decode_records(second, recs));
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].value == "second");
  CHECK(recs[0].offset == log_offset{0});
}

TEST_CASE("an empty builder finishes a batch claiming no offsets, which validation refuses",
          "[protocol][record_batch]") {
  batch_builder b;
  auto batch = b.finish();
  REQUIRE(batch.size() == batch_header_size);
  const std::string refused =
    "invalid_record: batch at offset 0: record_count 0 (a batch holds at least one record)";
  CHECK(describe(validate_batch(batch)) == refused);
  batch_header h;
  REQUIRE(read_batch_header(batch.data(), batch.size(), h));
  CHECK(h.record_count == 0);
  CHECK(h.next_offset() == h.base());
  int calls = 0;
  CHECK(describe(for_each_record(batch, [&](const record_view&) { ++calls; })) == refused);
  CHECK(calls == 0);
  std::vector<record> recs;
  CHECK_FALSE(decode_records(batch, recs));  // readers skip it
  CHECK(recs.empty());
}

TEST_CASE("size_with is an upper bound of the next size", "[protocol][record_batch]") {
  std::mt19937_64 rng(11);
  batch_builder b;
  const std::string big(70000, 'b');
  int64_t ts = 1'700'000'000'000;
  size_t violations = 0;
  for (int i = 0; i < 2000; ++i) {
    size_t key_size = rng() % 4 == 0 ? 0 : rng() % 300;
    size_t value_size = rng() % 50 == 0 ? rng() % big.size() : rng() % 200;
    // Timestamps jump far in both directions to exercise wide varlongs.
    ts += static_cast<int64_t>(rng() % 2000001) - 1000000;
    if (i % 500 == 499)
      ts = static_cast<int64_t>(rng() >> 2);
    auto bound = b.size_with(key_size, value_size);
    b.append(ts, std::string_view(big.data(), key_size),
             std::string_view(big.data(), value_size));
    if (b.size_bytes() > bound)
      ++violations;
    if (i % 400 == 399) {
      auto expected_size = b.size_bytes();
      auto batch = b.finish();
      REQUIRE(batch.size() == expected_size); // finish adds nothing
      REQUIRE_FALSE(validate_batch(batch));
    }
  }
  CHECK(violations == 0);
  auto before = b.size_bytes();
  auto batch = b.finish();
  CHECK(batch.size() == before);
  // The last finish in the loop took every record: this batch is empty, and refused.
  CHECK(errc_of(validate_batch(batch)) == errc::invalid_record);
}
