// Tests of the log cleaner against crashes and changes: a crash at every directory operation
// of a pass (the .cleaned -> .swap -> final protocol) leaves a log that opens with the same
// latest records, leftovers of a cleaner are removed at open, and retention or a truncation
// between two steps discards the pass without losing data.

#include <catch2/catch.hpp>

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/storage/file_handle.hpp"
#include "runtime/storage/log_cleaner.hpp"
#include "runtime/storage/posix_env.hpp"
#include "runtime/storage/segment.hpp"
#include "tests/runtime/log_cleaner_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

// The real disk until `ops_left` creations, renames, removals and directory fsyncs have
// happened; from then on every operation fails with EIO, as if the process had died there.
class crash_env final : public storage::env {
public:
  int64_t ops_left = -1;  // -1: never crash
  bool crashed = false;

  caf::expected<std::unique_ptr<storage::file>> open(const std::string& path,
                                                     storage::open_mode mode) override {
    if (auto err = tick("open", path, mode != storage::open_mode::read))
      return err;
    return real_.open(path, mode);
  }
  caf::error rename(const std::string& from, const std::string& to) override {
    if (auto err = tick("rename", from))
      return err;
    return real_.rename(from, to);
  }
  caf::error remove(const std::string& path) override {
    if (auto err = tick("remove", path))
      return err;
    return real_.remove(path);
  }
  caf::error remove_all(const std::string& dir) override {
    if (auto err = tick("remove_all", dir))
      return err;
    return real_.remove_all(dir);
  }
  caf::expected<bool> exists(const std::string& path) override {
    if (auto err = tick("exists", path, false))
      return err;
    return real_.exists(path);
  }
  caf::error create_dirs(const std::string& dir) override {
    if (auto err = tick("mkdir", dir))
      return err;
    return real_.create_dirs(dir);
  }
  caf::expected<std::vector<storage::dir_entry>> list_dir(const std::string& dir) override {
    if (auto err = tick("list", dir, false))
      return err;
    return real_.list_dir(dir);
  }
  caf::error sync_dir(const std::string& dir) override {
    if (auto err = tick("fsync", dir))
      return err;
    return real_.sync_dir(dir);
  }

private:
  // Counts a changing operation; fails every operation once the count ran out.
  caf::error tick(const char* op, const std::string& path, bool changes = true) {
    if (!crashed && changes && ops_left >= 0 && ops_left-- == 0)
      crashed = true;
    if (crashed)
      return storage_error_from(op, path, EIO);
    return caf::none;
  }

  storage::posix_env real_;
};

// The latest record of each key in `recs`.
std::map<std::string, kv> latest(const std::vector<kv>& recs) {
  std::map<std::string, kv> out;
  for (auto& r : recs)
    if (r.key)
      out[*r.key] = r;
  return out;
}

void fill(partition_log& log, int count, int keys) {
  for (int i = 0; i < count; i += 5) {
    std::vector<put> batch;
    for (int j = i; j < i + 5; ++j)
      batch.push_back(put{"key-" + std::to_string(j % keys), "value-" + std::to_string(j)});
    append_batch(log, batch, 1000 + i);
  }
}

cleaner_config small_steps() {
  cleaner_config cfg;
  cfg.dedupe_buffer_bytes = 1 << 16;
  return cfg;
}

} // namespace

TEST_CASE("a crash at any point of a pass leaves a log that opens with the same data",
          "[log_cleaner]") {
  auto cfg = cleaner_log_config();
  cfg.segment_bytes = 1024;
  bool finished = false;
  int points = 0;
  for (int64_t crash_at = 0; !finished && crash_at < 2000; ++crash_at) {
    temp_dir dir;
    std::vector<kv> before;
    log_offset clean_end;
    {
      auto log = open_cleaner_log(real_disk(), dir.str(), cfg);
      fill(*log, 400, 15);
      before = read_all(*log);
      clean_end = active_base(*log);
    }
    auto expected = compacted(before, clean_end);
    crash_env env;
    {
      auto log = open_cleaner_log(env, dir.str(), cfg);
      env.ops_left = crash_at;
      log_cleaner cleaner{small_steps()};
      for (int i = 0; i < 10000; ++i) {
        auto p = cleaner.step(*log, log->log_end_offset(), 700, 5000);
        if (!p) {
          REQUIRE(env.crashed);
          CHECK(errc_of(p.error()) == errc::storage_error);
          break;
        }
        REQUIRE(!p->restarted);
        if (p->done)
          break;
      }
      finished = !env.crashed;
      if (finished)
        CHECK(read_all(*log) == expected);
    }  // the log and the cleaner go as a crashed process would leave the files
    ++points;
    INFO("crash after " << crash_at << " operations");
    auto log = open_cleaner_log(real_disk(), dir.str(), cfg);
    CHECK(files_ending(dir.str(), ".cleaned").empty());
    CHECK(files_ending(dir.str(), ".swap").empty());
    auto now = read_all(*log);
    // Some or all of the cleaning happened: every record is an original one, the latest of
    // each key is the same, and so is everything from the clean end on.
    for (auto& r : now)
      CHECK(std::find(before.begin(), before.end(), r) != before.end());
    CHECK(latest(now) == latest(before));
    CHECK(compacted(now, clean_end) == expected);
    CHECK(log->log_end_offset() == log_offset{400});
    // A new pass finishes the job.
    log_cleaner cleaner{small_steps()};
    run_pass(cleaner, *log, log->log_end_offset(), 5000);
    CHECK(read_all(*log) == expected);
  }
  CHECK(finished);
  CHECK(points > 20);  // the pass had that many crash points
}

