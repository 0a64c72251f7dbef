// Tests of partition_log retention: by time (largest record timestamp of a segment) and by
// size (Kafka's retention.bytes), never deleting the active segment, across a reopen.

#include <catch2/catch.hpp>

#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/storage/partition_log.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using cafka::test::make_batch;
using cafka::test::segment_name;
using cafka::test::temp_dir;

namespace {

namespace fs = std::filesystem;

// Three batches of 10 records per segment; batch i has timestamp timestamps[i].
std::unique_ptr<partition_log> make_log(const temp_dir& dir, log_config cfg,
                                        const std::vector<int64_t>& timestamps) {
  cfg.segment_bytes = 3 * make_batch(10).size();
  auto log = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
  REQUIRE(log);
  for (auto ts : timestamps) {
    auto b = make_batch(10, 100, ts);
    REQUIRE((*log)->append(b, ts));
  }
  return std::move(*log);
}

// Segments 0, 30, 60 with largest timestamps 1000, 2000, 3000; active segment 90 at 4000.
const std::vector<int64_t> ten_batches{1000, 900, 1000, 2000, 1500, 1800,
                                       3000, 2500, 2900, 4000};

} // namespace

TEST_CASE("retention by time deletes segments whose newest record is too old", "[storage]") {
  temp_dir dir;
  log_config cfg;
  cfg.retention_ms = 1500;
  auto log = make_log(dir, cfg, ten_batches);
  REQUIRE(log->segment_count() == 4);
  auto n = log->enforce_retention(3400);  // 0 is 2400 ms old; 30 only 1400
  REQUIRE(n);
  CHECK(*n == 1);
  CHECK(log->log_start_offset() == log_offset{30});
  CHECK(!fs::exists(dir.file(segment_name(0, ".log"))));
  CHECK(!fs::exists(dir.file(segment_name(0, ".index"))));
  auto r = log->read(log_offset{10}, 100);
  REQUIRE(!r);
  CHECK(errc_of(r.error()) == errc::offset_out_of_range);
  n = log->enforce_retention(3600);  // 30: age 1600 > 1500
  REQUIRE(n);
  CHECK(*n == 1);
  CHECK(log->log_start_offset() == log_offset{60});
  n = log->enforce_retention(1000000);  // everything is old, but the active segment stays
  REQUIRE(n);
  CHECK(*n == 1);
  CHECK(log->segment_count() == 1);
  CHECK(log->log_start_offset() == log_offset{90});
  CHECK(log->log_end_offset() == log_offset{100});
  r = log->read(log_offset{90}, 1 << 20);
  REQUIRE(r);
  CHECK(test::offsets_in(r->data).size() == 10);
}

TEST_CASE("retention by time uses timestamps read back after a reopen", "[storage]") {
  temp_dir dir;
  log_config cfg;
  cfg.retention_ms = 1500;
  make_log(dir, cfg, ten_batches).reset();
  cfg.segment_bytes = 3 * make_batch(10).size();
  auto log = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
  REQUIRE(log);
  auto n = (*log)->enforce_retention(3600);
  REQUIRE(n);
  CHECK(*n == 2);
  CHECK((*log)->log_start_offset() == log_offset{60});
  (*log).reset();
  log = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
  REQUIRE(log);
  CHECK((*log)->log_start_offset() == log_offset{60});  // deletion is durable
  CHECK((*log)->log_end_offset() == log_offset{100});
}

TEST_CASE("retention -1 keeps everything", "[storage]") {
  temp_dir dir;
  log_config cfg;
  cfg.retention_ms = -1;
  cfg.retention_bytes = -1;
  auto log = make_log(dir, cfg, ten_batches);
  auto n = log->enforce_retention(std::numeric_limits<int64_t>::max());
  REQUIRE(n);
  CHECK(*n == 0);
  CHECK(log->segment_count() == 4);
}

TEST_CASE("retention by bytes deletes the oldest segments while the excess allows",
          "[storage]") {
  temp_dir dir;
  auto one = make_batch(10).size();
  log_config cfg;
  cfg.retention_ms = -1;
  SECTION("excess smaller than the oldest segment: nothing") {
    cfg.retention_bytes = static_cast<int64_t>(8 * one);  // total 10: excess 2 < 3
    auto log = make_log(dir, cfg, ten_batches);
    CHECK(*log->enforce_retention(0) == 0);
    CHECK(log->log_start_offset() == log_offset{0});
  }
  SECTION("excess covers one segment") {
    cfg.retention_bytes = static_cast<int64_t>(5 * one);  // excess 5: one segment of 3
    auto log = make_log(dir, cfg, ten_batches);
    CHECK(*log->enforce_retention(0) == 1);
    CHECK(log->log_start_offset() == log_offset{30});
    CHECK(log->size_bytes() == 7 * one);
    CHECK(*log->enforce_retention(0) == 0);
  }
  SECTION("zero: everything but the active segment") {
    cfg.retention_bytes = 0;
    auto log = make_log(dir, cfg, ten_batches);
    CHECK(*log->enforce_retention(0) == 3);
    CHECK(log->segment_count() == 1);
    CHECK(log->log_start_offset() == log_offset{90});
    auto b = make_batch(10);
    CHECK(*log->append(b, 0) == log_offset{100});
  }
}
