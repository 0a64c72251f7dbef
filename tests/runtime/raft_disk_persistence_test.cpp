// Tests of raft::disk_persistence: round trips of vote, log and snapshot, truncation,
// compaction, torn and corrupt files, and a crash between snapshot store and log rewrite.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/wire.hpp"
#include "runtime/raft/disk_persistence.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using namespace cafka::raft;
using cafka::test::read_file;
using cafka::test::temp_dir;
using cafka::test::write_file;

namespace {

namespace fs = std::filesystem;

// Captures spdlog output for the scope of one test.
class log_capture {
public:
  log_capture() : old_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::warn);  // count warnings only
    spdlog::set_default_logger(logger);
  }
  ~log_capture() { spdlog::set_default_logger(old_); }
  std::string text() const { return out_.str(); }
  size_t lines() const {
    auto s = text();
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }

private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> old_;
};

log_entry entry(int64_t term, int64_t index, std::string data = {},
                entry_kind kind = entry_kind::command) {
  return log_entry{raft_term{term}, raft_index{index}, kind, std::move(data)};
}

// Entries [begin, end) of term `term`, data "e<index>".
std::vector<log_entry> entries(int64_t begin, int64_t end, int64_t term = 1) {
  std::vector<log_entry> out;
  for (auto i = begin; i < end; ++i)
    out.push_back(entry(term, i, "e" + std::to_string(i)));
  return out;
}

std::vector<int64_t> indexes(const std::vector<log_entry>& xs) {
  std::vector<int64_t> out;
  for (auto& x : xs)
    out.push_back(x.index.value);
  return out;
}

std::vector<int64_t> range(int64_t begin, int64_t end) {
  std::vector<int64_t> out;
  for (auto i = begin; i < end; ++i)
    out.push_back(i);
  return out;
}

void check_same(const std::vector<log_entry>& got, const std::vector<log_entry>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].term == want[i].term);
    CHECK(got[i].index == want[i].index);
    CHECK(got[i].kind == want[i].kind);
    CHECK(got[i].data == want[i].data);
  }
}

persisted_state load_ok(disk_persistence& p) {
  persisted_state st;
  auto err = p.load(st);
  INFO(describe(err));
  REQUIRE(!err);
  return st;
}

persisted_state reload(const std::string& dir) {
  disk_persistence p{dir, test::real_disk_ptr()};
  return load_ok(p);
}

snapshot make_snapshot(int64_t index, int64_t term, std::string data) {
  return snapshot{snapshot_descriptor{raft_index{index}, raft_term{term}}, std::move(data)};
}

// A log record in the documented encoding (docs/raft-storage-format.md).
std::string raw_record(int64_t term, int64_t index, const std::string& data,
                       uint8_t kind = 0) {
  std::string payload(17, '\0');
  wire::store_be64(payload.data(), static_cast<uint64_t>(term));
  wire::store_be64(payload.data() + 8, static_cast<uint64_t>(index));
  payload[16] = static_cast<char>(kind);
  payload += data;
  std::string out(8, '\0');
  wire::store_be32(out.data(), static_cast<uint32_t>(payload.size()));
  wire::store_be32(out.data() + 4, crc32c(payload.data(), payload.size()));
  return out + payload;
}

std::string log_path(const temp_dir& d) {
  return d.file(disk_persistence::log_file);
}

} // namespace

TEST_CASE("raft disk persistence: a new directory loads as empty state", "[raft][storage]") {
  temp_dir d;
  auto dir = (d.path() / "a" / "b").string();  // created, parents too
  disk_persistence p{dir, test::real_disk_ptr()};
  auto st = load_ok(p);
  CHECK(st.term == raft_term{0});
  CHECK(st.voted_for == node_id{-1});
  CHECK(!st.snp);
  CHECK(st.entries.empty());
  CHECK(fs::is_directory(dir));
  CHECK(p.last_index() == raft_index{0});
  CHECK(p.entry_count() == 0);
}

TEST_CASE("raft disk persistence: term and vote round trip", "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    REQUIRE(!p.store_term_and_vote(raft_term{5}, node_id{2}));
  }
  auto st = reload(d.str());
  CHECK(st.term == raft_term{5});
  CHECK(st.voted_for == node_id{2});
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.store_term_and_vote(raft_term{1ll << 40}, node_id{-1}));
  }
  st = reload(d.str());
  CHECK(st.term == raft_term{1ll << 40});
  CHECK(st.voted_for == node_id{-1});
  CHECK(!fs::exists(d.file("vote.tmp")));
}