TEST_CASE("open removes a cleaner's leftovers and completes a committed swap",
          "[log_cleaner]") {
  temp_dir dir;
  auto cfg = cleaner_log_config();
  std::vector<kv> before;
  std::vector<segment_info> segs;
  {
    auto log = open_cleaner_log(real_disk(), dir.str(), cfg);
    fill(*log, 300, 10);
    before = read_all(*log);
    segs = *log->sealed_segments();
  }
  REQUIRE(segs.size() >= 3);
  auto path = [&](log_offset base, const char* ext) {
    return (dir.path() / segment_name(base.value, ext)).string();
  };
  SECTION("unfinished .cleaned files and index .swap files without their log go") {
    write_file(path(segs[0].base, ".log.cleaned"), "garbage");
    write_file(path(segs[0].base, ".index.cleaned"), "garbage");
    write_file(path(segs[1].base, ".timeindex.swap"), "garbage");
    write_file(path(segs[1].base, ".index.swap"), "garbage");
    auto files = dir_files(dir.str());
    auto log = open_cleaner_log(real_disk(), dir.str(), cfg);
    CHECK(files_ending(dir.str(), ".cleaned").empty());
    CHECK(files_ending(dir.str(), ".swap").empty());
    CHECK(read_all(*log) == before);
  }
  SECTION("a .log.swap replaces the segments in its offset range, whatever step it reached") {
    // The swap: segments 0 and 1 as one segment, only the last record of each key kept.
    auto covered = segs[1].next;
    std::vector<kv> part(before.begin(), before.begin() + covered.value);
    auto kept = compacted(part, covered);
    // Written as a segment at offsets of their own, then renamed to .swap by hand.
    {
      temp_dir other;
      auto out = open_cleaner_log(real_disk(), other.str());
      auto data = read_all_bytes(*open_cleaner_log(real_disk(), dir.str(), cfg));
      std::string swap;
      for (auto& b : batches_of(data)) {
        batch_header h;
        read_batch_header(b.data(), b.size(), h);
        if (h.base() >= covered)
          break;
        std::string records;
        int32_t count = 0;
        REQUIRE(!for_each_stored_record(b, [&](const record_view& r, std::string_view enc) {
          if (std::find_if(kept.begin(), kept.end(), [&](const kv& k) {
                return k.offset == r.offset;
              }) != kept.end()) {
            records.append(enc);
            ++count;
          }
        }));
        if (count > 0)
          swap += *rebuild_batch(b, records, count);
      }
      write_file(path(segs[0].base, ".log.swap"), swap);
    }
    auto expected = compacted(before, covered);
    SECTION("crash before any old segment was deleted") {
    }
    SECTION("crash after the first old segment was deleted") {
      std::filesystem::remove(path(segs[0].base, ".log"));
      std::filesystem::remove(path(segs[0].base, ".index"));
    }
    SECTION("crash after both were deleted, index files renamed to .swap too") {
      for (auto s : {segs[0], segs[1]})
        for (auto ext : {".log", ".index", ".timeindex"})
          std::filesystem::remove(path(s.base, ext));
      write_file(path(segs[0].base, ".index.swap"), "");
    }
    auto log = open_cleaner_log(real_disk(), dir.str(), cfg);
    CHECK(files_ending(dir.str(), ".swap").empty());
    CHECK(read_all(*log) == expected);
    CHECK(log->log_start_offset() == log_offset{0});
    CHECK(!std::filesystem::exists(path(segs[1].base, ".log")));
  }
}

