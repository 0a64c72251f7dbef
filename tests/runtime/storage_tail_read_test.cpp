// Reads near the tail of a live log (which a segment serves from its recent appends) return
// exactly what the same reads return from the log reopened from disk (which walks the index
// and the batch headers), also with offset gaps between batches and after a truncation.
#include <catch2/catch.hpp>

#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

// Every read of [from, end] (all records, and a one-batch budget) on `live` equals the same
// read on a fresh open of its directory.
void check_reads_match_reopened(partition_log& live) {
  REQUIRE(!live.flush());
  auto reopened = partition_log::open(real_disk(), live.dir(), live.config(), 0);
  REQUIRE(reopened);
  for (auto from = live.log_start_offset().value; from <= live.log_end_offset().value; ++from) {
    for (size_t max_bytes : {size_t{1}, size_t{1} << 20}) {
      auto a = live.read(log_offset{from}, max_bytes);
      auto b = (*reopened)->read(log_offset{from}, max_bytes);
      REQUIRE(a);
      REQUIRE(b);
      INFO("read from " << from << ", max_bytes " << max_bytes);
      CHECK(a->data == b->data);
      CHECK(a->next_offset == b->next_offset);
    }
  }
}

} // namespace

TEST_CASE("tail reads of a live log match reads of the reopened log", "[storage]") {
  temp_dir dir;
  log_config cfg;
  cfg.index_interval_bytes = 1u << 20;  // no index entries: a cold read walks every header
  auto log = partition_log::open(real_disk(), dir.path(), cfg, 0);
  REQUIRE(log);
  // More batches than a segment remembers, of 1 to 5 records each.
  for (int i = 0; i < 40; ++i) {
    auto batch = make_batch(1 + i % 5, 20);
    REQUIRE(log.value()->append(batch, 0));
  }
  check_reads_match_reopened(**log);

  SECTION("after a truncation into the remembered batches and more appends") {
    auto end = log.value()->log_end_offset().value;
    REQUIRE(!log.value()->truncate_to(log_offset{end - 7}));
    for (int i = 0; i < 3; ++i) {
      auto batch = make_batch(2, 20);
      REQUIRE(log.value()->append(batch, 0));
    }
    check_reads_match_reopened(**log);
  }
}

TEST_CASE("tail reads across offset gaps match reads of the reopened log", "[storage]") {
  temp_dir dir;
  log_config cfg;
  cfg.index_interval_bytes = 1u << 20;
  auto log = partition_log::open(real_disk(), dir.path(), cfg, 0);
  REQUIRE(log);
  // A compacted leader's batches as a follower copies them: gaps of 0 to 3 offsets.
  int64_t next = 0;
  for (int i = 0; i < 30; ++i) {
    next += i % 4;
    auto batch = make_batch(1 + i % 3, 20);
    set_base_offset(batch.data(), log_offset{next});
    REQUIRE(!log.value()->append_replicated(batch, 0));
    next += 1 + i % 3;
  }
  REQUIRE(log.value()->log_end_offset() == log_offset{next});
  check_reads_match_reopened(**log);
}