TEST_CASE("raft disk persistence: appended entries survive a reload", "[raft][storage]") {
  temp_dir d;
  std::vector<log_entry> want{entry(1, 1, "", entry_kind::noop), entry(1, 2, "put x"),
                              entry(2, 3, std::string("\0\n\xff bin", 7))};
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append({want[0], want[1]}));
    REQUIRE(!p.append({want[2]}));
    REQUIRE(!p.append({}));
    CHECK(p.last_index() == raft_index{3});
  }
  auto st = reload(d.str());
  check_same(st.entries, want);
  // Without a load first, the next call recovers on its own.
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    auto more = entries(4, 6, 2);
    REQUIRE(!p.append(more));
    want.insert(want.end(), more.begin(), more.end());
  }
  check_same(reload(d.str()).entries, want);
}

TEST_CASE("raft disk persistence: append refuses entries that do not continue the log",
          "[raft][storage]") {
  temp_dir d;
  disk_persistence p{d.str(), test::real_disk_ptr()};
  load_ok(p);
  REQUIRE(!p.append(entries(1, 4, 2)));
  auto size = fs::file_size(log_path(d));
  CHECK(errc_of(p.append({entry(2, 5)})) == errc::invalid_request);            // gap
  CHECK(errc_of(p.append({entry(2, 3)})) == errc::invalid_request);            // overlap
  CHECK(errc_of(p.append({entry(1, 4)})) == errc::invalid_request);            // term drops
  CHECK(errc_of(p.append({entry(2, 4), entry(2, 6)})) == errc::invalid_request);  // inner gap
  CHECK(fs::file_size(log_path(d)) == size);  // nothing written
  CHECK(indexes(reload(d.str()).entries) == range(1, 4));
}

TEST_CASE("raft disk persistence: truncate then append survives a reload",
          "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append(entries(1, 6, 1)));
    REQUIRE(!p.truncate(raft_index{9}));  // beyond the end: no-op
    CHECK(p.last_index() == raft_index{5});
    REQUIRE(!p.truncate(raft_index{3}));
    CHECK(p.last_index() == raft_index{2});
    REQUIRE(!p.append(entries(3, 5, 2)));
  }
  auto st = reload(d.str());
  auto want = entries(1, 3, 1);
  auto tail = entries(3, 5, 2);
  want.insert(want.end(), tail.begin(), tail.end());
  check_same(st.entries, want);
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.truncate(raft_index{1}));  // everything
    CHECK(fs::file_size(log_path(d)) == 0);
    REQUIRE(!p.append(entries(1, 2, 3)));
  }
  check_same(reload(d.str()).entries, entries(1, 2, 3));
}

TEST_CASE("raft disk persistence: a snapshot compacts the log", "[raft][storage]") {
  temp_dir d;
  std::string state("state\0with\nbytes\xff", 17);
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append(entries(1, 11, 1)));
    auto before = fs::file_size(log_path(d));
    REQUIRE(!p.store_snapshot(make_snapshot(6, 1, state)));
    CHECK(fs::file_size(log_path(d)) < before);
    CHECK(p.snapshot_index() == raft_index{6});
    CHECK(p.entry_count() == 4);
    CHECK(p.last_index() == raft_index{10});
    // Truncate and append still work on the rewritten file.
    REQUIRE(!p.truncate(raft_index{9}));
    REQUIRE(!p.append(entries(9, 12, 2)));
  }
  auto st = reload(d.str());
  REQUIRE(st.snp);
  CHECK(st.snp->desc.index == raft_index{6});
  CHECK(st.snp->desc.term == raft_term{1});
  CHECK(st.snp->data == state);
  CHECK(indexes(st.entries) == range(7, 12));
  CHECK(st.entries.front().term == raft_term{1});
  CHECK(st.entries.back().term == raft_term{2});
  CHECK(!fs::exists(d.file("log.tmp")));
  CHECK(!fs::exists(d.file("snapshot.tmp")));
}