TEST_CASE("retention deleting a segment under the cleaner discards its pass",
          "[log_cleaner]") {
  temp_dir dir;
  auto cfg = cleaner_log_config();
  uint64_t first_size = 0;
  uint64_t total = 0;
  {
    auto log = open_cleaner_log(real_disk(), dir.str(), cfg);
    fill(*log, 600, 10);
    first_size = (*log->sealed_segments())[0].size;
    total = log->size_bytes();
  }
  cfg.retention_bytes = static_cast<int64_t>(total - first_size);
  auto log = open_cleaner_log(real_disk(), dir.str(), cfg);
  log_cleaner cleaner{small_steps()};
  // Step until the cleaner is writing its first cleaned segment.
  for (int i = 0; i < 1000 && files_ending(dir.str(), ".cleaned").empty(); ++i) {
    auto p = cleaner.step(*log, log->log_end_offset(), 300, 5000);
    REQUIRE(p);
    REQUIRE(!p->done);
  }
  REQUIRE(files_ending(dir.str(), ".cleaned").size() == 3);
  CHECK(*log->enforce_retention(5000) == 1);
  auto before = read_all(*log);
  auto p = cleaner.step(*log, log->log_end_offset(), 300, 5000);
  REQUIRE(p);
  CHECK(p->restarted);
  CHECK(p->done);
  CHECK(!cleaner.in_pass());
  CHECK(cleaner.stats().restarts == 1);
  CHECK(files_ending(dir.str(), ".cleaned").empty());
  CHECK(read_all(*log) == before);
  run_pass(cleaner, *log, log->log_end_offset(), 5000);
  CHECK(read_all(*log) == compacted(before, active_base(*log)));
}

TEST_CASE("a truncation under the cleaner or below its cleaned point loses nothing",
          "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  fill(*log, 600, 10);
  auto segs = *log->sealed_segments();
  REQUIRE(segs.size() > 4);
  log_cleaner cleaner{small_steps()};
  SECTION("while a pass is under way") {
    REQUIRE(!cleaner.step(*log, log->log_end_offset(), 300, 5000)->done);
    REQUIRE(!log->truncate_to(segs[3].base + 2));
    auto p = cleaner.step(*log, log->log_end_offset(), 300, 5000);
    REQUIRE(p);
    CHECK(p->restarted);
  }
  SECTION("below the point a finished pass cleaned up to") {
    run_pass(cleaner, *log, log->log_end_offset(), 5000);
    REQUIRE(cleaner.cleaned_up_to() > log_offset{10});
    REQUIRE(!log->truncate_to(log_offset{10}));
  }
  fill(*log, 600, 13);  // new data after the cut: all of it dirty
  CHECK(*cleaner.dirty_ratio(*log, log->log_end_offset()) == 1.0);
  auto before = read_all(*log);
  run_pass(cleaner, *log, log->log_end_offset(), 5000);
  CHECK(read_all(*log) == compacted(before, active_base(*log)));
}

TEST_CASE("a log reopened under the cleaner discards its pass and loses nothing",
          "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  fill(*log, 600, 10);
  auto before = read_all(*log);
  auto clean_end = active_base(*log);
  log_cleaner cleaner{small_steps()};
  for (int i = 0; i < 1000 && files_ending(dir.str(), ".cleaned").empty(); ++i)
    REQUIRE(!cleaner.step(*log, log->log_end_offset(), 300, 5000)->done);
  REQUIRE(!files_ending(dir.str(), ".cleaned").empty());
  log.reset();
  log = open_cleaner_log(real_disk(), dir.str());  // removes the .cleaned files
  CHECK(files_ending(dir.str(), ".cleaned").empty());
  auto p = cleaner.step(*log, log->log_end_offset(), 300, 5000);
  REQUIRE(p);
  CHECK(p->restarted);
  CHECK(read_all(*log) == before);
  run_pass(cleaner, *log, log->log_end_offset(), 5000);
  CHECK(read_all(*log) == compacted(before, clean_end));
}

TEST_CASE("install_cleaned commits nothing when the cleaned files are gone",
          "[log_cleaner]") {
  temp_dir dir;
  auto log = open_cleaner_log(real_disk(), dir.str());
  fill(*log, 300, 10);
  auto before = read_all(*log);
  auto segs = *log->sealed_segments();
  auto out = log->create_cleaned(segs[0].base);
  REQUIRE(out);
  for (auto ext : {".log.cleaned", ".index.cleaned", ".timeindex.cleaned"})
    std::filesystem::remove(dir.path() / segment_name(segs[0].base.value, ext));
  auto err = log->install_cleaned(std::move(*out), {segs[0]});
  CHECK(errc_of(err) == errc::storage_error);
  CHECK_THAT(context_of(err),
             Catch::Contains("00000000000000000000.log.cleaned: the file is missing"));
  log.reset();
  auto reopened = open_cleaner_log(real_disk(), dir.str());
  CHECK(read_all(*reopened) == before);
}
