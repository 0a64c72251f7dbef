// Tests of the log cleaner's semantics (runtime/storage/log_cleaner.hpp): the latest record
// per key survives, keyless records go, tombstones go after delete_retention_ms, a producer's
// last batch stays as an empty batch, compressed batches stay compressed, reads, timestamp
// searches and reopen work across the offset gaps, bounded steps, a full key map, a corrupt
// batch, and the dirty ratio.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/storage/key_offset_map.hpp"
#include "runtime/storage/log_cleaner.hpp"
#include "tests/runtime/log_cleaner_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

// 10 000 updates over 100 keys, 10 per batch, at timestamps 1000 + i / 10.
void append_updates(partition_log& log, int count = 10000, int keys = 100) {
  for (int i = 0; i < count; i += 10) {
    std::vector<put> batch;
    for (int j = i; j < i + 10; ++j)
      batch.push_back(put{"key-" + std::to_string(j % keys), "value-" + std::to_string(j)});
    append_batch(log, batch, 1000 + i / 10);
  }
}

cleaner_config test_cleaner_config() {
  cleaner_config cfg;
  cfg.dedupe_buffer_bytes = 1 << 20;
  cfg.delete_retention_ms = 1000;
  return cfg;
}

} // namespace

TEST_CASE("cleaning keeps exactly the latest record of each key below the active segment",
          "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  append_updates(*log);
  auto before = read_all(*log);
  REQUIRE(before.size() == 10000);
  auto clean_end = active_base(*log);
  auto segments_before = log->segment_count();
  REQUIRE(segments_before > 100);
  log_cleaner cleaner{test_cleaner_config()};
  CHECK(*cleaner.dirty_ratio(*log, log->log_end_offset()) == 1.0);
  CHECK(*cleaner.needs_cleaning(*log, log->log_end_offset()));
  auto steps = run_pass(cleaner, *log, log->log_end_offset(), 5000, 8192);
  CHECK(steps > 10);  // bounded steps: the pass took many
  auto expected = compacted(before, clean_end);
  CHECK(read_all(*log) == expected);
  // Below the active segment: one record per key, each the key's last value.
  size_t below = 0;
  for (auto& r : expected)
    below += r.offset < clean_end ? 1 : 0;
  CHECK(below == 100);
  CHECK(log->log_start_offset() == log_offset{0});
  CHECK(log->log_end_offset() == log_offset{10000});
  CHECK(log->segment_count() < segments_before / 10);
  CHECK(cleaner.cleaned_up_to() == clean_end);
  CHECK(cleaner.stats().passes == 1);
  CHECK(cleaner.stats().records_removed == static_cast<uint64_t>(clean_end.value - 100));
  CHECK(*cleaner.dirty_ratio(*log, log->log_end_offset()) == 0.0);
  CHECK(!*cleaner.needs_cleaning(*log, log->log_end_offset()));
  CHECK(files_ending(dir.str(), ".cleaned").empty());
  CHECK(files_ending(dir.str(), ".swap").empty());
  // A second pass finds nothing dirty; reopening gives the same records.
  CHECK(run_pass(cleaner, *log, log->log_end_offset(), 5000) == 1);
  CHECK(cleaner.stats().passes == 1);
  auto bytes = read_all_bytes(*log);
  log.reset();
  auto reopened = open_cleaner_log(real_disk(), dir.str());
  CHECK(read_all_bytes(*reopened) == bytes);
  CHECK(reopened->log_end_offset() == log_offset{10000});
}

TEST_CASE("the cleaner stops at the limit and never touches the active segment",
          "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  append_updates(*log, 2000, 10);
  auto before = read_all(*log);
  auto segs = *log->sealed_segments();
  REQUIRE(segs.size() > 4);
  auto limit = segs[3].next - 1;  // inside segment 3: segments 0..2 are cleanable
  log_cleaner cleaner{test_cleaner_config()};
  run_pass(cleaner, *log, limit, 5000);
  CHECK(read_all(*log) == compacted(before, segs[2].next));
  CHECK(cleaner.cleaned_up_to() == segs[2].next);
}

