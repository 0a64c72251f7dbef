// Tests of partition_log recovery at open: torn tails are cut, other damage (mid-segment,
// sealed segments, overlaps) fails open with no file changed, missing or garbage indexes,
// leftover files, and random garbage that must never crash.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/storage/partition_log.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using cafka::test::batch_bases;
using cafka::test::log_capture;
using cafka::test::make_batch;
using cafka::test::offsets_in;
using cafka::test::read_file;
using cafka::test::segment_name;
using cafka::test::small_segments;
using cafka::test::temp_dir;
using cafka::test::write_file;

namespace {

namespace fs = std::filesystem;

std::unique_ptr<partition_log> open_log(const temp_dir& dir, log_config cfg = {}) {
  auto log = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
  REQUIRE(log);
  return std::move(*log);
}

void append_n(partition_log& log, int batches, int records) {
  for (int i = 0; i < batches; ++i) {
    auto b = make_batch(records);
    REQUIRE(log.append(b, 0));
  }
}

std::vector<log_offset> range(int64_t begin, int64_t end) {
  std::vector<log_offset> out;
  for (auto i = begin; i < end; ++i)
    out.push_back(log_offset{i});
  return out;
}

bool ends_with_log(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
}

// Everything in the log from its start, as record offsets.
std::vector<log_offset> all_offsets(const partition_log& log) {
  auto r = log.read(log.log_start_offset(), 1 << 24);
  REQUIRE(r);
  return offsets_in(r->data);
}

} // namespace

TEST_CASE("recovery cuts a torn tail back to the last whole batch", "[storage]") {
  temp_dir dir;
  auto one = make_batch(10).size();
  {
    auto log = open_log(dir);
    append_n(*log, 5, 10);
  }
  auto path = dir.file(segment_name(0, ".log"));
  std::string reason;
  SECTION("cut inside the records of the last batch") {
    fs::resize_file(path, 5 * one - 30);
    reason = "runs past the end of the file";
  }
  SECTION("cut inside the header of the last batch") {
    fs::resize_file(path, 4 * one + 20);
    reason = "incomplete batch header";
  }
  SECTION("zeros after the last whole batch (the file grew, its data never reached disk)") {
    fs::resize_file(path, 4 * one);
    fs::resize_file(path, 4 * one + 3 * one);
    reason = "batch length 0 below the header size";
  }
  SECTION("the last batch fails its CRC") {
    auto bytes = read_file(path);
    bytes[4 * one + 100] ^= 0x01;
    write_file(path, bytes);
    reason = "CRC";
  }
  log_capture capture;
  auto log = open_log(dir);
  CHECK(log->log_end_offset() == log_offset{40});
  CHECK(fs::file_size(path) == 4 * one);
  CHECK(all_offsets(*log) == range(0, 40));
  CHECK(capture.lines() == 1);
  CHECK(capture.text().find("truncated torn tail of " + segment_name(0, ".log")
                            + " at position " + std::to_string(4 * one))
        != std::string::npos);
  CHECK(capture.text().find(reason) != std::string::npos);
  append_n(*log, 1, 10);
  CHECK(log->log_end_offset() == log_offset{50});
  CHECK(all_offsets(*log) == range(0, 50));
}

TEST_CASE("a bad batch in the middle of the last segment fails open and changes no file",
          "[storage]") {
  temp_dir dir;
  auto one = make_batch(10).size();
  {
    auto log = open_log(dir);
    append_n(*log, 5, 10);
  }
  auto path = dir.file(segment_name(0, ".log"));
  auto bytes = read_file(path);
  std::string why;
  SECTION("a flipped bit in the records of batch [20, 30)") {
    bytes[2 * one + batch_header_size + 5] ^= 0x40;
    why = "CRC";
  }
  SECTION("a page of zeros over batch [20, 30), whole batches after it") {
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(2 * one),
              bytes.begin() + static_cast<std::ptrdiff_t>(3 * one), '\0');
    why = "batch length 0 below the header size";
  }
  write_file(path, bytes);
  auto before = test::dir_files(dir.str());
  log_capture capture;
  auto log = partition_log::open(test::real_disk(), dir.str(), log_config{}, 0);
  REQUIRE(!log);
  CHECK(errc_of(log.error()) == errc::corrupt_message);
  auto text = context_of(log.error());
  auto prefix = path + ": corrupt batch at position " + std::to_string(2 * one) + " (offset 20): ";
  CHECK(text.substr(0, prefix.size()) == prefix);
  CHECK(text.find(why) != std::string::npos);
  CHECK(text.find("a valid batch follows at position " + std::to_string(3 * one))
        != std::string::npos);
  CHECK(test::dir_files(dir.str()) == before);
  CHECK(capture.lines() == 0);
}

