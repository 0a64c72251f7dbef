// Tests of the Kafka v2 record batch codec: builder, header, validation, record decoding,
// in-place patches, malformed and truncated input, and a batch written by another client.

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/protocol/wire.hpp"

using namespace cafka;

namespace {

bool is_corrupt(const caf::error& err) {
  return errc_of(err) == errc::corrupt_message;
}

std::string hex(std::string_view s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
    out += ' ';
  }
  return out;
}

std::string bytes(std::initializer_list<int> xs) {
  std::string out;
  for (int x : xs)
    out.push_back(static_cast<char>(x));
  return out;
}

// Recomputes the CRC after a test deliberately edits bytes it covers.
void fix_crc(std::string& batch) {
  wire::store_be32(batch.data() + batch_crc_pos,
                   crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin));
}

// The views point into `batch`, which must outlive the result.
std::vector<record_view> collect_views(std::string_view batch, caf::error& err) {
  std::vector<record_view> out;
  err = for_each_record(batch, [&](const record_view& v) { out.push_back(v); });
  return out;
}

// A batch of 5 records covering keyed, keyless, null value, empty strings and headers.
std::string sample_batch() {
  batch_builder b;
  b.append(1000, std::string_view{"k0"}, std::string_view{"v0"});
  b.append(1003, std::nullopt, std::string_view{"keyless"});
  b.append(999, std::string_view{"tombstone"}, std::nullopt, {});
  b.append(1010, std::string_view{""}, std::string_view{""},
           {{"h1", "x"}, {"", ""}, {"trace", std::string(300, 't')}});
  b.append(1005, std::string_view{"big"}, std::string_view{std::string(1000, 'v')});
  return b.finish();
}

} // namespace

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
  CHECK(h.producer_id == -1);
  CHECK(h.producer_epoch == -1);
  CHECK(h.base_sequence == -1);
  CHECK(h.crc == crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin));
  CHECK(h.next_offset() == 5);
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
        == "corrupt_message: last offset delta does not match the record count");
}

TEST_CASE("set_producer and reuse after finish", "[protocol][record_batch]") {
  batch_builder b;
  CHECK(b.empty());
  CHECK(b.size_bytes() == batch_header_size);
  b.set_producer(77, 3, 1000);
  b.append(5, std::string_view{"k"}, std::string_view{"v"});
  CHECK(b.record_count() == 1);
  auto first = b.finish();
  batch_header h;
  REQUIRE(read_batch_header(first.data(), first.size(), h));
  CHECK(h.producer_id == 77);
  CHECK(h.producer_epoch == 3);
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
  CHECK(h.producer_epoch == -1);
  CHECK(h.base_sequence == -1);
  CHECK(h.record_count == 1);
  CHECK(h.first_timestamp == 9);
  std::vector<record> recs;
  REQUIRE_FALSE(decode_records(second, recs));
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].value == "second");
  CHECK(recs[0].offset == log_offset{0});
}

TEST_CASE("an empty builder finishes a valid batch claiming no offsets",
          "[protocol][record_batch]") {
  batch_builder b;
  auto batch = b.finish();
  REQUIRE(batch.size() == batch_header_size);
  REQUIRE_FALSE(validate_batch(batch));
  batch_header h;
  REQUIRE(read_batch_header(batch.data(), batch.size(), h));
  CHECK(h.record_count == 0);
  CHECK(h.next_offset() == h.base_offset);
  int calls = 0;
  CHECK_FALSE(for_each_record(batch, [&](const record_view&) { ++calls; }));
  CHECK(calls == 0);
}

TEST_CASE("patching base offset and leader epoch keeps the CRC valid",
          "[protocol][record_batch]") {
  auto batch = sample_batch();
  auto crc_before = wire::load_be32(batch.data() + batch_crc_pos);
  set_base_offset(batch.data(), log_offset{1'000'000'000'000});
  set_partition_leader_epoch(batch.data(), leader_epoch{42});
  REQUIRE_FALSE(validate_batch(batch));
  CHECK(wire::load_be32(batch.data() + batch_crc_pos) == crc_before);
  batch_header h;
  REQUIRE(read_batch_header(batch.data(), batch.size(), h));
  CHECK(h.base_offset == 1'000'000'000'000);
  CHECK(h.partition_leader_epoch == 42);
  CHECK(h.last_offset() == 1'000'000'000'004);
  std::vector<record> recs;
  REQUIRE_FALSE(decode_records(batch, recs));
  REQUIRE(recs.size() == 5);
  for (size_t i = 0; i < recs.size(); ++i)
    CHECK(recs[i].offset == log_offset{1'000'000'000'000 + static_cast<int64_t>(i)});
}

