// Tests of partition_log::offset_for_timestamp (Kafka's ListOffsets by timestamp): the first
// record at or after a timestamp, against a scan of every record, across segments, reopen,
// rebuilt indexes, truncation and retention; whole batches skipped by their header.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/storage/partition_log.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using cafka::test::make_batch_at;
using cafka::test::segment_name;
using cafka::test::temp_dir;

namespace {

namespace fs = std::filesystem;

using found = std::optional<std::pair<log_offset, int64_t>>;  // offset, timestamp

std::unique_ptr<partition_log> open_log(const temp_dir& dir, log_config cfg = {}) {
  auto log = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
  REQUIRE(log);
  return std::move(*log);
}

void append_batches(partition_log& log, const std::vector<std::vector<int64_t>>& batches) {
  for (auto& ts : batches) {
    auto b = make_batch_at(ts);
    REQUIRE(log.append(b, 0));
  }
}

found search(const partition_log& log, int64_t ts) {
  auto r = log.offset_for_timestamp(ts);
  REQUIRE(r);
  if (!*r)
    return std::nullopt;
  return std::make_pair((*r)->offset, (*r)->timestamp);
}

// The answer by definition: the first record, in offset order, with timestamp >= ts.
found scan_all(const partition_log& log, int64_t ts) {
  auto r = log.read(log.log_start_offset(), 1 << 26);
  REQUIRE(r);
  std::vector<record> recs;
  REQUIRE(!decode_records(r->data, recs));
  for (auto& rec : recs)
    if (rec.timestamp >= ts)
      return std::make_pair(rec.offset, rec.timestamp);
  return std::nullopt;
}

// Checks the search against the scan for every timestamp in [lo, hi].
void check_all(const partition_log& log, int64_t lo, int64_t hi) {
  for (auto ts = lo; ts <= hi; ++ts) {
    INFO("timestamp " << ts);
    REQUIRE(search(log, ts) == scan_all(log, ts));
  }
}

// Overwrites one byte of a file that a log has open (it reads with pread, so it sees it).
void poke(const std::string& path, size_t pos, char value) {
  std::fstream f{path, std::ios::in | std::ios::out | std::ios::binary};
  f.seekp(static_cast<std::streamoff>(pos));
  f.put(value);
}

} // namespace

TEST_CASE("offset_for_timestamp finds the first record at or after a timestamp",
          "[storage]") {
  temp_dir dir;
  auto log = open_log(dir);
  CHECK(!search(*log, 0));
  append_batches(*log, {{100, 105, 103}, {90, 110}, {200}});  // offsets 0-2, 3-4, 5
  CHECK(search(*log, -5) == found{{log_offset{0}, 100}});
  CHECK(search(*log, 100) == found{{log_offset{0}, 100}});
  CHECK(search(*log, 101) == found{{log_offset{1}, 105}});
  CHECK(search(*log, 105) == found{{log_offset{1}, 105}});
  CHECK(search(*log, 106) == found{{log_offset{4}, 110}});  // not 103 or 90: both older
  CHECK(search(*log, 111) == found{{log_offset{5}, 200}});
  CHECK(search(*log, 200) == found{{log_offset{5}, 200}});
  CHECK(!search(*log, 201));
}

TEST_CASE("offset_for_timestamp agrees with a scan of every record", "[storage]") {
  std::mt19937_64 rng{7};
  for (int round = 0; round < 40; ++round) {
    log_config cfg;
    cfg.segment_bytes = 600 + rng() % 3000;
    cfg.index_interval_bytes = std::vector<uint32_t>{1, 300, 4096}[round % 3];
    // Timestamps that mostly grow, with jitter, equal runs and a few far in the past.
    int64_t clock = 1000;
    std::vector<std::vector<int64_t>> batches;
    for (int i = 0; i < 60; ++i) {
      std::vector<int64_t> ts;
      auto n = 1 + rng() % 5;
      for (size_t j = 0; j < n; ++j) {
        clock += static_cast<int64_t>(rng() % 4);
        auto jitter = static_cast<int64_t>(rng() % 30) - 15;
        ts.push_back(rng() % 20 == 0 ? 500 : clock + jitter);
      }
      batches.push_back(ts);
    }
    temp_dir dir;
    auto log = open_log(dir, cfg);
    append_batches(*log, batches);
    int mode = round % 5;
    INFO("round " << round << ", mode " << mode << ", " << log->segment_count()
                  << " segments");
    REQUIRE(log->segment_count() > 2);
    if (mode == 1) {  // reopened: older segments' indexes read back from disk
      log.reset();
      log = open_log(dir, cfg);
    } else if (mode == 2) {  // every time index rebuilt at open
      log.reset();
      for (auto& e : fs::directory_iterator{dir.path()})
        if (e.path().extension() == ".timeindex")
          fs::remove(e.path());
      log = open_log(dir, cfg);
    } else if (mode == 3) {  // a follower's truncation, then other batches
      auto cut = log_offset{static_cast<int64_t>(rng() % log->log_end_offset().value)};
      REQUIRE(!log->truncate_to(cut));
      append_batches(*log, {{clock - 100, clock + 30}, {clock - 50}, {clock + 40, 700}});
      clock += 40;
    } else if (mode == 4) {  // retention deleted the oldest segments
      cfg.retention_bytes = static_cast<int64_t>(log->size_bytes() / 2);
      log.reset();
      log = open_log(dir, cfg);
      auto n = log->enforce_retention(clock);
      REQUIRE(n);
      CHECK(*n > 0);
    }
    check_all(*log, 490, clock + 20);
  }
}

TEST_CASE("offset_for_timestamp skips older batches by header and decodes the first match",
          "[storage]") {
  temp_dir dir;
  auto log = open_log(dir);
  append_batches(*log, {{1000, 1001}, {2000, 2001}, {3000}});
  auto path = dir.file(segment_name(0, ".log"));
  auto first = make_batch_at({1000, 1001}).size();
  // The first record's length of batch 0 becomes -64: its records no longer parse.
  poke(path, batch_header_size, 0x7f);
  CHECK(search(*log, 1500) == found{{log_offset{2}, 2000}});
  CHECK(search(*log, 2001) == found{{log_offset{3}, 2001}});
  auto r = log->offset_for_timestamp(1000);
  REQUIRE(!r);
  CHECK(errc_of(r.error()) == errc::corrupt_message);
  // The same damage in the batch holding the answer.
  poke(path, first + batch_header_size, 0x7f);
  r = log->offset_for_timestamp(1500);
  REQUIRE(!r);
  CHECK(errc_of(r.error()) == errc::corrupt_message);
  CHECK(search(*log, 2500) == found{{log_offset{4}, 3000}});
}
