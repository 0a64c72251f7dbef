// Tests of validate_batch as every append path runs it: each rule (count, framing, the
// timestamp window, compressed records, the decompression cap) on hand-built batches, with the
// exact error a producer gets.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/protocol/wire.hpp"

using namespace cafka;

namespace {

constexpr int64_t now = 1'700'000'000'000;
constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();

std::string varint(int32_t v) {
  char buf[wire::max_varint_size];
  return std::string(buf, wire::write_varint(buf, v));
}

std::string varlong(int64_t v) {
  char buf[wire::max_varlong_size];
  return std::string(buf, wire::write_varlong(buf, v));
}

// The body of one record: attributes, deltas, key and value (nullopt: null), no headers.
std::string body(int32_t offset_delta, int64_t ts_delta = 0, std::string key = "k",
                 std::string value = "value") {
  return std::string(1, '\0') + varlong(ts_delta) + varint(offset_delta)
         + varint(static_cast<int32_t>(key.size())) + key
         + varint(static_cast<int32_t>(value.size())) + value + varint(0);
}

// A record: its body's length, then the body.
std::string rec(const std::string& b) {
  return varint(static_cast<int32_t>(b.size())) + b;
}

// A batch with these record bytes and header fields, its length and CRC consistent.
std::string raw_batch(const std::string& records, int32_t count, int32_t last_offset_delta,
                      int64_t first_ts = now, int64_t max_ts = now) {
  std::string b(batch_header_size, '\0');
  b += records;
  char* p = b.data();
  wire::store_be64(p, 0);
  wire::store_be32(p + 8, static_cast<uint32_t>(b.size() - batch_log_overhead));
  wire::store_be32(p + batch_leader_epoch_pos, static_cast<uint32_t>(-1));
  p[batch_magic_pos] = batch_magic;
  wire::store_be32(p + 23, static_cast<uint32_t>(last_offset_delta));
  wire::store_be64(p + 27, static_cast<uint64_t>(first_ts));
  wire::store_be64(p + 35, static_cast<uint64_t>(max_ts));
  wire::store_be64(p + 43, static_cast<uint64_t>(-1));
  wire::store_be16(p + 51, static_cast<uint16_t>(-1));
  wire::store_be32(p + 53, static_cast<uint32_t>(-1));
  wire::store_be32(p + 57, static_cast<uint32_t>(count));
  wire::store_be32(p + batch_crc_pos,
                   crc32c(p + batch_crc_begin, b.size() - batch_crc_begin));
  return b;
}

// `n` well-formed records with offset deltas 0..n-1 and timestamps now + i.
std::string good_records(int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += rec(body(i, i));
  return out;
}

batch_limits producer_limits(int64_t before = int64_max, int64_t after = 3600000) {
  batch_limits l;
  l.timestamps = timestamp_window{now, before, after};
  return l;
}

std::string refusal(const caf::error& err) {
  return err ? describe(err) : "accepted";
}

const compression_codec codecs[] = {compression_codec::gzip, compression_codec::snappy,
                                    compression_codec::lz4, compression_codec::zstd};

} // namespace

TEST_CASE("a well-formed batch passes every append path's check", "[protocol][validation]") {
  CHECK(refusal(validate_batch(raw_batch(good_records(3), 3, 2), producer_limits()))
        == "accepted");
  batch_builder b;
  for (int i = 0; i < 100; ++i)
    b.append(now - 5000 + i, std::string_view{"key"}, std::string_view{std::string(100, 'x')});
  auto plain = b.finish();
  CHECK(refusal(validate_batch(plain, producer_limits(60000, 0))) == "accepted");
  for (auto codec : codecs) {
    auto c = plain;
    REQUIRE(compress_batch(c, codec));
    CHECK(refusal(validate_batch(c, producer_limits())) == "accepted");
  }
}

