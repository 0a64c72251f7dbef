// Tests of the partition log's recovery checkpoint: open reads only the batches after the
// trusted point (written in this boot, fsynced in another), cuts a torn tail after it, falls
// back to the full check of the last segment when the file is missing or corrupt, and keeps
// the file true across roll and truncation.

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/storage/partition_log.hpp"
#include "runtime/storage/recovery_point.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

namespace fs = std::filesystem;

// The log in `dir` on the real disk, opened at time 0.
std::unique_ptr<partition_log> open_log(const temp_dir& dir, log_config cfg = {}) {
  auto opened = partition_log::open(real_disk(), dir.str(), cfg, 0);
  REQUIRE(opened);
  return std::move(*opened);
}

void append_n(partition_log& log, int batches, int records = 10) {
  for (int i = 0; i < batches; ++i) {
    auto b = make_batch(records);
    REQUIRE(log.append(b, 0));
  }
}

std::vector<log_offset> all_offsets(const partition_log& log) {
  auto r = log.read(log.log_start_offset(), 1 << 24);
  REQUIRE(r);
  return offsets_in(r->data);
}

std::vector<log_offset> range(int64_t begin, int64_t end) {
  std::vector<log_offset> out;
  for (auto i = begin; i < end; ++i)
    out.push_back(log_offset{i});
  return out;
}

recovery_checkpoint load(const temp_dir& dir) {
  auto c = load_recovery_checkpoint(test::real_disk(), dir.str());
  REQUIRE(c);
  REQUIRE(*c);
  return **c;
}

// What a crash of the machine leaves: the checkpoint of another boot.
void from_another_boot(const temp_dir& dir) {
  auto c = load(dir);
  c.boot_id = "another boot";
  write_file(dir.file(recovery_checkpoint_file), serialize_recovery_checkpoint(c));
}

// Flips a byte inside the records of batch `i` (0-based) of segment 0: its CRC fails.
void damage_batch(const temp_dir& dir, int i) {
  auto one = make_batch(10).size();
  auto path = dir.file(segment_name(0, ".log"));
  auto bytes = read_file(path);
  REQUIRE(bytes.size() >= (i + 1) * one);
  bytes[i * one + 100] ^= 0x01;
  write_file(path, bytes);
}

} // namespace

TEST_CASE("the recovery checkpoint file round-trips and names its damage", "[storage]") {
  recovery_checkpoint c;
  c.boot_id = "b1";
  recovery_point p;
  p.segment_base = log_offset{100};
  p.position = 500;
  p.next_offset = log_offset{130};
  p.index_entries = 3;
  p.time_index_entries = 2;
  p.max_timestamp = 77;
  p.last_batch = batch_place{log_offset{120}, 400};
  c.durable = p;
  p.position = 600;
  p.last_batch = batch_place{log_offset{130}, 500};
  p.next_offset = log_offset{140};
  c.written = p;
  auto bytes = serialize_recovery_checkpoint(c);
  auto back = parse_recovery_checkpoint(bytes);
  REQUIRE(back);
  CHECK(back->boot_id == "b1");
  CHECK(back->durable == c.durable);
  CHECK(back->written == c.written);
  SECTION("a flipped bit") {
    bytes.back() ^= 1;
    auto bad = parse_recovery_checkpoint(bytes);
    REQUIRE(!bad);
    CHECK(bad.error() == make_error(errc::corrupt_message,
                                    "recovery-point-checkpoint: CRC32C mismatch"));
  }
  SECTION("an unknown version") {
    bytes[1] = 9;
    auto bad = parse_recovery_checkpoint(bytes);
    REQUIRE(!bad);
    CHECK(describe(bad.error()).find("version 9 is unknown (this cafka reads 1)")
          != std::string::npos);
  }
  SECTION("a point without its last batch") {
    c.written->last_batch.reset();
    auto bad = parse_recovery_checkpoint(serialize_recovery_checkpoint(c));
    REQUIRE(!bad);
    CHECK(bad.error()
          == make_error(errc::corrupt_message, "recovery-point-checkpoint: bad point"));
  }
  SECTION("cut short") {
    auto bad = parse_recovery_checkpoint(bytes.substr(0, 4));
    REQUIRE(!bad);
    CHECK(bad.error()
          == make_error(errc::corrupt_message,
                        "recovery-point-checkpoint: shorter than its header (4 bytes)"));
  }
}

