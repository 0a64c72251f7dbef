// Tests of partition_log's normal operation: append and read with offsets, max_bytes and
// upto limits, segment rolling, reopen, truncate_to, flush, offset range errors, and a
// segment refusing a batch that does not continue or fit it.

#include <catch2/catch.hpp>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/storage/partition_log.hpp"
#include "runtime/storage/segment.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using cafka::test::batch_bases;
using cafka::test::make_batch;
using cafka::test::offsets_in;
using cafka::test::temp_dir;

namespace {

std::unique_ptr<partition_log> open_log(const temp_dir& dir, log_config cfg = {}) {
  auto log = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
  REQUIRE(log);
  return std::move(*log);
}

// Appends `batches` batches of `records` records each; returns the base offsets assigned.
std::vector<log_offset> append_n(partition_log& log, int batches, int records,
                                 size_t value_size = 100, int64_t ts = 1000) {
  std::vector<log_offset> bases;
  for (int i = 0; i < batches; ++i) {
    auto b = make_batch(records, value_size, ts);
    auto base = log.append(b, ts);
    REQUIRE(base);
    bases.push_back(*base);
  }
  return bases;
}

std::vector<log_offset> range(int64_t begin, int64_t end) {
  std::vector<log_offset> out;
  for (auto i = begin; i < end; ++i)
    out.push_back(log_offset{i});
  return out;
}

std::vector<log_offset> offsets(std::initializer_list<int64_t> xs) {
  std::vector<log_offset> out;
  for (auto x : xs)
    out.push_back(log_offset{x});
  return out;
}

} // namespace

TEST_CASE("a new log has one empty segment at offset 0", "[storage]") {
  temp_dir dir;
  auto log = open_log(dir);
  CHECK(log->log_start_offset() == log_offset{0});
  CHECK(log->log_end_offset() == log_offset{0});
  CHECK(log->segment_count() == 1);
  CHECK(log->size_bytes() == 0);
  CHECK(std::filesystem::exists(dir.file(test::segment_name(0, ".log"))));
  CHECK(std::filesystem::exists(dir.file(test::segment_name(0, ".index"))));
  auto r = log->read(log_offset{0}, 1000);
  REQUIRE(r);
  CHECK(r->data.empty());
  CHECK(r->next_offset == log_offset{0});
}

TEST_CASE("append assigns offsets and read returns the records", "[storage]") {
  temp_dir dir;
  auto log = open_log(dir);
  auto b = make_batch(10);
  auto size = b.size();
  auto base = log->append(b, 0);
  REQUIRE(base);
  CHECK(*base == log_offset{0});
  batch_header h;
  REQUIRE(read_batch_header(b.data(), b.size(), h));
  CHECK(h.base_offset == 0);  // patched in place
  CHECK(append_n(*log, 3, 5) == offsets({10, 15, 20}));
  CHECK(log->log_end_offset() == log_offset{25});
  CHECK(log->size_bytes() == size + 3 * make_batch(5).size());
  auto r = log->read(log_offset{0}, 1 << 20);
  REQUIRE(r);
  CHECK(offsets_in(r->data) == range(0, 25));
  CHECK(r->next_offset == log_offset{25});
  CHECK(batch_bases(r->data) == std::vector<int64_t>{0, 10, 15, 20});
  // Every stored batch is still CRC-valid after the base offset patch.
  CHECK(!validate_batch(std::string_view{r->data}.substr(0, size)));
  SECTION("reading from the middle of a batch returns that batch whole") {
    auto r2 = log->read(log_offset{12}, 1 << 20);
    REQUIRE(r2);
    CHECK(batch_bases(r2->data) == std::vector<int64_t>{10, 15, 20});
    CHECK(offsets_in(r2->data, log_offset{12}) == range(12, 25));
  }
  SECTION("reading at the end returns nothing") {
    auto r2 = log->read(log_offset{25}, 1 << 20);
    REQUIRE(r2);
    CHECK(r2->data.empty());
    CHECK(r2->next_offset == log_offset{25});
  }
}

TEST_CASE("read stops at max_bytes but returns at least one batch", "[storage]") {
  temp_dir dir;
  auto log = open_log(dir);
  append_n(*log, 4, 10);
  auto one = make_batch(10).size();
  auto r = log->read(log_offset{0}, 10);  // smaller than one batch
  REQUIRE(r);
  CHECK(r->data.size() == one);
  CHECK(r->next_offset == log_offset{10});
  r = log->read(log_offset{0}, 2 * one + one / 2);
  REQUIRE(r);
  CHECK(batch_bases(r->data) == std::vector<int64_t>{0, 10});
  CHECK(r->next_offset == log_offset{20});
  r = log->read(log_offset{10}, 3 * one);
  REQUIRE(r);
  CHECK(batch_bases(r->data) == std::vector<int64_t>{10, 20, 30});
  r = log->read(log_offset{35}, 0);
  REQUIRE(r);
  CHECK(batch_bases(r->data) == std::vector<int64_t>{30});
}

