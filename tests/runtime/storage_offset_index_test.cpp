// Tests of the sparse offset index of a segment: lookup, validation, persistence, truncation.

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/storage/offset_index.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using cafka::test::temp_dir;

TEST_CASE("offset_index looks up the greatest entry at or below a target", "[storage]") {
  temp_dir dir;
  auto idx = offset_index::open(test::real_disk(), dir.file("100.index"), log_offset{100}, 16);
  REQUIRE(idx);
  auto& ix = **idx;
  REQUIRE(!ix.clear());
  CHECK(!ix.lookup(log_offset{100}));
  REQUIRE(!ix.append(log_offset{110}, 4096));
  REQUIRE(!ix.append(log_offset{150}, 9000));
  REQUIRE(!ix.append(log_offset{151}, 12000));
  CHECK(ix.size() == 3);
  CHECK(!ix.lookup(log_offset{109}));
  CHECK(ix.lookup(log_offset{110})->position == 4096);
  CHECK(ix.lookup(log_offset{149})->position == 4096);
  CHECK(ix.lookup(log_offset{150})->position == 9000);
  CHECK(ix.lookup(log_offset{1000})->offset == log_offset{151});
  CHECK(ix.check(12001).empty());
  CHECK(!ix.check(12000).empty());  // last entry at the end of the log: invalid
  ix.truncate_to_position(9000);
  CHECK(ix.size() == 1);
  CHECK(ix.lookup(log_offset{1000})->offset == log_offset{110});
}

TEST_CASE("offset_index refuses an entry that does not follow or fit", "[storage]") {
  temp_dir dir;
  auto idx = offset_index::open(test::real_disk(), dir.file("100.index"), log_offset{100}, 2);
  REQUIRE(idx);
  auto& ix = **idx;
  REQUIRE(!ix.clear());
  REQUIRE(!ix.append(log_offset{110}, 4096));
  CHECK(errc_of(ix.append(log_offset{99}, 8192)) == errc::invalid_request);   // below base
  CHECK(errc_of(ix.append(log_offset{100 + (int64_t{1} << 32)}, 8192))
        == errc::invalid_request);                                          // past uint32
  CHECK(errc_of(ix.append(log_offset{110}, 8192)) == errc::invalid_request);  // same offset
  CHECK(errc_of(ix.append(log_offset{120}, 4096)) == errc::invalid_request);  // same position
  CHECK(ix.size() == 1);
  REQUIRE(!ix.append(log_offset{120}, 8192));
  CHECK(ix.full());
  CHECK(errc_of(ix.append(log_offset{130}, 9000)) == errc::invalid_request);  // full
  CHECK(ix.size() == 2);
}

TEST_CASE("offset_index persists on close: 8-byte big-endian entries", "[storage]") {
  temp_dir dir;
  auto path = dir.file("5.index");
  {
    auto idx = offset_index::open(test::real_disk(), path, log_offset{5}, 1000);
    REQUIRE(idx);
    REQUIRE(!(*idx)->unseal());
    REQUIRE(!(*idx)->append(log_offset{7}, 0x01020304));
    REQUIRE(!(*idx)->close());
  }
  auto bytes = test::read_file(path);
  REQUIRE(bytes.size() == 8);  // trimmed to its entries on close
  CHECK(bytes == std::string("\x00\x00\x00\x02\x01\x02\x03\x04", 8));
  auto idx = offset_index::open(test::real_disk(), path, log_offset{5}, 1000);
  REQUIRE(idx);
  CHECK((*idx)->size() == 1);
  CHECK((*idx)->at(0).offset == log_offset{7});
  CHECK((*idx)->check(0x01020305).empty());
}

TEST_CASE("offset_index check rejects ragged, unordered and out-of-bounds files", "[storage]") {
  temp_dir dir;
  auto path = dir.file("0.index");
  SECTION("ragged") {
    test::write_file(path, std::string(12, '\0'));
    auto idx = offset_index::open(test::real_disk(), path, log_offset{0}, 10);
    REQUIRE(idx);
    CHECK(!(*idx)->check(1 << 20).empty());
  }
  SECTION("not increasing") {
    test::write_file(path, std::string("\0\0\0\5\0\0\1\0\0\0\0\4\0\0\2\0", 16));
    auto idx = offset_index::open(test::real_disk(), path, log_offset{0}, 10);
    REQUIRE(idx);
    CHECK(!(*idx)->check(1 << 20).empty());
  }
  SECTION("zero entries after real ones (a crashed active index)") {
    test::write_file(path, std::string("\0\0\0\5\0\0\1\0\0\0\0\0\0\0\0\0", 16));
    auto idx = offset_index::open(test::real_disk(), path, log_offset{0}, 10);
    REQUIRE(idx);
    CHECK(!(*idx)->check(1 << 20).empty());
  }
  SECTION("beyond the log") {
    test::write_file(path, std::string("\0\0\0\5\0\0\1\0", 8));
    auto idx = offset_index::open(test::real_disk(), path, log_offset{0}, 10);
    REQUIRE(idx);
    CHECK(!(*idx)->check(256).empty());
    CHECK((*idx)->check(257).empty());
  }
}

TEST_CASE("offset_index reports full at its capacity", "[storage]") {
  temp_dir dir;
  auto idx = offset_index::open(test::real_disk(), dir.file("0.index"), log_offset{0}, 2);
  REQUIRE(idx);
  REQUIRE(!(*idx)->append(log_offset{1}, 10));
  CHECK(!(*idx)->full());
  REQUIRE(!(*idx)->append(log_offset{2}, 20));
  CHECK((*idx)->full());
  REQUIRE(!(*idx)->remove());
  CHECK(!std::filesystem::exists(dir.file("0.index")));
}