TEST_CASE("validate_batch rejects any changed byte it covers", "[protocol][record_batch]") {
  const auto good = sample_batch();
  REQUIRE_FALSE(validate_batch(good));
  size_t accepted = 0;
  for (size_t i = batch_magic_pos; i < good.size(); ++i) {
    auto bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    if (!is_corrupt(validate_batch(bad)))
      ++accepted;
    std::vector<record> recs;
    auto err = decode_records(bad, recs);
    if (!is_corrupt(err) || !recs.empty())
      ++accepted;
  }
  CHECK(accepted == 0);
  SECTION("a changed batch length is corrupt") {
    for (size_t i = 8; i < 12; ++i) {
      auto bad = good;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      CHECK(is_corrupt(validate_batch(bad)));
      CHECK(is_corrupt(for_each_record(bad, [](const record_view&) {})));
    }
  }
  SECTION("fields outside the CRC may change freely") {
    for (size_t i = 0; i < 8; ++i) {
      auto other = good;
      other[i] = static_cast<char>(other[i] ^ 0x40);
      CHECK_FALSE(validate_batch(other));
    }
  }
}

TEST_CASE("validate_batch checks the header's consistency", "[protocol][record_batch]") {
  const auto good = sample_batch();
  auto edited = [&](size_t pos, uint32_t value) {
    auto b = good;
    wire::store_be32(b.data() + pos, value);
    fix_crc(b);
    return b;
  };
  CHECK(is_corrupt(validate_batch(edited(23, 3))));            // last offset delta
  CHECK(is_corrupt(validate_batch(edited(57, 4))));            // record count
  CHECK(is_corrupt(validate_batch(edited(57, 0xFFFFFFFFu))));  // negative count
  CHECK(is_corrupt(validate_batch(edited(57, 1u << 30))));     // more than fits
  auto magic = good;
  magic[batch_magic_pos] = 1;
  CHECK(is_corrupt(validate_batch(magic)));
  auto compressed = good;
  compressed[22] = 1; // gzip, but the records are not
  fix_crc(compressed);
  CHECK(describe(validate_batch(compressed)) == "corrupt_message: gzip: incorrect header check");
  CHECK(is_corrupt(for_each_record(compressed, [](const record_view&) {})));
  CHECK(is_corrupt(validate_batch(good.substr(0, 60))));
  CHECK(is_corrupt(validate_batch(good + "x")));
  CHECK(describe(validate_batch(good + "x")).find("corrupt_message") != std::string::npos);
}

TEST_CASE("truncated input is corrupt as a batch and ignored as a stream tail",
          "[protocol][record_batch]") {
  const auto good = sample_batch();
  batch_header h;
  size_t wrong = 0;
  for (size_t n = 0; n < good.size(); ++n) {
    std::string_view cut(good.data(), n);
    if (!is_corrupt(validate_batch(cut)))
      ++wrong;
    int calls = 0;
    if (!is_corrupt(for_each_record(cut, [&](const record_view&) { ++calls; })) || calls != 0)
      ++wrong;
    if (read_batch_header(cut.data(), cut.size(), h) != (n >= batch_header_size))
      ++wrong;
    std::vector<record> recs;
    if (decode_records(cut, recs) || !recs.empty())
      ++wrong;
    if (whole_batches_prefix(cut) != 0)
      ++wrong;
  }
  CHECK(wrong == 0);
  CHECK(whole_batches_prefix(good) == good.size());
}