TEST_CASE("read with upto returns only batches that end at or before it", "[storage]") {
  temp_dir dir;
  auto log = open_log(dir);
  append_n(*log, 4, 10);  // batches [0,10) [10,20) [20,30) [30,40)
  auto r = log->read(log_offset{0}, 1 << 20, log_offset{25});
  REQUIRE(r);
  CHECK(batch_bases(r->data) == std::vector<int64_t>{0, 10});
  CHECK(r->next_offset == log_offset{20});
  r = log->read(log_offset{0}, 1 << 20, log_offset{20});
  REQUIRE(r);
  CHECK(batch_bases(r->data) == std::vector<int64_t>{0, 10});
  r = log->read(log_offset{20}, 1 << 20, log_offset{25});  // batch [20,30) not committed
  REQUIRE(r);
  CHECK(r->data.empty());
  CHECK(r->next_offset == log_offset{20});
  r = log->read(log_offset{5}, 0, log_offset{40});
  REQUIRE(r);
  CHECK(batch_bases(r->data) == std::vector<int64_t>{0});
}

TEST_CASE("reads outside [start, end] are offset_out_of_range", "[storage]") {
  temp_dir dir;
  auto log = open_log(dir);
  append_n(*log, 2, 10);
  auto r = log->read(log_offset{21}, 100);
  REQUIRE(!r);
  CHECK(errc_of(r.error()) == errc::offset_out_of_range);
  r = log->read(no_offset, 100);
  REQUIRE(!r);
  CHECK(errc_of(r.error()) == errc::offset_out_of_range);
}

TEST_CASE("append refuses bytes that are not one whole batch", "[storage]") {
  temp_dir dir;
  auto log = open_log(dir);
  std::string junk = "short";
  auto r = log->append(junk, 0);
  REQUIRE(!r);
  CHECK(errc_of(r.error()) == errc::corrupt_message);
  auto b = make_batch(3);
  b.pop_back();
  r = log->append(b, 0);
  REQUIRE(!r);
  CHECK(errc_of(r.error()) == errc::corrupt_message);
  CHECK(log->log_end_offset() == log_offset{0});
}

TEST_CASE("segments roll at segment_bytes and reads cross segment boundaries", "[storage]") {
  temp_dir dir;
  auto one = make_batch(10).size();
  log_config cfg;
  cfg.segment_bytes = 3 * one;  // three batches per segment
  cfg.index_interval_bytes = 1; // an index entry for every batch but the first
  {
    auto log = open_log(dir, cfg);
    append_n(*log, 10, 10);
    CHECK(log->segment_count() == 4);
    CHECK(log->log_end_offset() == log_offset{100});
    for (int64_t base : {0, 30, 60, 90})
      CHECK(std::filesystem::exists(dir.file(test::segment_name(base, ".log"))));
    CHECK(std::filesystem::file_size(dir.file(test::segment_name(0, ".log"))) == 3 * one);
    // Sealed indexes are trimmed to their entries: two per three-batch segment.
    CHECK(std::filesystem::file_size(dir.file(test::segment_name(30, ".index"))) == 16);
    auto r = log->read(log_offset{0}, 1 << 20);
    REQUIRE(r);
    CHECK(offsets_in(r->data) == range(0, 100));
    r = log->read(log_offset{25}, 4 * one);
    REQUIRE(r);
    CHECK(batch_bases(r->data) == std::vector<int64_t>{20, 30, 40, 50});
    for (int64_t from = 0; from < 100; from += 7) {
      r = log->read(log_offset{from}, 1);
      REQUIRE(r);
      CHECK(batch_bases(r->data) == std::vector<int64_t>{from / 10 * 10});
    }
  }
  SECTION("an oversize batch goes into a segment of its own") {
    auto log = open_log(dir, cfg);
    auto big = make_batch(100);
    REQUIRE(big.size() > cfg.segment_bytes);
    auto base = log->append(big, 0);
    REQUIRE(base);
    CHECK(*base == log_offset{100});
    CHECK(log->segment_count() == 5);
    append_n(*log, 1, 10);
    CHECK(log->segment_count() == 6);
    auto r = log->read(log_offset{100}, 10);
    REQUIRE(r);
    CHECK(r->data.size() == big.size());
    CHECK(r->next_offset == log_offset{200});
  }
}