TEST_CASE("raft disk persistence: a snapshot beyond the log empties it", "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append(entries(1, 4, 1)));
    REQUIRE(!p.store_snapshot(make_snapshot(20, 3, "s20")));
    CHECK(p.entry_count() == 0);
    CHECK(p.last_index() == raft_index{20});
    CHECK(errc_of(p.append({entry(3, 4)})) == errc::invalid_request);
    CHECK(errc_of(p.store_snapshot(make_snapshot(10, 3, "old"))) == errc::invalid_request);
    REQUIRE(!p.append(entries(21, 23, 3)));
  }
  auto st = reload(d.str());
  REQUIRE(st.snp);
  CHECK(st.snp->data == "s20");
  CHECK(indexes(st.entries) == range(21, 23));
}

TEST_CASE("raft disk persistence: a snapshot conflicting with the log drops all of it",
          "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append(entries(1, 6, 1)));
    // Entry 3 has term 1, the snapshot says term 2: entries 4, 5 are from a stale branch.
    REQUIRE(!p.store_snapshot(make_snapshot(3, 2, "s3")));
    CHECK(p.entry_count() == 0);
    CHECK(p.last_index() == raft_index{3});
    REQUIRE(!p.append(entries(4, 5, 2)));
  }
  auto st = reload(d.str());
  REQUIRE(st.snp);
  CHECK(indexes(st.entries) == range(4, 5));
}

TEST_CASE("raft disk persistence: a torn log tail is cut and appends continue",
          "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append(entries(1, 6, 1)));
  }
  auto bytes = read_file(log_path(d));
  auto whole = bytes.size();
  auto last = raw_record(1, 5, "e5").size();
  SECTION("cut mid-payload") {
    fs::resize_file(log_path(d), whole - 3);
  }
  SECTION("cut mid-header") {
    fs::resize_file(log_path(d), whole - last + 5);
  }
  log_capture cap;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    auto st = load_ok(p);
    CHECK(indexes(st.entries) == range(1, 5));
    CHECK(cap.lines() == 1);
    CHECK(cap.text().find("torn") != std::string::npos);
    CHECK(fs::file_size(log_path(d)) == whole - last);
    REQUIRE(!p.append({entry(2, 5, "again")}));
  }
  auto st = reload(d.str());
  CHECK(indexes(st.entries) == range(1, 6));
  CHECK(st.entries.back().data == "again");
  CHECK(cap.lines() == 1);  // the second load found nothing to cut
}

TEST_CASE("raft disk persistence: a flipped byte in the last record drops it with a warning",
          "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append(entries(1, 6, 1)));
  }
  auto bytes = read_file(log_path(d));
  bytes[bytes.size() - 1] ^= 0x01;  // last byte of entry 5's data
  write_file(log_path(d), bytes);
  log_capture cap;
  auto st = reload(d.str());
  CHECK(indexes(st.entries) == range(1, 5));
  CHECK(cap.lines() == 1);
  CHECK(cap.text().find("CRC mismatch") != std::string::npos);
  CHECK(fs::file_size(log_path(d)) == bytes.size() - raw_record(1, 5, "e5").size());
}

TEST_CASE("raft disk persistence: a garbage vote file is a storage error", "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    REQUIRE(!p.store_term_and_vote(raft_term{3}, node_id{1}));
  }
  auto good = read_file(d.file("vote"));
  SECTION("random bytes") {
    write_file(d.file("vote"), "this is not a vote file at all");
  }
  SECTION("empty") {
    write_file(d.file("vote"), "");
  }
  SECTION("flipped byte") {
    good[3] ^= 0x40;
    write_file(d.file("vote"), good);
  }
  disk_persistence p{d.str(), test::real_disk_ptr()};
  persisted_state st;
  auto err = p.load(st);
  CHECK(errc_of(err) == errc::storage_error);
  CHECK(describe(err).find("vote") != std::string::npos);
  // Operations that need the loaded state report the same error instead of guessing.
  CHECK(errc_of(p.append(entries(1, 2))) == errc::storage_error);
}

