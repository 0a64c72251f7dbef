// Tests of cafka's durable encoding (runtime/base/durable_*): the primitives' bytes, field
// lists walked by writer and reader, and the reader's exact errors on truncated, overlong or
// forged input; the checksummed file frame.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/base/durable_file.hpp"
#include "runtime/base/durable_reader.hpp"
#include "runtime/base/durable_writer.hpp"
#include "tests/runtime/durable_test_util.hpp"

using namespace cafka;
using cafka::test::hex;
using cafka::test::unhex;

namespace {

struct sample {
  node_id id;
  std::string name;
  bool flag = false;
  uint16_t port = 0;
  std::vector<int64_t> values;
};

template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, sample> x) {
  io(x.id, x.name, x.flag, x.port, x.values);
}

std::string write_sample(const sample& s) {
  std::string out;
  durable::writer w{out};
  w(s);
  return out;
}

// The error of reading a sample from `bytes` to the end ("" if it reads).
std::string read_error(const std::string& bytes) {
  durable::reader r{bytes};
  sample s;
  r(s);
  r.expect_end();
  return r.error();
}

} // namespace

TEST_CASE("durable integers are fixed-width big-endian and bools one byte", "[durable]") {
  std::string out;
  durable::writer w{out};
  w.u8(0xab);
  w.i16(-2);
  w.i32(0x01020304);
  w.i64(-1);
  w.u16(0x0a0b);
  w.boolean(true);
  CHECK(hex(out) == "ab" "fffe" "01020304" "ffffffffffffffff" "0a0b" "01");
  durable::reader r{out};
  CHECK(r.u8() == 0xab);
  CHECK(r.i16() == -2);
  CHECK(r.i32() == 0x01020304);
  CHECK(r.i64() == -1);
  CHECK(r.u16() == 0x0a0b);
  CHECK(r.boolean());
  r.expect_end();
  CHECK(r.ok());
}

TEST_CASE("durable uvarints are LEB128 of at most five bytes", "[durable]") {
  for (auto [value, bytes] : std::vector<std::pair<uint32_t, std::string>>{
         {0, "00"}, {127, "7f"}, {128, "8001"}, {200, "c801"}, {16384, "808001"},
         {0xffffffffu, "ffffffff0f"}}) {
    std::string out;
    durable::writer{out}.uvarint(value);
    CHECK(hex(out) == bytes);
    durable::reader r{out};
    CHECK(r.uvarint() == value);
    CHECK(r.ok());
  }
}

TEST_CASE("a field list writes and reads a struct the same way", "[durable]") {
  sample s{node_id{7}, "ab", true, 9092, {1, -1}};
  auto bytes = write_sample(s);
  CHECK(hex(bytes) == "00000007" "026162" "01" "2384" "02" "0000000000000001"
                      "ffffffffffffffff");
  durable::reader r{bytes};
  sample back;
  r(back);
  r.expect_end();
  REQUIRE(r.ok());
  CHECK(back.id == s.id);
  CHECK(back.name == s.name);
  CHECK(back.flag);
  CHECK(back.port == 9092);
  CHECK(back.values == s.values);
}

TEST_CASE("the durable reader names the first thing that does not parse", "[durable]") {
  auto good = write_sample(sample{node_id{7}, "ab", true, 9092, {1}});
  CHECK(read_error(good) == "");
  CHECK(read_error(good.substr(0, 3)) == "truncated: 4 bytes needed at byte 0, 3 left");
  CHECK(read_error(good.substr(0, 6)) == "truncated: 2 bytes needed at byte 5, 1 left");
  CHECK(read_error(good + "x") == "1 bytes left over after byte 19");
  // A bool of 2.
  CHECK(read_error(unhex("00000007 00 02")) == "a bool of 2 at byte 5");
  // A count that the bytes left cannot hold: 5 values of 8 bytes, 8 bytes there.
  CHECK(read_error(unhex("00000007 00 00 0000 05 0000000000000001"))
        == "a count of 5 at byte 8 that the 8 bytes left cannot hold");
  // uvarints: overlong, above 2^32 - 1, longer than 5 bytes.
  CHECK(read_error(unhex("00000007 8000")) == "an overlong uvarint at byte 4");
  CHECK(read_error(unhex("00000007 ffffffff1f")) == "a uvarint above 2^32 - 1 at byte 4");
  CHECK(read_error(unhex("00000007 ffffffffff01")) == "a uvarint longer than 5 bytes at byte 4");
}

TEST_CASE("after its first failure the durable reader returns zeros and keeps the reason",
          "[durable]") {
  durable::reader r{unhex("0102")};
  CHECK(r.i32() == 0);
  CHECK(r.u8() == 0);
  CHECK(r.string().empty());
  r.fail("a later reason");
  CHECK(r.error() == "truncated: 4 bytes needed at byte 0, 2 left");
  CHECK(r.remaining() == 0);
}

TEST_CASE("the durable file frame carries the version and checks the body's CRC32C",
          "[durable]") {
  auto file = durable::seal(3, "body");
  CHECK(file.size() == durable::frame_header_size + 4);
  CHECK(hex(file.substr(0, 2)) == "0003");
  auto f = durable::open_frame(file);
  CHECK(f.complete);
  CHECK(f.version == 3);
  CHECK(f.crc_ok);
  CHECK(f.body == "body");
  auto flipped = file;
  flipped.back() ^= 1;
  CHECK_FALSE(durable::open_frame(flipped).crc_ok);
  CHECK(durable::open_frame(flipped).version == 3);
  CHECK_FALSE(durable::open_frame(file.substr(0, 5)).complete);
}