TEST_CASE("a bad batch in a sealed segment fails open and changes no file", "[storage]") {
  temp_dir dir;
  auto cfg = small_segments();
  auto one = make_batch(10).size();
  {
    auto log = open_log(dir, cfg);
    append_n(*log, 9, 10);  // segments 0, 30, 60
  }
  auto path = dir.file(segment_name(30, ".log"));
  auto bytes = read_file(path);
  std::string why;
  SECTION("bad length in the tail of the segment (found by the header walk)") {
    bytes[2 * one + 8] = 0x7f;  // batch_length of [50,60): runs past the file
    why = "runs past the end of the file";
  }
  SECTION("bad CRC in a segment without index (found by the full check)") {
    bytes[2 * one + 200] ^= 0x10;
    fs::remove(dir.file(segment_name(30, ".index")));
    why = "CRC";
  }
  SECTION("bad CRC of the last batch of a segment with a ragged index") {
    bytes[2 * one + 200] ^= 0x10;
    auto index = read_file(dir.file(segment_name(30, ".index")));
    write_file(dir.file(segment_name(30, ".index")), index + "xyz");
    why = "CRC";
  }
  write_file(path, bytes);
  auto before = test::dir_files(dir.str());
  auto log = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
  REQUIRE(!log);
  CHECK(errc_of(log.error()) == errc::corrupt_message);
  auto text = context_of(log.error());
  auto prefix = path + ": corrupt batch at position " + std::to_string(2 * one) + " (offset 50): ";
  CHECK(text.substr(0, prefix.size()) == prefix);
  CHECK(text.find(why) != std::string::npos);
  CHECK(text.find("(in a sealed segment)") != std::string::npos);
  CHECK(test::dir_files(dir.str()) == before);
  // Opening again gives the same error and still changes nothing.
  auto again = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
  REQUIRE(!again);
  CHECK(context_of(again.error()) == text);
  CHECK(test::dir_files(dir.str()) == before);
}

TEST_CASE("overlapping segments fail open and change no file", "[storage]") {
  temp_dir dir;
  auto cfg = small_segments();
  {
    auto log = open_log(dir, cfg);
    append_n(*log, 6, 10);  // segments 0, 30
  }
  // A copy of segment 30 under the name 25: it ends at 60, past 30.
  for (auto ext : {".log", ".index", ".timeindex"})
    fs::copy_file(dir.file(segment_name(30, ext)), dir.file(segment_name(25, ext)));
  auto before = test::dir_files(dir.str());
  auto log = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
  REQUIRE(!log);
  CHECK(errc_of(log.error()) == errc::corrupt_message);
  CHECK(test::dir_files(dir.str()) == before);
}

TEST_CASE("a missing or garbage index is rebuilt and reads still work", "[storage]") {
  temp_dir dir;
  auto cfg = small_segments();
  {
    auto log = open_log(dir, cfg);
    append_n(*log, 9, 10);
  }
  auto index = dir.file(segment_name(30, ".index"));
  auto good = read_file(index);
  REQUIRE(good.size() == 16);
  SECTION("missing") {
    fs::remove(index);
  }
  SECTION("random bytes") {
    write_file(index, "this is not an index at all, not even close");
  }
  SECTION("entries pointing past the log") {
    write_file(index, std::string("\0\0\0\5\0\0\0\x10\0\0\0\6\x7f\0\0\0", 16));
  }
  SECTION("an entry pointing at the wrong batch") {
    auto bad = good;
    bad[11] = 0x15;  // last entry: offset 51 instead of 50
    write_file(index, bad);
  }
  SECTION("empty: stale but valid, completed by the header walk") {
    write_file(index, "");
  }
  auto log = open_log(dir, cfg);
  CHECK(log->log_end_offset() == log_offset{90});
  CHECK(all_offsets(*log) == range(0, 90));
  for (int64_t from = 30; from < 60; from += 3) {
    auto r = log->read(log_offset{from}, 1);
    REQUIRE(r);
    CHECK(batch_bases(r->data) == std::vector<int64_t>{from / 10 * 10});
  }
  log.reset();
  CHECK(read_file(index) == good);  // rebuilt to the same bytes
}