TEST_CASE("keyless records are dropped and tombstones stay until delete_retention_ms",
          "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  append_batch(*log, {{"a", "1"}, {std::nullopt, "keyless"}, {"b", "1"}}, 1000);
  append_batch(*log, {{"a", std::nullopt}, {"c", "1"}}, 2000);  // tombstone of a
  // Fill the segment so that both batches are sealed.
  while (log->segment_count() < 2)
    append_batch(*log, {{"filler", std::string(100, 'x')}}, 2000);
  auto clean_end = active_base(*log);
  auto before = read_all(*log);
  cleaner_config cfg = test_cleaner_config();
  cfg.delete_retention_ms = 5000;
  log_cleaner cleaner{cfg};
  // The segment's largest timestamp is 2000: at now 7000 the tombstone is exactly 5000 old.
  run_pass(cleaner, *log, log->log_end_offset(), 7000);
  auto after = read_all(*log);
  std::vector<kv> head(after.begin(), after.begin() + 3);
  CHECK(head == std::vector<kv>{{log_offset{2}, "b", "1", 1000},
                                {log_offset{3}, "a", std::nullopt, 2000},
                                {log_offset{4}, "c", "1", 2000}});
  CHECK(after == compacted(before, clean_end));
  CHECK(cleaner.stats().tombstones_removed == 0);
  // A new pass over the same (now clean) segments: nothing is dirty, nothing happens.
  run_pass(cleaner, *log, log->log_end_offset(), 7001);
  CHECK(read_all(*log) == after);
  // A fresh cleaner counts everything dirty again: 1 ms later the tombstone goes.
  log_cleaner later{cfg};
  run_pass(later, *log, log->log_end_offset(), 7001);
  after = read_all(*log);
  head.assign(after.begin(), after.begin() + 2);
  CHECK(head == std::vector<kv>{{log_offset{2}, "b", "1", 1000}, {log_offset{4}, "c", "1", 2000}});
  CHECK(later.stats().tombstones_removed == 1);
}

TEST_CASE("a producer's last batch stays as an empty batch with its header",
          "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  append_batch(*log, {{"a", "1"}, {"b", "1"}}, 1000, compression_codec::none, 7, 0);   // 0-1
  append_batch(*log, {{"a", "2"}, {"b", "2"}}, 1000, compression_codec::none, 7, 2);   // 2-3
  append_batch(*log, {{"x", "1"}}, 1000, compression_codec::none, 9, 0);               // 4
  append_batch(*log, {{"a", "3"}, {"b", "3"}, {"x", "2"}}, 1000);                      // 5-7
  int fillers = 0;
  for (; log->segment_count() < 2; ++fillers)
    append_batch(*log, {{"filler", std::string(100, 'x')}}, 1000);
  log_cleaner cleaner{test_cleaner_config()};
  run_pass(cleaner, *log, log->log_end_offset(), 1000);
  auto batches = batches_of(read_all_bytes(*log));
  REQUIRE(batches.size() >= 3);
  // Producer 7's first batch went; its last and producer 9's only batch stay, empty.
  batch_header h;
  read_batch_header(batches[0].data(), batches[0].size(), h);
  CHECK(h.base_offset == 2);
  CHECK(h.last_offset_delta == 1);
  CHECK(h.record_count == 0);
  CHECK(h.producer_id == producer_id{7});
  CHECK(h.base_sequence == 2);
  CHECK(h.total_size() == batch_header_size);
  CHECK(h.next_offset() == log_offset{4});
  read_batch_header(batches[1].data(), batches[1].size(), h);
  CHECK(h.base_offset == 4);
  CHECK(h.record_count == 0);
  CHECK(h.producer_id == producer_id{9});
  read_batch_header(batches[2].data(), batches[2].size(), h);
  CHECK(h.base_offset == 5);
  CHECK(h.record_count == 3);
  CHECK(!validate_batch(batches[2]));  // untouched: still passes the produce-path check
  // The last filler below the active segment stays, and the one in it.
  CHECK(batches.size() == 5);
  CHECK(cleaner.stats().batches_removed == 1 + static_cast<uint64_t>(fillers - 2));
  // An empty batch reads as no records and is still found by offset.
  auto got = log->read(log_offset{2}, 1);
  REQUIRE(got);
  CHECK(batch_bases(got->data) == std::vector<int64_t>{2});
  CHECK(records_of(got->data).empty());
  CHECK(got->next_offset == log_offset{4});
}