TEST_CASE("raft disk persistence: a garbage snapshot file is a storage error",
          "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append(entries(1, 4)));
    REQUIRE(!p.store_snapshot(make_snapshot(2, 1, "state")));
  }
  auto good = read_file(d.file("snapshot"));
  SECTION("random bytes") {
    write_file(d.file("snapshot"), std::string(100, '\x5a'));
  }
  SECTION("shorter than the header") {
    write_file(d.file("snapshot"), "abc");
  }
  SECTION("cut short") {
    write_file(d.file("snapshot"), good.substr(0, good.size() - 2));
  }
  SECTION("flipped byte") {
    good[good.size() - 2] ^= 0x01;
    write_file(d.file("snapshot"), good);
  }
  SECTION("valid header around a garbage archive") {
    std::string payload = "22 serialization::archive garbage ~~~";
    std::string file(12, '\0');
    wire::store_be64(file.data(), payload.size());
    wire::store_be32(file.data() + 8, crc32c(payload.data(), payload.size()));
    write_file(d.file("snapshot"), file + payload);
  }
  disk_persistence p{d.str(), test::real_disk_ptr()};
  persisted_state st;
  auto err = p.load(st);
  CHECK(errc_of(err) == errc::storage_error);
  CHECK(describe(err).find("snapshot") != std::string::npos);
}

TEST_CASE("raft disk persistence: a crash between snapshot store and log rewrite",
          "[raft][storage]") {
  temp_dir d;
  std::string old_log;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append(entries(1, 11, 1)));
    old_log = read_file(log_path(d));
    REQUIRE(!p.store_snapshot(make_snapshot(6, 1, "s6")));
  }
  // The crash: the snapshot file is new, the log file is still the old one (and a temp file
  // of the rewrite may be left over).
  write_file(log_path(d), old_log);
  write_file(d.file("log.tmp"), "half a rewrite");
  log_capture cap;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    auto st = load_ok(p);
    REQUIRE(st.snp);
    CHECK(st.snp->desc.index == raft_index{6});
    CHECK(indexes(st.entries) == range(7, 11));
    CHECK(!fs::exists(d.file("log.tmp")));
    CHECK(fs::file_size(log_path(d)) < old_log.size());  // the compaction was finished
    REQUIRE(!p.append(entries(11, 12, 1)));
  }
  auto st = reload(d.str());
  CHECK(indexes(st.entries) == range(7, 12));
  CHECK(cap.lines() == 0);  // an expected recovery, not a warning
}

TEST_CASE("raft disk persistence: a log that breaks Raft's order is a storage error",
          "[raft][storage]") {
  temp_dir d;
  fs::create_directories(d.path());
  SECTION("gap in indexes") {
    write_file(log_path(d), raw_record(1, 1, "a") + raw_record(1, 2, "b") + raw_record(1, 4, "d"));
  }
  SECTION("term goes down") {
    write_file(log_path(d), raw_record(2, 1, "a") + raw_record(1, 2, "b"));
  }
  SECTION("does not start after the (absent) snapshot") {
    write_file(log_path(d), raw_record(1, 3, "c") + raw_record(1, 4, "d"));
  }
  SECTION("unknown entry kind") {
    write_file(log_path(d), raw_record(1, 1, "a", 7));
  }
  disk_persistence p{d.str(), test::real_disk_ptr()};
  persisted_state st;
  auto err = p.load(st);
  CHECK(errc_of(err) == errc::storage_error);
  CHECK(describe(err).find("log") != std::string::npos);
}

TEST_CASE("raft disk persistence: the documented record encoding is what is stored",
          "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), test::real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append({entry(3, 1, "x", entry_kind::noop), entry(3, 2, "yz")}));
  }
  CHECK(read_file(log_path(d)) == raw_record(3, 1, "x", 1) + raw_record(3, 2, "yz"));
}

TEST_CASE("raft disk persistence: random garbage never crashes a load", "[raft][storage]") {
  std::mt19937 rng{42};
  auto garbage = [&](size_t max) {
    std::string out(rng() % max, '\0');
    for (auto& c : out)
      c = static_cast<char>(rng());
    return out;
  };
  log_capture cap;
  for (int round = 0; round < 50; ++round) {
    temp_dir d;
    {
      disk_persistence p{d.str(), test::real_disk_ptr()};
      load_ok(p);
      REQUIRE(!p.append(entries(1, 6, 1)));
    }
    auto name = round % 3 == 0 ? "log" : round % 3 == 1 ? "vote" : "snapshot";
    auto bytes = round % 2 == 0 ? garbage(200) : raw_record(1, 1, "a") + garbage(64);
    write_file(d.file(name), bytes);
    disk_persistence p{d.str(), test::real_disk_ptr()};
    persisted_state st;
    auto err = p.load(st);
    CHECK((!err || errc_of(err) == errc::storage_error));
    if (!err)  // whatever survived is a valid log that takes the next entry
      CHECK(!p.append({entry(1, p.last_index().value + 1)}));
  }
}
