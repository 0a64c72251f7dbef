// Tests of the Kafka v2 record batch codec on edited and bad input: in-place patches keep the
// CRC valid, validation rejects changed bytes and inconsistent headers, truncated input,
// concatenated batches read from an offset, and malformed records never crash the decoder.
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
  CHECK(h.last_offset() == log_offset{1'000'000'000'004});
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
  CHECK(describe(validate_batch(compressed))
        == "corrupt_message: batch at offset 0: gzip: incorrect header check");
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

// Found by tests/fuzz (corpus/record_batch/overflow_last_offset): decode_records computed the
// last offset of an unchecked header with signed overflow.
TEST_CASE("decode_records refuses a header whose last offset leaves the int64 range",
          "[protocol][record_batch]") {
  auto batch = sample_batch();
  wire::store_be64(batch.data(), 0x8000000000000001u);  // base offset INT64_MIN + 1
  wire::store_be32(batch.data() + 23, static_cast<uint32_t>(-218));  // last offset delta
  fix_crc(batch);
  std::vector<record> recs;
  CHECK(describe(decode_records(batch, recs))
        == "invalid_record: batch at offset -9223372036854775807: record_count 5 is outside "
           "[0, last_offset_delta + 1] (last_offset_delta -218)");
  CHECK(recs.empty());
}