TEST_CASE("compressed batches stay compressed with their codec", "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  std::vector<compression_codec> codecs{compression_codec::gzip, compression_codec::snappy,
                                        compression_codec::lz4, compression_codec::zstd};
  std::string value(200, 'z');
  for (int round = 0; round < 3; ++round)
    for (size_t c = 0; c < codecs.size(); ++c) {
      std::vector<put> batch;
      for (int j = 0; j < 8; ++j)  // keys k<c>-<j>; round 2 rewrites the even ones only
        if (round < 2 || j % 2 == 0)
          batch.push_back(put{"k" + std::to_string(c) + "-" + std::to_string(j),
                              value + std::to_string(round)});
      append_batch(*log, batch, 1000 + round, codecs[c]);
    }
  while (log->segment_count() < 2)
    append_batch(*log, {{"filler", std::string(100, 'x')}}, 2000);
  auto before = read_all(*log);
  auto clean_end = active_base(*log);
  log_cleaner cleaner{test_cleaner_config()};
  run_pass(cleaner, *log, log->log_end_offset(), 3000);
  CHECK(read_all(*log) == compacted(before, clean_end));
  // Rounds 0 are gone; rounds 1 keep the odd keys (thinned), rounds 2 are whole.
  size_t thinned = 0;
  size_t whole = 0;
  for (auto& b : batches_of(read_all_bytes(*log))) {
    batch_header h;
    read_batch_header(b.data(), b.size(), h);
    if (h.base_offset >= clean_end.value || h.compression() == compression_codec::none)
      continue;
    if (h.record_count == h.last_offset_delta + 1) {
      CHECK(!validate_batch(b));
      ++whole;
    } else {
      CHECK(h.record_count == 4);
      CHECK(h.last_offset_delta == 7);
      CHECK(errc_of(validate_batch(b)) == errc::invalid_record);  // thinned: produce check
      ++thinned;
    }
  }
  CHECK(thinned == 4);
  CHECK(whole == 4);
}

