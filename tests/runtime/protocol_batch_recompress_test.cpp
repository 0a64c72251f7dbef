// A topic's compression.type applied by the leader: recompress_batch changes a batch's codec
// and keeps its records, offsets, timestamps and producer fields.
#include <catch2/catch.hpp>

#include <vector>

#include "runtime/protocol/batch_recompress.hpp"
#include "runtime/protocol/record_batch.hpp"

using namespace cafka;

namespace {

std::string batch_with(compression_codec codec) {
  batch_builder b{codec};
  for (int i = 0; i < 50; ++i)
    b.append(1000 + i, std::string{"key-"} + std::to_string(i),
             std::string(200, static_cast<char>('a' + i % 26)), {});
  b.set_producer(producer_id{7}, producer_epoch{2}, 40);
  return b.finish();
}

std::vector<record> records_of(const std::string& batch) {
  std::vector<record> out;
  REQUIRE_FALSE(decode_records(batch, out));
  return out;
}

} // namespace

TEST_CASE("recompress_batch changes the codec and keeps the records and header fields",
          "[protocol][compression]") {
  for (auto from : {compression_codec::none, compression_codec::gzip, compression_codec::lz4}) {
    for (auto to : {compression_codec::none, compression_codec::zstd,
                    compression_codec::snappy}) {
      CAPTURE(static_cast<int>(from), static_cast<int>(to));
      auto in = batch_with(from);
      auto out = recompress_batch(in, to, default_max_uncompressed);
      REQUIRE(out);
      CHECK_FALSE(validate_batch(*out));
      batch_header a, b;
      REQUIRE(read_batch_header(in.data(), in.size(), a));
      REQUIRE(read_batch_header(out->data(), out->size(), b));
      CHECK(b.compression() == to);
      CHECK(b.record_count == a.record_count);
      CHECK(b.last_offset_delta == a.last_offset_delta);
      CHECK(b.first_timestamp == a.first_timestamp);
      CHECK(b.max_timestamp == a.max_timestamp);
      CHECK(b.producer_id == a.producer_id);
      CHECK(b.producer_epoch == a.producer_epoch);
      CHECK(b.base_sequence == a.base_sequence);
      auto x = records_of(in);
      auto y = records_of(*out);
      REQUIRE(x.size() == y.size());
      for (size_t i = 0; i < x.size(); ++i) {
        CHECK(x[i].offset == y[i].offset);
        CHECK(x[i].timestamp == y[i].timestamp);
        CHECK(x[i].key == y[i].key);
        CHECK(x[i].value == y[i].value);
      }
      if (from == to)
        CHECK(*out == in);
    }
  }
}

TEST_CASE("recompress_batch refuses a batch whose records do not parse",
          "[protocol][compression]") {
  auto in = batch_with(compression_codec::none);
  in[batch_header_size + 1] = '\x7f';  // the first record's attributes byte -> its length
  auto out = recompress_batch(in, compression_codec::gzip, default_max_uncompressed);
  REQUIRE_FALSE(out);
}