TEST_CASE("leftover files are cleaned up at open", "[storage]") {
  temp_dir dir;
  {
    auto log = open_log(dir);
    append_n(*log, 2, 10);
  }
  write_file(dir.file(segment_name(500, ".index")), std::string(16, 'x'));  // no .log
  write_file(dir.file(segment_name(0, ".log") + ".deleted"), "old");
  write_file(dir.file("partition.meta.tmp"), "half");
  write_file(dir.file("leader-epoch-checkpoint"), "kept");  // not ours: left alone
  fs::create_directory(dir.file(segment_name(900, ".log")));  // not a file: ignored
  auto log = open_log(dir);
  CHECK(log->log_end_offset() == log_offset{20});
  CHECK(!fs::exists(dir.file(segment_name(500, ".index"))));
  CHECK(!fs::exists(dir.file(segment_name(0, ".log") + ".deleted")));
  CHECK(!fs::exists(dir.file("partition.meta.tmp")));
  CHECK(fs::exists(dir.file("leader-epoch-checkpoint")));
}

TEST_CASE("random garbage files never crash open and leave a usable log", "[storage]") {
  std::mt19937_64 rng{42};
  auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (auto& c : s)
      c = static_cast<char>(rng());
    return s;
  };
  for (int round = 0; round < 40; ++round) {
    temp_dir dir;
    auto cfg = small_segments();
    int pick = round % 5;
    if (pick == 0) {
      write_file(dir.file(segment_name(0, ".log")), "");
      write_file(dir.file(segment_name(0, ".index")), "");
    } else if (pick == 1) {
      write_file(dir.file(segment_name(0, ".log")), random_bytes(rng() % 5000));
      write_file(dir.file(segment_name(0, ".index")), random_bytes(rng() % 100));
    } else if (pick == 2) {
      write_file(dir.file(segment_name(0, ".log")), random_bytes(rng() % 5000));
      write_file(dir.file(segment_name(7, ".log")), random_bytes(rng() % 5000));
      write_file(dir.file(segment_name(7, ".index")), random_bytes(8 * (rng() % 10)));
      write_file(dir.file(segment_name(1000, ".log")), random_bytes(rng() % 70));
    } else {
      // A real log with random damage: a byte range overwritten, or a random cut.
      {
        auto log = open_log(dir, cfg);
        append_n(*log, 7, 10);
      }
      for (auto& e : fs::directory_iterator{dir.path()}) {
        auto bytes = read_file(e.path().string());
        if (bytes.empty())
          continue;
        if (pick == 3) {
          auto at = rng() % bytes.size();
          auto n = std::min<size_t>(1 + rng() % 64, bytes.size() - at);
          auto junk = random_bytes(n);
          bytes.replace(at, n, junk);
        } else {
          bytes.resize(rng() % bytes.size());
        }
        write_file(e.path().string(), bytes);
      }
    }
    // The .log files (the indexes of segments opened before a failure may be rebuilt).
    auto logs = [&] {
      auto files = test::dir_files(dir.str());
      for (auto i = files.begin(); i != files.end();)
        i = ends_with_log(i->first) ? std::next(i) : files.erase(i);
      return files;
    };
    auto before = logs();
    auto log = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
    if (!log) {
      // Damage that is not a torn tail: refused, and no .log changed.
      CHECK(errc_of(log.error()) == errc::corrupt_message);
      CHECK(logs() == before);
      continue;
    }
    auto& l = **log;
    auto start = l.log_start_offset();
    auto end = l.log_end_offset();
    CHECK(start <= end);
    // Older segments are trusted (only their tail is walked at open): a byte flipped in one of
    // their middle batches surfaces as corrupt_message on read, never as a crash.
    auto r = l.read(start, 1 << 20);
    if (!r)
      CHECK(errc_of(r.error()) == errc::corrupt_message);
    auto b = make_batch(3);
    auto base = l.append(b, 0);
    REQUIRE(base);
    CHECK(*base == end);
    r = l.read(end, 1 << 20);
    REQUIRE(r);
    CHECK(offsets_in(r->data, end) == std::vector<log_offset>{end, end + 1, end + 2});
  }
}
