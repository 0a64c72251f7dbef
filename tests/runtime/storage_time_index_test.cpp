// Tests of the time index of a segment: the file on its own (append, lookup, format, check,
// truncation), and as partition_log keeps it (entries and seal entries, rebuild of a missing
// or damaged index at open, truncation, retention and stray files).

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/storage/partition_log.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/storage/time_index.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using cafka::test::log_capture;
using cafka::test::make_batch;
using cafka::test::read_file;
using cafka::test::segment_name;
using cafka::test::small_segments;
using cafka::test::temp_dir;
using cafka::test::write_file;

namespace {

namespace fs = std::filesystem;

using entry_tuple = std::tuple<int64_t, log_offset, uint32_t>;  // timestamp, offset, position

std::unique_ptr<time_index> open_index(const std::string& path, int64_t base) {
  auto idx = time_index::open(test::real_disk(), path, log_offset{base});
  REQUIRE(idx);
  return std::move(*idx);
}

std::vector<entry_tuple> entries_of(const time_index& ix) {
  std::vector<entry_tuple> out;
  for (size_t i = 0; i < ix.size(); ++i) {
    auto e = ix.at(i);
    REQUIRE(e);
    out.emplace_back(e->timestamp, e->offset, e->position);
  }
  return out;
}

std::vector<entry_tuple> entries_in(const temp_dir& dir, int64_t base) {
  auto ix = open_index(dir.file(segment_name(base, ".timeindex")), base);
  auto why = ix->check(std::numeric_limits<uint32_t>::max());
  REQUIRE(why);
  CHECK(*why == "");
  return entries_of(*ix);
}

std::string be(uint64_t v, int bytes) {
  std::string s;
  for (int i = bytes - 1; i >= 0; --i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

std::string header(int64_t base, int16_t version = 1) {
  return "CTIX" + be(static_cast<uint16_t>(version), 2) + be(static_cast<uint64_t>(base), 8);
}

std::string entry_bytes(int64_t ts, uint32_t rel, uint32_t pos) {
  return be(static_cast<uint64_t>(ts), 8) + be(rel, 4) + be(pos, 4);
}

std::unique_ptr<partition_log> open_log(const temp_dir& dir, log_config cfg) {
  auto log = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
  REQUIRE(log);
  return std::move(*log);
}

// One 10-record batch per timestamp, every record of a batch at that timestamp.
void append_at(partition_log& log, const std::vector<int64_t>& timestamps) {
  for (auto ts : timestamps) {
    auto b = make_batch(10, 100, ts);
    REQUIRE(log.append(b, 0));
  }
}

std::optional<std::pair<log_offset, int64_t>> search(const partition_log& log, int64_t ts) {
  auto r = log.offset_for_timestamp(ts);
  REQUIRE(r);
  if (!*r)
    return std::nullopt;
  return std::make_pair((*r)->offset, (*r)->timestamp);
}

using found = std::optional<std::pair<log_offset, int64_t>>;  // offset, timestamp

// Segments 0 (1000, 900, 1050), 30 (1100, 1100, 1075) and the active 60 (2000).
const std::vector<int64_t> seven_batches{1000, 900, 1050, 1100, 1100, 1075, 2000};

} // namespace

TEST_CASE("time_index looks up the last entry older than a timestamp", "[storage]") {
  temp_dir dir;
  auto ix = open_index(dir.file("100.timeindex"), 100);
  REQUIRE(!ix->clear());
  auto none = ix->lookup(5);
  REQUIRE(none);
  CHECK(!*none);
  REQUIRE(!ix->append({10, log_offset{110}, 4096}));
  REQUIRE(!ix->append({20, log_offset{150}, 9000}));
  REQUIRE(!ix->append({20, log_offset{151}, 12000}));  // a seal entry may repeat a timestamp
  REQUIRE(!ix->append({35, log_offset{160}, 13000}));
  CHECK(ix->size() == 4);
  CHECK(ix->last()->offset == log_offset{160});
  auto offset_for = [&](int64_t ts) -> log_offset {
    auto e = ix->lookup(ts);
    REQUIRE(e);
    return *e ? (*e)->offset : no_offset;
  };
  CHECK(offset_for(10) == no_offset);
  CHECK(offset_for(11) == log_offset{110});
  CHECK(offset_for(20) == log_offset{110});
  CHECK(offset_for(21) == log_offset{151});
  CHECK(offset_for(35) == log_offset{151});
  CHECK(offset_for(36) == log_offset{160});
  CHECK(offset_for(std::numeric_limits<int64_t>::max()) == log_offset{160});
  CHECK(*ix->check(13001) == "");
  CHECK(*ix->check(13000) != "");  // last entry at the end of the log: invalid
}

TEST_CASE("time_index refuses an entry that does not follow or fit, writing nothing",
          "[storage]") {
  temp_dir dir;
  auto path = dir.file("100.timeindex");
  auto ix = open_index(path, 100);
  REQUIRE(!ix->clear());
  REQUIRE(!ix->append({20, log_offset{150}, 9000}));
  auto before = test::read_file(path);
  for (auto e : {time_index::entry{-2, log_offset{160}, 9500},      // timestamp below -1
                 time_index::entry{30, log_offset{99}, 9500},       // below the base
                 time_index::entry{30, log_offset{100 + (int64_t{1} << 32)}, 9500},  // > uint32
                 time_index::entry{19, log_offset{160}, 9500},      // timestamp goes down
                 time_index::entry{30, log_offset{150}, 9500},      // offset does not grow
                 time_index::entry{30, log_offset{160}, 9000}}) {   // position does not grow
    CHECK(errc_of(ix->append(e)) == errc::invalid_request);
  }
  CHECK(ix->size() == 1);
  CHECK(test::read_file(path) == before);
}

TEST_CASE("time_index persists a 14-byte header and 16-byte big-endian entries",
          "[storage]") {
  temp_dir dir;
  auto path = dir.file("5.timeindex");
  {
    auto ix = open_index(path, 5);
    REQUIRE(!ix->clear());
    REQUIRE(!ix->append({0x0102030405060708, log_offset{7}, 0x0a0b0c0d}));
    REQUIRE(!ix->close());
  }
  CHECK(read_file(path) == header(5) + entry_bytes(0x0102030405060708, 2, 0x0a0b0c0d));
  CHECK(read_file(path).size() == time_index::header_size + time_index::entry_size);
  auto ix = open_index(path, 5);
  CHECK(ix->size() == 1);
  CHECK(ix->last()->offset == log_offset{7});
  CHECK(ix->last()->timestamp == 0x0102030405060708);
  CHECK(*ix->check(0x0a0b0c0e) == "");
}

TEST_CASE("time_index check rejects foreign headers and bad entries", "[storage]") {
  temp_dir dir;
  auto path = dir.file("0.timeindex");
  std::string bytes;
  std::string expect;
  SECTION("empty file") {
    expect = "shorter than its 14-byte header";
  }
  SECTION("bad magic") {
    bytes = "KTIX" + header(0).substr(4);
    expect = "bad magic";
  }
  SECTION("another version") {
    bytes = header(0, 2);
    expect = "unsupported time index version 2";
  }
  SECTION("another segment's base offset") {
    bytes = header(9);
    expect = "header says base offset 9";
  }
  SECTION("ragged") {
    bytes = header(0) + entry_bytes(5, 1, 100) + std::string(3, '\0');
    expect = "not a multiple of 16 bytes";
  }
  SECTION("timestamps going down") {
    bytes = header(0) + entry_bytes(5, 1, 100) + entry_bytes(4, 2, 200);
    expect = "not increasing at entry 1";
  }
  SECTION("offsets not increasing") {
    bytes = header(0) + entry_bytes(5, 1, 100) + entry_bytes(6, 1, 200);
    expect = "not increasing at entry 1";
  }
  SECTION("zero entries after real ones") {
    bytes = header(0) + entry_bytes(5, 1, 100) + std::string(16, '\0');
    expect = "not increasing at entry 1";
  }
  SECTION("beyond the log") {
    bytes = header(0) + entry_bytes(5, 1, 1 << 20);
    expect = "points beyond the log";
  }
  SECTION("a timestamp below -1") {
    bytes = header(0) + entry_bytes(-2, 1, 100);
    expect = "below -1";
  }
  write_file(path, bytes);
  auto ix = open_index(path, 0);
  auto why = ix->check(1 << 16);
  REQUIRE(why);
  INFO("check says: " << *why);
  CHECK(why->find(expect) != std::string::npos);
}

TEST_CASE("time_index truncate_to_position drops the entries at and after a position",
          "[storage]") {
  temp_dir dir;
  auto path = dir.file("0.timeindex");
  auto ix = open_index(path, 0);
  REQUIRE(!ix->clear());
  REQUIRE(!ix->append({10, log_offset{1}, 100}));
  REQUIRE(!ix->append({20, log_offset{2}, 200}));
  REQUIRE(!ix->append({30, log_offset{3}, 300}));
  REQUIRE(!ix->truncate_to_position(500));
  CHECK(ix->size() == 3);
  REQUIRE(!ix->truncate_to_position(200));
  CHECK(entries_of(*ix) == std::vector<entry_tuple>{{10, log_offset{1}, 100}});
  CHECK(ix->last()->position == 100);
  CHECK(fs::file_size(path) == time_index::header_size + time_index::entry_size);
  REQUIRE(!ix->append({15, log_offset{2}, 150}));  // appends continue after the cut
  CHECK(entries_of(*ix) == std::vector<entry_tuple>{
      {10, log_offset{1}, 100},
      {15, log_offset{2}, 150}});
  REQUIRE(!ix->truncate_to_position(0));
  CHECK(ix->empty());
  CHECK(!ix->last());
  CHECK(fs::file_size(path) == time_index::header_size);
  REQUIRE(!ix->remove());
  CHECK(!fs::exists(path));
}

TEST_CASE("a segment's time index holds the running max and ends with a seal entry",
          "[storage]") {
  temp_dir dir;
  auto cfg = small_segments();
  auto one = static_cast<uint32_t>(make_batch(10).size());
  std::string sealed;
  {
    auto log = open_log(dir, cfg);
    append_at(*log, seven_batches);
    REQUIRE(log->segment_count() == 3);
    // No entry for a segment's first batch (the interval); 900 does not raise the max.
    CHECK(entries_in(dir, 0) == std::vector<entry_tuple>{
        {1000, log_offset{10}, one},
        {1050, log_offset{20}, 2 * one}});
    // 1100 twice, then 1075: the seal entry names the last batch with the same max.
    CHECK(entries_in(dir, 30) == std::vector<entry_tuple>{
        {1100, log_offset{40}, one},
        {1100, log_offset{50}, 2 * one}});
    CHECK(entries_in(dir, 60).empty());
    sealed = read_file(dir.file(segment_name(30, ".timeindex")));
    REQUIRE(!log->flush());
  }
  log_capture capture;
  auto log = open_log(dir, cfg);
  CHECK(capture.text().find("rebuilding") == std::string::npos);
  CHECK(read_file(dir.file(segment_name(30, ".timeindex"))) == sealed);
  CHECK(search(*log, 1050) == found{{log_offset{20}, 1050}});
  CHECK(search(*log, 1076) == found{{log_offset{30}, 1100}});
  CHECK(search(*log, 1101) == found{{log_offset{60}, 2000}});
}

TEST_CASE("a missing or damaged time index is rebuilt at open to the same bytes",
          "[storage]") {
  temp_dir dir;
  auto cfg = small_segments();
  {
    auto log = open_log(dir, cfg);
    append_at(*log, seven_batches);
  }
  auto path = dir.file(segment_name(30, ".timeindex"));
  auto good = read_file(path);
  REQUIRE(good.size() == time_index::header_size + 2 * time_index::entry_size);
  auto bad = good;
  std::string reason;
  SECTION("missing (a log written before time indexes)") {
    fs::remove(path);
    reason = "time index file missing";
  }
  SECTION("random bytes") {
    write_file(path, "this is not a time index at all, not even close");
    reason = "bad magic";
  }
  SECTION("another version") {
    bad[5] = 2;
    write_file(path, bad);
    reason = "version 2";
  }
  SECTION("a torn entry") {
    write_file(path, good.substr(0, good.size() - 3));
    reason = "not a multiple";
  }
  SECTION("the last entry names the wrong batch") {
    bad[14 + 16 + 11] = 21;  // relative offset 21 instead of 20
    write_file(path, bad);
    reason = "has base offset 50";
  }
  SECTION("the last entry understates its batch's max timestamp") {
    bad[14 + 7] = 0x32;  // both entries: 1100 = 0x44c becomes 1074 = 0x432
    bad[14 + 16 + 7] = 0x32;
    write_file(path, bad);
    reason = "its batch has max timestamp 1075";
  }
  log_capture capture;
  auto log = open_log(dir, cfg);
  CHECK(capture.text().find("rebuilding index of " + segment_name(30, ".log")
                            + " by a full scan: ")
        != std::string::npos);
  CHECK(capture.text().find(reason) != std::string::npos);
  CHECK(read_file(path) == good);
  CHECK(search(*log, 1060) == found{{log_offset{30}, 1100}});
  CHECK(search(*log, 1101) == found{{log_offset{60}, 2000}});
}

TEST_CASE("an empty time index is valid, gets its seal entry and still finds records",
          "[storage]") {
  temp_dir dir;
  auto cfg = small_segments();
  auto one = static_cast<uint32_t>(make_batch(10).size());
  {
    auto log = open_log(dir, cfg);
    append_at(*log, seven_batches);
  }
  write_file(dir.file(segment_name(30, ".timeindex")), header(30));  // a crashed rebuild
  log_capture capture;
  auto log = open_log(dir, cfg);
  CHECK(capture.text().find("rebuilding") == std::string::npos);
  CHECK(entries_in(dir, 30) == std::vector<entry_tuple>{{1100, log_offset{50}, 2 * one}});
  CHECK(search(*log, 1100) == found{{log_offset{30}, 1100}});
  CHECK(search(*log, 1051) == found{{log_offset{30}, 1100}});
}

TEST_CASE("the active segment's time index is rebuilt from its batches at open",
          "[storage]") {
  temp_dir dir;
  auto cfg = small_segments();
  auto one = static_cast<uint32_t>(make_batch(10).size());
  {
    auto log = open_log(dir, cfg);
    append_at(*log, {1000, 900, 1200, 1300, 1250});  // active segment 30: 1300, 1250
  }
  auto path = dir.file(segment_name(30, ".timeindex"));
  auto good = read_file(path);
  SECTION("missing") {
    fs::remove(path);
  }
  SECTION("stale entries") {
    write_file(path, header(30) + entry_bytes(5000, 70, 10 * one));
  }
  auto log = open_log(dir, cfg);
  CHECK(read_file(path) == good);
  CHECK(entries_in(dir, 30) == std::vector<entry_tuple>{{1300, log_offset{40}, one}});
  CHECK(search(*log, 1260) == found{{log_offset{30}, 1300}});
  CHECK(!search(*log, 1301));
}

TEST_CASE("truncation drops the time index entries of the batches cut", "[storage]") {
  temp_dir dir;
  auto cfg = small_segments();
  auto one = static_cast<uint32_t>(make_batch(10).size());
  auto log = open_log(dir, cfg);
  append_at(*log, {1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800});
  REQUIRE(log->segment_count() == 3);
  SECTION("inside an older segment") {
    REQUIRE(!log->truncate_to(log_offset{45}));  // segment 30 keeps [30,40)
    CHECK(!fs::exists(dir.file(segment_name(60, ".timeindex"))));
    CHECK(entries_in(dir, 30).empty());
    CHECK(search(*log, 1300) == found{{log_offset{30}, 1300}});
    CHECK(!search(*log, 1301));
    // The leader's batches replace the divergent ones: older timestamps this time.
    append_at(*log, {1250, 1350});
    CHECK(entries_in(dir, 30) == std::vector<entry_tuple>{
        {1300, log_offset{40}, one},
        {1350, log_offset{50}, 2 * one}});
    CHECK(search(*log, 1301) == found{{log_offset{50}, 1350}});
    log.reset();
    log = open_log(dir, cfg);
    CHECK(search(*log, 1301) == found{{log_offset{50}, 1350}});
  }
  SECTION("fully, restarting at an offset") {
    REQUIRE(!log->truncate_fully_and_start_at(log_offset{500}));
    CHECK(!search(*log, 0));
    CHECK(!fs::exists(dir.file(segment_name(0, ".timeindex"))));
    append_at(*log, {10, 20});
    CHECK(entries_in(dir, 500) == std::vector<entry_tuple>{{20, log_offset{510}, one}});
    CHECK(search(*log, 11) == found{{log_offset{510}, 20}});
  }
}

TEST_CASE("retention and the open's cleanup take the time index with its segment",
          "[storage]") {
  temp_dir dir;
  auto cfg = small_segments();
  cfg.retention_ms = 100;
  {
    auto log = open_log(dir, cfg);
    append_at(*log, {1000, 1100, 1200, 5000, 5100, 5200, 9000});
    auto n = log->enforce_retention(5000);
    REQUIRE(n);
    CHECK(*n == 1);
    CHECK(!fs::exists(dir.file(segment_name(0, ".timeindex"))));
    CHECK(search(*log, 0) == found{{log_offset{30}, 5000}});
  }
  write_file(dir.file(segment_name(700, ".timeindex")), header(700));  // no .log
  auto log = open_log(dir, cfg);
  CHECK(!fs::exists(dir.file(segment_name(700, ".timeindex"))));
  CHECK(search(*log, 5150) == found{{log_offset{50}, 5200}});
}