TEST_CASE("the record count must be at least 1 and last offset delta + 1",
          "[protocol][validation]") {
  SECTION("record_count 0, as a builder writes an empty batch") {
    auto empty = batch_builder{}.finish();
    CHECK(refusal(validate_batch(empty))
          == "invalid_record: batch at offset 0: record_count 0 (a batch holds at least one "
             "record)");
    // Stored at another offset, the error names it.
    set_base_offset(empty.data(), log_offset{42});
    CHECK(refusal(validate_batch(empty))
          == "invalid_record: batch at offset 42: record_count 0 (a batch holds at least one "
             "record)");
  }
  SECTION("record_count 0 claiming 2^31 offsets") {
    auto b = raw_batch("", 0, std::numeric_limits<int32_t>::max());
    CHECK(refusal(validate_batch(b))
          == "invalid_record: batch at offset 0: record_count 0 (a batch holds at least one "
             "record)");
  }
  SECTION("a negative count") {
    CHECK(refusal(validate_batch(raw_batch(good_records(1), -1, -2)))
          == "invalid_record: batch at offset 0: record_count -1 (a batch holds at least one "
             "record)");
  }
  SECTION("count != last offset delta + 1") {
    CHECK(refusal(validate_batch(raw_batch(good_records(2), 2, 5)))
          == "invalid_record: batch at offset 0: record_count 2 does not match "
             "last_offset_delta 5 (count must be delta + 1)");
  }
  SECTION("more records than the bytes can hold") {
    auto b = raw_batch(good_records(2), std::numeric_limits<int32_t>::max(),
                       std::numeric_limits<int32_t>::max() - 1);
    CHECK(refusal(validate_batch(b))
          == "invalid_record: batch at offset 0: record_count 2147483647 is more than 26 "
             "bytes of records can hold");
  }
  SECTION("fewer records than the count") {
    auto records = good_records(2);
    CHECK(refusal(validate_batch(raw_batch(records, 3, 2)))
          == "invalid_record: batch at offset 0: record 2: missing (fewer records than "
             "record_count)");
  }
}

TEST_CASE("every record's framing is checked", "[protocol][validation]") {
  SECTION("a truncated record: its key runs past the record's end") {
    auto b0 = std::string(1, '\0') + varlong(0) + varint(0) + varint(10) + "abc";
    CHECK(refusal(validate_batch(raw_batch(rec(b0), 1, 0)))
          == "invalid_record: batch at offset 0: record 0: key or value length out of range");
  }
  SECTION("a record length past the end of the batch") {
    auto b1 = body(1);
    auto records = rec(body(0)) + varint(static_cast<int32_t>(b1.size() + 5)) + b1;
    CHECK(refusal(validate_batch(raw_batch(records, 2, 1)))
          == "invalid_record: batch at offset 0: record 1: length out of range (past the end "
             "of the batch)");
  }
  SECTION("a record length longer than its fields") {
    auto b1 = body(1);
    auto records = rec(body(0)) + varint(static_cast<int32_t>(b1.size() + 1)) + b1 + "z";
    CHECK(refusal(validate_batch(raw_batch(records, 2, 1)))
          == "invalid_record: batch at offset 0: record 1: length does not match its fields");
  }
  SECTION("trailing bytes after the last record") {
    CHECK(refusal(validate_batch(raw_batch(good_records(2) + std::string("\x02\x00", 2), 2, 1)))
          == "invalid_record: batch at offset 0: 2 bytes after the last record");
  }
  SECTION("an offset delta that is not the record's index") {
    auto records = rec(body(0)) + rec(body(0));
    CHECK(refusal(validate_batch(raw_batch(records, 2, 1)))
          == "invalid_record: batch at offset 0: record 1: offset delta 0 is not its index");
  }
  SECTION("a header count beyond the record") {
    auto b0 = body(0);
    b0.pop_back();  // header count 0
    b0 += varint(1000);
    CHECK(refusal(validate_batch(raw_batch(rec(b0), 1, 0)))
          == "invalid_record: batch at offset 0: record 0: header count out of range");
  }
  SECTION("a null header key") {
    auto b0 = body(0);
    b0.pop_back();
    b0 += varint(1) + varint(-1) + varint(-1);
    CHECK(refusal(validate_batch(raw_batch(rec(b0), 1, 0)))
          == "invalid_record: batch at offset 0: record 0: header malformed");
  }
}