TEST_CASE("reads, timestamp searches and reopen work across the offset gaps",
          "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  append_updates(*log, 3000, 20);
  // Keyless records up to the active segment: the cleaned segment ends before it, a gap.
  while (log->segment_count() == 1 || active_base(*log) <= log_offset{3000})
    append_batch(*log, {{std::nullopt, "keyless"}}, 1300);
  auto clean_end = active_base(*log);
  log_cleaner cleaner{test_cleaner_config()};
  run_pass(cleaner, *log, log->log_end_offset(), 5000);
  auto all = read_all(*log);
  auto cleaned = *log->sealed_segments();
  REQUIRE(cleaned.back().next == log_offset{3000});
  auto gap = log->read(log_offset{3000}, 1);
  REQUIRE(gap);
  CHECK(batch_bases(gap->data) == std::vector<int64_t>{clean_end.value});
  // A read from any offset starts with the batch holding it or the first one after it, and
  // its first record at or after that offset is the log's.
  for (int64_t from = 0; from < clean_end.value; from += 37) {
    auto got = log->read(log_offset{from}, 4096);
    REQUIRE(got);
    batch_header h;
    REQUIRE(read_batch_header(got->data.data(), got->data.size(), h));
    CHECK(h.next_offset() > log_offset{from});
    auto recs = records_of(got->data);
    auto mine = std::find_if(recs.begin(), recs.end(),
                             [&](const kv& r) { return r.offset >= log_offset{from}; });
    auto first = std::find_if(all.begin(), all.end(),
                              [&](const kv& r) { return r.offset >= log_offset{from}; });
    REQUIRE(mine != recs.end());
    REQUIRE(first != all.end());
    CHECK(*mine == *first);
  }
  // The first record at or after a timestamp is a surviving one.
  for (int64_t ts : {int64_t{1000}, int64_t{1100}, int64_t{1250}}) {
    auto found = log->offset_for_timestamp(ts);
    REQUIRE(found);
    REQUIRE(*found);
    auto first = std::find_if(all.begin(), all.end(),
                              [&](const kv& r) { return r.timestamp >= ts; });
    REQUIRE(first != all.end());
    CHECK((*found)->offset == first->offset);
    CHECK((*found)->timestamp == first->timestamp);
  }
  CHECK(log->log_start_offset() == log_offset{0});
  CHECK(log->log_end_offset() > clean_end);
  log.reset();
  auto reopened = open_cleaner_log(real_disk(), dir.str());
  CHECK(read_all(*reopened) == all);
  auto again = reopened->read(log_offset{1}, 1);
  REQUIRE(again);
  CHECK(!again->data.empty());
}

TEST_CASE("a full key map cleans part of the log and later passes finish it", "[log_cleaner]") {
  temp_dir dir;
  auto small = cleaner_log_config();
  small.segment_bytes = 700;  // two batches of ten records: 20 keys a segment
  auto log = open_cleaner_log(real_disk(), dir.str(), small);
  append_updates(*log, 1500, 50);
  auto before = read_all(*log);
  auto clean_end = active_base(*log);
  cleaner_config cfg = test_cleaner_config();
  cfg.dedupe_buffer_bytes = 45 * key_offset_map::entry_size;  // 40 keys: fewer than 50
  log_cleaner cleaner{cfg};
  run_pass(cleaner, *log, log->log_end_offset(), 5000);
  CHECK(cleaner.cleaned_up_to() > log_offset{0});
  CHECK(cleaner.cleaned_up_to() < clean_end);
  int passes = 1;
  while (cleaner.cleaned_up_to() < clean_end && passes < 1000) {
    run_pass(cleaner, *log, log->log_end_offset(), 5000);
    ++passes;
  }
  CHECK(passes > 2);
  CHECK(cleaner.cleaned_up_to() == clean_end);
  CHECK(read_all(*log) == compacted(before, clean_end));
}

TEST_CASE("a key map smaller than one segment's keys is an error", "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  append_updates(*log, 500, 100);
  auto files = dir_files(dir.str());
  cleaner_config cfg = test_cleaner_config();
  cfg.dedupe_buffer_bytes = 4 * key_offset_map::entry_size;
  log_cleaner cleaner{cfg};
  auto p = cleaner.step(*log, log->log_end_offset(), 1 << 20, 5000);
  REQUIRE(!p);
  CHECK(errc_of(p.error()) == errc::invalid_config);
  CHECK_THAT(context_of(p.error()), Catch::Contains("dedupe buffer of 96 bytes holds 3 keys"));
  CHECK(!cleaner.in_pass());
  CHECK(dir_files(dir.str()) == files);
}