TEST_CASE("after a clean close open reads no batch before the recovery point", "[storage]") {
  temp_dir dir;
  {
    auto log = open_log(dir);
    append_n(*log, 5);
    REQUIRE(!log->flush());
  }
  auto c = load(dir);
  REQUIRE(c.written);
  CHECK(c.written->next_offset == log_offset{50});
  CHECK(c.durable == c.written);
  // A damaged batch (a valid one after it) below the point: not read, so not seen.
  damage_batch(dir, 2);
  SECTION("in this boot") {
    log_capture capture;
    auto log = open_log(dir);
    CHECK(log->log_end_offset() == log_offset{50});
    CHECK(capture.text().empty());
  }
  SECTION("in another boot: the point was fsynced") {
    from_another_boot(dir);
    log_capture capture;
    auto log = open_log(dir);
    CHECK(log->log_end_offset() == log_offset{50});
    CHECK(capture.text().empty());
  }
  SECTION("without the checkpoint the last segment is checked whole (one warning)") {
    fs::remove(dir.file(recovery_checkpoint_file));
    log_capture capture;
    auto log = partition_log::open(test::real_disk(), dir.str(), {}, 0);
    REQUIRE(!log);
    CHECK(log.error().code() == static_cast<uint8_t>(errc::corrupt_message));
    CHECK(describe(log.error()).find("corrupt batch at position "
                                     + std::to_string(2 * make_batch(10).size()))
          != std::string::npos);
    CHECK(capture.lines() == 1);
    CHECK(capture.text().find("no recovery-point-checkpoint; checking the last segment in full")
          != std::string::npos);
  }
  SECTION("a corrupt checkpoint is ignored with one warning and the segment checked whole") {
    auto bytes = read_file(dir.file(recovery_checkpoint_file));
    bytes.back() ^= 1;
    write_file(dir.file(recovery_checkpoint_file), bytes);
    log_capture capture;
    auto log = partition_log::open(test::real_disk(), dir.str(), {}, 0);
    REQUIRE(!log);
    CHECK(describe(log.error()).find("corrupt batch at position") != std::string::npos);
    CHECK(capture.lines() == 1);
    CHECK(capture.text().find("ignoring recovery-point-checkpoint: corrupt_message: "
                              "recovery-point-checkpoint: CRC32C mismatch")
          != std::string::npos);
  }
}

TEST_CASE("the batches after the recovery point are checked and a torn tail cut",
          "[storage]") {
  temp_dir dir;
  auto one = make_batch(10).size();
  {
    auto log = open_log(dir);
    append_n(*log, 3);
    REQUIRE(!log->flush());  // the point: offset 30
    append_n(*log, 3);       // written, not in the checkpoint (a kill -9 now)
  }
  CHECK(load(dir).written->next_offset == log_offset{30});
  auto path = dir.file(segment_name(0, ".log"));
  SECTION("a torn last batch is cut (one warning), the index entries after the point rebuilt") {
    fs::resize_file(path, 6 * one - 7);
    log_capture capture;
    auto log = open_log(dir);
    CHECK(log->log_end_offset() == log_offset{50});
    CHECK(fs::file_size(path) == 5 * one);
    CHECK(capture.lines() == 1);
    CHECK(capture.text().find("truncated torn tail of " + segment_name(0, ".log")
                              + " at position " + std::to_string(5 * one))
          != std::string::npos);
    CHECK(all_offsets(*log) == range(0, 50));
    auto r = log->read(log_offset{45}, 1);
    REQUIRE(r);
    CHECK(offsets_in(r->data, log_offset{45}) == range(45, 50));
    // The open wrote the end it checked as this boot's point.
    CHECK(load(dir).written->next_offset == log_offset{50});
  }
  SECTION("a damaged batch after the point with a valid one after it fails open") {
    damage_batch(dir, 4);
    auto before = test::dir_files(dir.str());
    auto log = partition_log::open(test::real_disk(), dir.str(), {}, 0);
    REQUIRE(!log);
    auto what = describe(log.error());
    CHECK(what.rfind("corrupt_message: " + path + ": corrupt batch at position "
                       + std::to_string(4 * one) + " (offset 40): batch at offset 40: CRC32C "
                       "mismatch", 0)
          == 0);
    CHECK(what.find("; a valid batch follows at position " + std::to_string(5 * one))
          != std::string::npos);
    CHECK(test::dir_files(dir.str()) == before);
  }
  SECTION("a damaged batch before the point is not read") {
    damage_batch(dir, 1);
    auto log = open_log(dir);
    CHECK(log->log_end_offset() == log_offset{60});
  }
}