TEST_CASE("a compressed batch's records are framed like an uncompressed one's",
          "[protocol][validation]") {
  std::string records;
  for (int i = 0; i < 20; ++i)
    records += rec(body(i == 7 ? 3 : i, 0, "key", std::string(200, 'a')));
  auto plain = raw_batch(records, 20, 19);
  const std::string expected =
    "invalid_record: batch at offset 0: record 7: offset delta 3 is not its index";
  REQUIRE(refusal(validate_batch(plain)) == expected);
  for (auto codec : codecs) {
    auto c = plain;
    REQUIRE(compress_batch(c, codec));
    CAPTURE(c.size());
    CHECK(refusal(validate_batch(c, producer_limits())) == expected);
    CHECK(refusal(for_each_record(c, [](const record_view&) {})) == expected);
  }
  SECTION("trailing bytes inside the compressed block") {
    auto c = raw_batch(good_records(20) + std::string(300, '\0'), 20, 19);
    REQUIRE(compress_batch(c, compression_codec::zstd));
    CHECK(refusal(validate_batch(c))
          == "invalid_record: batch at offset 0: 300 bytes after the last record");
  }
}

TEST_CASE("a broker caps decompression at message-max-bytes times the ratio",
          "[protocol][validation]") {
  CHECK(max_uncompressed_for(1048588) == 1048588 * max_compression_ratio);
  CHECK(max_uncompressed_for(256 << 20) == max_uncompressed_ceiling);
  batch_builder bomb{compression_codec::zstd};
  bomb.append(now, std::nullopt, std::string_view{std::string(100 << 10, '\0')});
  auto b = bomb.finish();
  REQUIRE(b.size() < 1024);
  batch_limits limits;
  limits.max_uncompressed = max_uncompressed_for(1024);
  CHECK(refusal(validate_batch(b, limits))
        == "corrupt_message: batch at offset 0: zstd: decompressed size exceeds the limit of "
           "65536 bytes");
  limits.max_uncompressed = max_uncompressed_for(2048);
  CHECK(refusal(validate_batch(b, limits)) == "accepted");
}

