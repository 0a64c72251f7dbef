// Tests of the stored-batch helpers of record_batch.hpp that compaction relies on:
// rebuild_batch keeps a batch's header fields and recompresses, validate_stored_batch_crc
// and for_each_stored_record accept thinned batches and refuse malformed ones.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/protocol/wire.hpp"

using namespace cafka;

namespace {

struct seen {
  std::vector<int64_t> offsets;
  std::vector<int64_t> timestamps;
  std::vector<std::string> keys;
  std::vector<std::string> encoded;
};

seen walk(const std::string& batch, caf::error* err_out = nullptr) {
  seen s;
  auto err = for_each_stored_record(batch, [&](const record_view& r, std::string_view enc) {
    s.offsets.push_back(r.offset.value);
    s.timestamps.push_back(r.timestamp);
    s.keys.emplace_back(r.key ? *r.key : "<null>");
    s.encoded.emplace_back(enc);
  });
  if (err_out)
    *err_out = err;
  else
    REQUIRE(!err);
  return s;
}

std::string five_records(compression_codec codec) {
  batch_builder b{codec};
  for (int i = 0; i < 5; ++i) {
    auto key = "key-" + std::to_string(i);
    b.append(1000 + i, std::string_view{key}, std::string_view{std::string(100, 'v')},
             {record_header{"h", std::to_string(i)}});
  }
  b.set_producer(producer_id{42}, producer_epoch{3}, 17);
  auto batch = b.finish();
  set_base_offset(batch.data(), log_offset{100});
  return batch;
}

// Sets record_count and recomputes the CRC (a header that lies about its records).
void set_count(std::string& batch, int32_t count) {
  wire::store_be32(batch.data() + 57, static_cast<uint32_t>(count));
  wire::store_be32(batch.data() + batch_crc_pos,
                   crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin));
}

} // namespace

TEST_CASE("rebuild_batch keeps a subset of the records and every header field",
          "[record_batch][log_cleaner]") {
  for (auto codec : {compression_codec::none, compression_codec::gzip, compression_codec::zstd}) {
    auto batch = five_records(codec);
    auto all = walk(batch);
    REQUIRE(all.offsets == std::vector<int64_t>{100, 101, 102, 103, 104});
    auto rebuilt = rebuild_batch(batch, all.encoded[1] + all.encoded[4], 2);
    REQUIRE(rebuilt);
    batch_header before;
    batch_header after;
    read_batch_header(batch.data(), batch.size(), before);
    read_batch_header(rebuilt->data(), rebuilt->size(), after);
    CHECK(after.base_offset == 100);
    CHECK(after.last_offset_delta == 4);
    CHECK(after.record_count == 2);
    CHECK(after.attributes == before.attributes);
    CHECK(after.compression() == codec);
    CHECK(after.first_timestamp == 1000);
    CHECK(after.max_timestamp == 1004);
    CHECK(after.producer_id == producer_id{42});
    CHECK(after.producer_epoch == producer_epoch{3});
    CHECK(after.base_sequence == 17);
    CHECK(after.total_size() == rebuilt->size());
    CHECK(!validate_stored_batch_crc(*rebuilt));
    auto kept = walk(*rebuilt);
    CHECK(kept.offsets == std::vector<int64_t>{101, 104});
    CHECK(kept.timestamps == std::vector<int64_t>{1001, 1004});
    CHECK(kept.keys == std::vector<std::string>{"key-1", "key-4"});
    // The produce path's check refuses a thinned batch.
    auto err = validate_batch(*rebuilt);
    CHECK(errc_of(err) == errc::invalid_record);
  }
}

TEST_CASE("rebuild_batch with no records gives the header of an empty batch",
          "[record_batch][log_cleaner]") {
  auto batch = five_records(compression_codec::lz4);
  auto empty = rebuild_batch(batch, {}, 0);
  REQUIRE(empty);
  CHECK(empty->size() == batch_header_size);
  batch_header h;
  read_batch_header(empty->data(), empty->size(), h);
  CHECK(h.record_count == 0);
  CHECK(h.last_offset_delta == 4);
  CHECK(h.compression() == compression_codec::none);
  CHECK(h.producer_id == producer_id{42});
  CHECK(h.next_offset() == log_offset{105});
  CHECK(!validate_stored_batch_crc(*empty));
  CHECK(walk(*empty).offsets.empty());
}

TEST_CASE("stored batch checks refuse counts and offset deltas that cannot be",
          "[record_batch][log_cleaner]") {
  auto batch = five_records(compression_codec::none);
  auto all = walk(batch);
  SECTION("more records than offsets") {
    set_count(batch, 6);
    auto err = validate_stored_batch_crc(batch);
    CHECK(errc_of(err) == errc::invalid_record);
    CHECK(context_of(err)
          == "batch at offset 100: record_count 6 is outside [0, last_offset_delta + 1] "
             "(last_offset_delta 4)");
  }
  SECTION("a CRC that does not match") {
    batch[batch.size() - 1] ^= 1;
    auto err = validate_stored_batch_crc(batch);
    CHECK(errc_of(err) == errc::corrupt_message);
    CHECK(context_of(err).find("CRC32C mismatch") != std::string::npos);
  }
  SECTION("records out of offset order") {
    auto swapped = rebuild_batch(batch, all.encoded[3] + all.encoded[1], 2);
    REQUIRE(swapped);
    CHECK(!validate_stored_batch_crc(*swapped));
    caf::error err;
    walk(*swapped, &err);
    CHECK(errc_of(err) == errc::invalid_record);
    CHECK(context_of(err)
          == "batch at offset 100: record 1: offset delta not increasing or past "
             "last_offset_delta");
  }
  SECTION("fewer records than record_count") {
    auto short_batch = rebuild_batch(batch, all.encoded[0], 1);
    REQUIRE(short_batch);
    set_count(*short_batch, 2);
    caf::error err;
    walk(*short_batch, &err);
    CHECK(errc_of(err) == errc::invalid_record);
    CHECK(context_of(err)
          == "batch at offset 100: record 1: length out of range (past the end of the batch)");
  }
}