TEST_CASE("a corrupt batch stops cleaning and changes nothing", "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  append_updates(*log, 1000, 10);
  auto segs = *log->sealed_segments();
  REQUIRE(segs.size() > 3);
  log.reset();
  // Flip a byte inside a record of the third segment (its CRC no longer matches).
  auto path = (dir.path() / segment_name(segs[2].base.value, ".log")).string();
  auto bytes = read_file(path);
  bytes[batch_header_size + 5] ^= 0x40;
  write_file(path, bytes);
  auto reopened = open_cleaner_log(real_disk(), dir.str());
  auto files = dir_files(dir.str());
  log_cleaner cleaner{test_cleaner_config()};
  auto p = cleaner.step(*reopened, reopened->log_end_offset(), 1 << 20, 5000);
  REQUIRE(!p);
  CHECK(errc_of(p.error()) == errc::corrupt_message);
  CHECK_THAT(context_of(p.error()), Catch::Contains("CRC32C mismatch"));
  CHECK(dir_files(dir.str()) == files);
  CHECK(!cleaner.in_pass());
}

TEST_CASE("needs_cleaning follows min_cleanable_dirty_ratio", "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  log_cleaner cleaner{test_cleaner_config()};
  CHECK(*cleaner.dirty_ratio(*log, log->log_end_offset()) == 0.0);  // nothing sealed
  CHECK(!*cleaner.needs_cleaning(*log, log->log_end_offset()));
  append_updates(*log, 3000, 300);  // 300 keys: a clean log stays large
  run_pass(cleaner, *log, log->log_end_offset(), 5000);
  // New sealed segments make the dirty share grow until it reaches the ratio.
  uint64_t clean = 0;
  uint64_t dirty = 0;
  int rounds = 0;
  for (; rounds < 1000 && (dirty == 0 || dirty < clean); ++rounds) {
    CHECK(!*cleaner.needs_cleaning(*log, log->log_end_offset()));
    append_updates(*log, 10, 300);
    clean = dirty = 0;
    auto sealed = log->sealed_segments();
    REQUIRE(sealed);
    for (auto& s : *sealed)
      (s.base >= cleaner.cleaned_up_to() ? dirty : clean) += s.size;
  }
  CHECK(rounds > 5);
  auto ratio = *cleaner.dirty_ratio(*log, log->log_end_offset());
  CHECK(ratio == Approx(static_cast<double>(dirty) / static_cast<double>(clean + dirty)));
  CHECK(ratio >= 0.5);
  CHECK(*cleaner.needs_cleaning(*log, log->log_end_offset()));
  // A limit below the dirty segments leaves nothing to clean.
  CHECK(!*cleaner.needs_cleaning(*log, cleaner.cleaned_up_to()));
}

TEST_CASE("a range with nothing to keep becomes one empty segment and the log start stays",
          "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  while (log->segment_count() < 4)
    append_batch(*log, {{std::nullopt, std::string(200, 'k')}}, 1000);
  auto clean_end = active_base(*log);
  auto tail = read_all(*log);
  tail.erase(tail.begin(), tail.begin() + clean_end.value);
  log_cleaner cleaner{test_cleaner_config()};
  run_pass(cleaner, *log, log->log_end_offset(), 5000);
  auto segs = *log->sealed_segments();
  REQUIRE(segs.size() == 1);
  CHECK(segs[0].base == log_offset{0});
  CHECK(segs[0].next == log_offset{0});
  CHECK(segs[0].size == 0);
  CHECK(log->log_start_offset() == log_offset{0});
  CHECK(read_all(*log) == tail);
  auto from_start = log->read(log_offset{0}, 1);
  REQUIRE(from_start);
  CHECK(batch_bases(from_start->data) == std::vector<int64_t>{clean_end.value});
  log.reset();
  auto reopened = open_cleaner_log(real_disk(), dir.str());
  CHECK(reopened->log_start_offset() == log_offset{0});
  CHECK(read_all(*reopened) == tail);
  // Cleaned again, the empty segment goes into the next output.
  log_cleaner again{test_cleaner_config()};
  run_pass(again, *reopened, reopened->log_end_offset(), 5000);
  CHECK(read_all(*reopened) == tail);
  CHECK(reopened->segment_count() == 2);
}