TEST_CASE("decode_records reads concatenated batches from an offset",
          "[protocol][record_batch]") {
  // Three batches at offsets [0,5), [5,10), [10,15) as the log would store them.
  std::string log;
  std::vector<size_t> ends;
  for (int64_t base : {0, 5, 10}) {
    auto b = sample_batch();
    set_base_offset(b.data(), log_offset{base});
    log += b;
    ends.push_back(log.size());
  }
  CHECK(whole_batches_prefix(log) == log.size());

  std::vector<record> all;
  REQUIRE_FALSE(decode_records(log, all));
  REQUIRE(all.size() == 15);
  for (size_t i = 0; i < all.size(); ++i)
    CHECK(all[i].offset == log_offset{static_cast<int64_t>(i)});

  std::vector<record> tail;
  REQUIRE_FALSE(decode_records(log, tail, log_offset{7}));
  REQUIRE(tail.size() == 8);
  CHECK(tail.front().offset == log_offset{7});
  CHECK(tail.front().key == "tombstone"); // index 2 within its batch
  CHECK_FALSE(tail.front().has_value);
  CHECK(tail.back().offset == log_offset{14});

  std::vector<record> none;
  REQUIRE_FALSE(decode_records(log, none, log_offset{15}));
  CHECK(none.empty());

  // Appends to what is already there.
  std::vector<record> more(2);
  REQUIRE_FALSE(decode_records(log, more, log_offset{13}));
  CHECK(more.size() == 4);

  SECTION("a trailing partial batch is ignored") {
    for (size_t cut = ends[1]; cut < ends[2]; cut += 7) {
      std::vector<record> recs;
      REQUIRE_FALSE(decode_records(std::string_view(log.data(), cut), recs));
      CHECK(recs.size() == 10);
      CHECK(whole_batches_prefix(std::string_view(log.data(), cut)) == ends[1]);
    }
  }
  SECTION("a corrupt batch stops decoding and keeps earlier batches") {
    auto bad = log;
    bad[ends[0] + 70] = static_cast<char>(bad[ends[0] + 70] ^ 0x10);
    std::vector<record> recs;
    CHECK(is_corrupt(decode_records(bad, recs)));
    CHECK(recs.size() == 5);
    // Skipping the corrupt batch by offset avoids it entirely.
    recs.clear();
    CHECK_FALSE(decode_records(bad, recs, log_offset{10}));
    CHECK(recs.size() == 5);
  }
  SECTION("an impossible batch length is corrupt, not partial") {
    auto bad = log;
    wire::store_be32(bad.data() + ends[0] + 8, 10);
    std::vector<record> recs;
    CHECK(is_corrupt(decode_records(bad, recs)));
    CHECK(whole_batches_prefix(bad) == ends[0]);
  }
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
  CHECK_FALSE(validate_batch(batch));
}

TEST_CASE("malformed records never crash the decoder", "[protocol][record_batch]") {
  const auto good = sample_batch();
  std::mt19937_64 rng(99);
  size_t bad_callbacks = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    auto b = good;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = batch_header_size + rng() % (b.size() - batch_header_size);
      b[pos] = static_cast<char>(rng());
    }
    fix_crc(b); // get past the CRC so the record parser sees the damage
    int calls = 0;
    auto err = for_each_record(b, [&](const record_view& v) {
      ++calls;
      // Every view must point inside the batch.
      auto inside = [&](std::string_view s) {
        return s.empty() || (s.data() >= b.data() && s.data() + s.size() <= b.data() + b.size());
      };
      if ((v.key && !inside(*v.key)) || (v.value && !inside(*v.value)))
        ++bad_callbacks;
      for (auto& [k, val] : v.headers)
        if (!inside(k) || !inside(val))
          ++bad_callbacks;
    });
    if (err)
      REQUIRE(is_corrupt(err));
    else
      REQUIRE(calls == 5);
    std::vector<record> recs;
    auto derr = decode_records(b, recs);
    REQUIRE(static_cast<bool>(derr) == static_cast<bool>(err));
  }
  CHECK(bad_callbacks == 0);

  SECTION("random garbage") {
    for (int trial = 0; trial < 2000; ++trial) {
      std::string junk(rng() % 200, '\0');
      for (auto& c : junk)
        c = static_cast<char>(rng());
      std::vector<record> recs;
      (void) decode_records(junk, recs);
      (void) validate_batch(junk);
      (void) for_each_record(junk, [](const record_view&) {});
      (void) whole_batches_prefix(junk);
    }
    SUCCEED("no crash on random input");
  }
}