TEST_CASE("timestamps must lie in the broker's window", "[protocol][validation]") {
  const int64_t hour = 3600000;
  const int64_t day = 24 * hour;
  SECTION("a record too far in the future") {
    auto records = rec(body(0, 0)) + rec(body(1, hour + 1));
    auto b = raw_batch(records, 2, 1, now, now + hour + 1);
    // max_timestamp is checked before the records.
    CHECK(refusal(validate_batch(b, producer_limits()))
          == "invalid_timestamp: batch at offset 0: max_timestamp 1700003600001 is outside "
             "[-9223372036854775808, 1700003600000] (broker time 1700000000000)");
    auto lying = raw_batch(records, 2, 1, now, now);  // max_timestamp hides the record
    CHECK(refusal(validate_batch(lying, producer_limits()))
          == "invalid_timestamp: batch at offset 0: record 1 timestamp 1700003600001 is "
             "outside [-9223372036854775808, 1700003600000] (broker time 1700000000000)");
    CHECK(refusal(validate_batch(raw_batch(rec(body(0, 0)) + rec(body(1, hour)), 2, 1, now,
                                           now + hour),
                                 producer_limits()))
          == "accepted");
  }
  SECTION("a record too far in the past") {
    auto records = rec(body(0, 0)) + rec(body(1, -(day + 1)));
    auto b = raw_batch(records, 2, 1, now, now);
    CHECK(refusal(validate_batch(b, producer_limits(day)))
          == "invalid_timestamp: batch at offset 0: record 1 timestamp 1699913599999 is "
             "outside [1699913600000, 1700003600000] (broker time 1700000000000)");
    // The default before-max-ms is unbounded, as Kafka's.
    CHECK(refusal(validate_batch(b, producer_limits())) == "accepted");
    auto old_first = raw_batch(rec(body(0, 0)), 1, 0, now - day - 1, now);
    CHECK(refusal(validate_batch(old_first, producer_limits(day)))
          == "invalid_timestamp: batch at offset 0: first_timestamp 1699913599999 is outside "
             "[1699913600000, 1700003600000] (broker time 1700000000000)");
  }
  SECTION("NO_TIMESTAMP (-1) is exempt, as in Kafka") {
    auto b = raw_batch(rec(body(0, 0)), 1, 0, -1, -1);
    CHECK(refusal(validate_batch(b, producer_limits(day))) == "accepted");
  }
  SECTION("INT64_MAX, which would block time retention") {
    auto b = raw_batch(rec(body(0, 0)), 1, 0, int64_max, int64_max);
    CHECK(refusal(validate_batch(b, producer_limits()))
          == "invalid_timestamp: batch at offset 0: first_timestamp 9223372036854775807 is "
             "outside [-9223372036854775808, 1700003600000] (broker time 1700000000000)");
    // A follower's copy does not check timestamps: the leader did.
    CHECK(refusal(validate_batch(b)) == "accepted");
    // Unbounded both ways accepts every timestamp.
    CHECK(refusal(validate_batch(b, producer_limits(int64_max, int64_max))) == "accepted");
  }
  SECTION("the window saturates instead of overflowing") {
    batch_limits l;
    l.timestamps = timestamp_window{-int64_max, int64_max - 1, int64_max - 1};
    auto low = raw_batch(rec(body(0, 0)), 1, 0, -int64_max - 1, -int64_max - 1);
    CHECK(refusal(validate_batch(low, l)) == "accepted");
    l.timestamps = timestamp_window{int64_max, 0, int64_max - 1};
    auto high = raw_batch(rec(body(0, 0)), 1, 0, int64_max, int64_max);
    CHECK(refusal(validate_batch(high, l)) == "accepted");
  }
  SECTION("compressed records are checked too") {
    std::string records;
    for (int i = 0; i < 20; ++i)
      records += rec(body(i, i == 12 ? 2 * hour : 0, "key", std::string(100, 'a')));
    auto c = raw_batch(records, 20, 19, now, now);
    REQUIRE(compress_batch(c, compression_codec::lz4));
    CHECK(refusal(validate_batch(c, producer_limits()))
          == "invalid_timestamp: batch at offset 0: record 12 timestamp 1700007200000 is "
             "outside [-9223372036854775808, 1700003600000] (broker time 1700000000000)");
  }
}

TEST_CASE("decoding reserves no more records than the batch's bytes can hold",
          "[protocol][validation]") {
  // A compressed batch claiming INT32_MAX records that holds one: its count is only known to
  // be wrong after decompression.
  std::string records = rec(body(0, 0, "key", std::string(4000, 'a')));
  auto b = raw_batch(records, 1, 0);
  REQUIRE(compress_batch(b, compression_codec::gzip));
  wire::store_be32(b.data() + 23, static_cast<uint32_t>(std::numeric_limits<int32_t>::max() - 1));
  wire::store_be32(b.data() + 57, static_cast<uint32_t>(std::numeric_limits<int32_t>::max()));
  wire::store_be32(b.data() + batch_crc_pos,
                   crc32c(b.data() + batch_crc_begin, b.size() - batch_crc_begin));
  std::vector<record> recs;
  // (decode_records reads batches as a log stores them: a record_count up to
  // last_offset_delta + 1, so the missing second record shows as bytes past the end.)
  CHECK(refusal(decode_records(b, recs))
        == "invalid_record: batch at offset 0: record 1: length out of range (past the end of "
           "the batch)");
  CHECK(recs.empty());
  CHECK(recs.capacity() <= (b.size() - batch_header_size) / 7);
}