TEST_CASE("a checkpoint of another boot trusts only what was fsynced", "[storage]") {
  temp_dir dir;
  {
    auto log = open_log(dir);
    append_n(*log, 3);
    REQUIRE(!log->flush());                      // fsynced up to offset 30
    append_n(*log, 3);
    REQUIRE(!log->maybe_flush(partition_log::recovery_mark_ms));  // written up to 60
  }
  auto c = load(dir);
  CHECK(c.durable->next_offset == log_offset{30});
  CHECK(c.written->next_offset == log_offset{60});
  damage_batch(dir, 4);  // between the two points, a valid batch after it
  SECTION("this boot: the page cache kept the written batches") {
    auto log = open_log(dir);
    CHECK(log->log_end_offset() == log_offset{60});
  }
  SECTION("another boot: the batches after the fsynced point are checked") {
    from_another_boot(dir);
    auto log = partition_log::open(test::real_disk(), dir.str(), {}, 0);
    REQUIRE(!log);
    CHECK(describe(log.error()).find("corrupt batch at position "
                                     + std::to_string(4 * make_batch(10).size()))
          != std::string::npos);
  }
}

TEST_CASE("sealed segments after the trusted point are checked batch by batch",
          "[storage]") {
  temp_dir dir;
  auto cfg = small_segments();  // three batches a segment
  {
    auto log = open_log(dir, cfg);
    append_n(*log, 4);
    REQUIRE(!log->flush());  // fsynced: offset 40, in segment 30
    append_n(*log, 6);       // rolls twice: segments 60 and 90
  }
  from_another_boot(dir);
  auto c = load(dir);
  REQUIRE(c.durable);
  CHECK(c.durable->segment_base == log_offset{30});
  SECTION("a bad batch in a segment after the point fails open") {
    auto path = dir.file(segment_name(60, ".log"));
    auto bytes = read_file(path);
    bytes[100] ^= 1;
    write_file(path, bytes);
    auto log = partition_log::open(test::real_disk(), dir.str(), cfg, 0);
    REQUIRE(!log);
    auto what = describe(log.error());
    CHECK(what.find(segment_name(60, ".log") + ": corrupt batch at position 0 (offset 60): "
                                               "batch at offset 60: CRC32C mismatch")
          != std::string::npos);
    CHECK(what.find("(in a sealed segment)") != std::string::npos);
  }
  SECTION("a bad batch in a segment before the point is trusted") {
    damage_batch(dir, 1);
    auto log = open_log(dir, cfg);
    CHECK(log->log_end_offset() == log_offset{100});
  }
}

TEST_CASE("a truncation below the recovery point moves it back before new records land",
          "[storage]") {
  temp_dir dir;
  auto cfg = small_segments();
  auto log = open_log(dir, cfg);
  append_n(*log, 8);
  REQUIRE(!log->flush());  // fsynced: offset 80
  REQUIRE(!log->truncate_to(log_offset{35}));
  CHECK(log->log_end_offset() == log_offset{30});
  auto c = load(dir);
  REQUIRE(c.durable);
  REQUIRE(c.written);
  CHECK(c.durable->next_offset == log_offset{30});
  CHECK(c.written->next_offset == log_offset{30});
  append_n(*log, 2);  // new records where the cut ones were, not in the checkpoint
  log.reset();
  damage_batch(dir, 0);  // below the point: trusted
  from_another_boot(dir);
  auto bytes = read_file(dir.file(segment_name(30, ".log")));
  bytes[make_batch(10).size() + 100] ^= 1;  // the last new batch, torn by a crash
  write_file(dir.file(segment_name(30, ".log")), bytes);
  log_capture capture;
  log = open_log(dir, cfg);
  CHECK(log->log_end_offset() == log_offset{40});
  CHECK(capture.text().find("truncated torn tail of " + segment_name(30, ".log"))
        != std::string::npos);
}

TEST_CASE("a point that does not match the files is dropped with a warning", "[storage]") {
  temp_dir dir;
  auto one = make_batch(10).size();
  {
    auto log = open_log(dir);
    append_n(*log, 4);
    REQUIRE(!log->flush());
  }
  // The .log lost bytes the point covers (not something a crash does): checked whole.
  fs::resize_file(dir.file(segment_name(0, ".log")), 3 * one + 10);
  log_capture capture;
  auto log = open_log(dir);
  CHECK(log->log_end_offset() == log_offset{30});
  CHECK(capture.lines() == 2);
  CHECK(capture.text().find("checking all of " + segment_name(0, ".log")
                            + ": the recovery point does not match it")
        != std::string::npos);
  CHECK(all_offsets(*log) == range(0, 30));
}
