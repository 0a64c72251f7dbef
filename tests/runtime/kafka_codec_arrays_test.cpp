// Tests of the ARRAY helpers the codecs share (runtime/kafka/codec_arrays.hpp): counts, null
// arrays, forged counts, and the bytes they write. Bodies are built by hand from Kafka's
// ARRAY encoding (int32 count, -1 = null).

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/codec_arrays.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

namespace {

using strings = std::vector<std::string>;

// Reads `hex` with `read`; returns the reader's error ("" while ok).
template <class F>
std::string read_hex(std::string_view hex, F read) {
  auto d = decode_with(hex, read);
  CHECK(d.left == 0);
  return d.error;
}

} // namespace

TEST_CASE("arrays read element by element and replace what was there",
          "[kafka][codec_arrays]") {
  strings names{"old"};
  CHECK(read_hex("00000002" "000174" "000175", [&](reader& r) { read_string_array(r, names); })
        == "");
  CHECK(names == strings{"t", "u"});
  std::vector<int32_t> ids{9};
  CHECK(read_hex("00000000", [&](reader& r) { read_int32_array(r, ids); }) == "");
  CHECK(ids.empty());
  std::vector<std::pair<int32_t, int64_t>> pairs;
  CHECK(read_hex("00000001" "00000007" "0000000000000008", [&](reader& r) {
          read_array(r, 12, pairs, [](reader& in, auto& p) {
            p.first = in.i32();
            p.second = in.i64();
          });
        }) == "");
  CHECK(pairs == std::vector<std::pair<int32_t, int64_t>>{{7, 8}});
}

TEST_CASE("null arrays: refused where non-nullable, nullopt where nullable",
          "[kafka][codec_arrays]") {
  strings names;
  CHECK(read_hex("ffffffff", [&](reader& r) { read_string_array(r, names); }) == "null array");
  std::optional<strings> keys = strings{"old"};
  CHECK(read_hex("ffffffff", [&](reader& r) { read_nullable_string_array(r, keys); }) == "");
  CHECK_FALSE(keys.has_value());
  CHECK(read_hex("00000001" "000161", [&](reader& r) { read_nullable_string_array(r, keys); })
        == "");
  CHECK(keys == std::optional<strings>{{"a"}});
}

TEST_CASE("forged array counts fail before any element is read", "[kafka][codec_arrays]") {
  std::vector<int32_t> ids;
  // 2 int32s need 8 bytes, 4 are left.
  CHECK(read_hex("00000002" "00000001", [&](reader& r) { read_int32_array(r, ids); })
        == "array length beyond the message");
  CHECK(ids.empty());
  CHECK(read_hex("fffffffe", [&](reader& r) { read_int32_array(r, ids); })
        == "negative array length");
  std::optional<strings> keys;
  CHECK(read_hex("7fffffff", [&](reader& r) { read_nullable_string_array(r, keys); })
        == "array length beyond the message");
  CHECK_FALSE(keys.has_value());
  // A truncated element stops the array there.
  strings names;
  CHECK(read_hex("00000002" "000174" "0005", [&](reader& r) { read_string_array(r, names); })
        == "truncated");
}

TEST_CASE("arrays write a count, then each element", "[kafka][codec_arrays]") {
  std::string out;
  writer w{out};
  write_string_array(w, {"t", "u"});
  write_int32_array(w, {1, -1});
  write_nullable_array(w, std::optional<std::vector<int16_t>>{},
                       [](writer& o, int16_t x) { o.i16(x); });
  write_nullable_array(w, std::optional<std::vector<int16_t>>{{5}},
                       [](writer& o, int16_t x) { o.i16(x); });
  CHECK(to_hex(out) == "00000002" "000174" "000175" "00000002" "00000001" "ffffffff"
                       "ffffffff" "00000001" "0005");
}