TEST_CASE("a reopened log keeps its batches, offsets and segments", "[storage]") {
  temp_dir dir;
  auto one = make_batch(10).size();
  log_config cfg;
  cfg.segment_bytes = 4 * one;
  cfg.index_interval_bytes = static_cast<uint32_t>(one);
  {
    auto log = open_log(dir, cfg);
    append_n(*log, 10, 10);
    REQUIRE(!log->flush());
  }
  auto log = open_log(dir, cfg);
  CHECK(log->segment_count() == 3);
  CHECK(log->log_start_offset() == log_offset{0});
  CHECK(log->log_end_offset() == log_offset{100});
  auto r = log->read(log_offset{0}, 1 << 20);
  REQUIRE(r);
  CHECK(offsets_in(r->data) == range(0, 100));
  CHECK(append_n(*log, 3, 10) == offsets({100, 110, 120}));
  r = log->read(log_offset{95}, 1 << 20);
  REQUIRE(r);
  CHECK(offsets_in(r->data, log_offset{95}) == range(95, 130));
}

TEST_CASE("truncate_to drops whole batches at and after an offset", "[storage]") {
  temp_dir dir;
  auto one = make_batch(10).size();
  log_config cfg;
  cfg.segment_bytes = 3 * one;
  cfg.index_interval_bytes = 1;
  auto log = open_log(dir, cfg);
  append_n(*log, 10, 10);  // segments at 0, 30, 60, 90
  SECTION("inside a batch of an older segment") {
    REQUIRE(!log->truncate_to(log_offset{45}));  // drops [40,50) too
    CHECK(log->log_end_offset() == log_offset{40});
    CHECK(log->segment_count() == 2);
    CHECK(!std::filesystem::exists(dir.file(test::segment_name(60, ".log"))));
    CHECK(!std::filesystem::exists(dir.file(test::segment_name(90, ".index"))));
    auto r = log->read(log_offset{0}, 1 << 20);
    REQUIRE(r);
    CHECK(offsets_in(r->data) == range(0, 40));
    CHECK(append_n(*log, 2, 10) == offsets({40, 50}));
    CHECK(log->segment_count() == 2);  // [30,40) [40,50) [50,60) fill segment 30 again
    r = log->read(log_offset{0}, 1 << 20);
    REQUIRE(r);
    CHECK(offsets_in(r->data) == range(0, 60));
  }
  SECTION("at a segment base") {
    REQUIRE(!log->truncate_to(log_offset{60}));
    CHECK(log->log_end_offset() == log_offset{60});
    CHECK(log->segment_count() == 2);
  }
  SECTION("at the log end: nothing happens") {
    REQUIRE(!log->truncate_to(log_offset{100}));
    REQUIRE(!log->truncate_to(log_offset{500}));
    CHECK(log->log_end_offset() == log_offset{100});
  }
  SECTION("to the start: an empty log") {
    REQUIRE(!log->truncate_to(log_offset{0}));
    CHECK(log->log_end_offset() == log_offset{0});
    CHECK(log->segment_count() == 1);
    CHECK(log->size_bytes() == 0);
    CHECK(append_n(*log, 1, 10) == offsets({0}));
  }
  SECTION("survives a reopen") {
    REQUIRE(!log->truncate_to(log_offset{75}));
    log.reset();
    log = open_log(dir, cfg);
    CHECK(log->log_end_offset() == log_offset{70});
    auto r = log->read(log_offset{0}, 1 << 20);
    REQUIRE(r);
    CHECK(offsets_in(r->data) == range(0, 70));
  }
}

TEST_CASE("flush and maybe_flush follow flush.messages and flush.ms", "[storage]") {
  temp_dir dir;
  log_config cfg;
  cfg.flush_messages = 25;
  cfg.flush_ms = 1000;
  auto log = open_log(dir, cfg);
  append_n(*log, 3, 10);  // append calls maybe_flush: flushed at 30 >= 25
  CHECK(!log->maybe_flush(10));
  CHECK(!log->maybe_flush(5000));
  CHECK(!log->flush());
  CHECK(log->log_end_offset() == log_offset{30});
}

TEST_CASE("a segment refuses a batch that does not continue it or fit it, writing nothing",
          "[storage]") {
  temp_dir dir;
  auto seg = segment::create(test::real_disk(), dir.str(), log_offset{100}, segment_config{});
  REQUIRE(seg);
  auto& s = **seg;
  auto batch = make_batch(3);
  batch_header h;
  REQUIRE(read_batch_header(batch.data(), batch.size(), h));
  h.base_offset = 100;
  REQUIRE(!s.append(batch, h));
  auto size = s.size();
  SECTION("base offset below the segment's end") {
    h.base_offset = 101;
  }
  SECTION("offsets beyond uint32 of the segment base") {
    h.base_offset = 100 + (int64_t{1} << 32);
  }
  SECTION("a header that does not describe the bytes") {
    h.base_offset = 103;
    h.batch_length += 1;
  }
  CHECK(errc_of(s.append(batch, h)) == errc::invalid_request);
  CHECK(s.size() == size);
  CHECK(s.next_offset() == log_offset{103});
  CHECK(std::filesystem::file_size(s.log_path()) == size);
}
