// Tests of raft::disk_persistence: round trips of vote, log and snapshot, truncation and
// compaction. Damaged files and crashes: raft_disk_recovery_test.cpp; the bytes of each
// file: raft_files_test.cpp.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tests/runtime/raft_disk_test_util.hpp"

using namespace cafka;
using namespace cafka::raft;
using namespace cafka::test;

namespace fs = std::filesystem;

TEST_CASE("raft disk persistence: a new directory loads as empty state", "[raft][storage]") {
  temp_dir d;
  auto dir = (d.path() / "a" / "b").string();  // created, parents too
  disk_persistence p{dir, real_disk_ptr()};
  auto st = load_ok(p);
  CHECK(st.term == raft_term{0});
  CHECK(st.voted_for == no_node);
  CHECK(!st.snp);
  CHECK(st.entries.empty());
  CHECK(fs::is_directory(dir));
  CHECK(p.last_index() == raft_index{0});
  CHECK(p.entry_count() == 0);
}

TEST_CASE("raft disk persistence: term and vote round trip", "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), real_disk_ptr()};
    REQUIRE(!p.store_term_and_vote(raft_term{5}, node_id{2}));
  }
  auto st = reload(d.str());
  CHECK(st.term == raft_term{5});
  CHECK(st.voted_for == node_id{2});
  {
    disk_persistence p{d.str(), real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.store_term_and_vote(raft_term{1ll << 40}, no_node));
  }
  st = reload(d.str());
  CHECK(st.term == raft_term{1ll << 40});
  CHECK(st.voted_for == no_node);
  CHECK(!fs::exists(d.file("vote.tmp")));
}

TEST_CASE("raft disk persistence: appended entries survive a reload", "[raft][storage]") {
  temp_dir d;
  std::vector<log_entry> want{entry(1, 1, "", entry_kind::noop), entry(1, 2, "put x"),
                              entry(2, 3, std::string("\0\n\xff bin", 7))};
  {
    disk_persistence p{d.str(), real_disk_ptr()};
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
    disk_persistence p{d.str(), real_disk_ptr()};
    auto more = entries(4, 6, 2);
    REQUIRE(!p.append(more));
    want.insert(want.end(), more.begin(), more.end());
  }
  check_same(reload(d.str()).entries, want);
}

TEST_CASE("raft disk persistence: append refuses entries that do not continue the log",
          "[raft][storage]") {
  temp_dir d;
  disk_persistence p{d.str(), real_disk_ptr()};
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
    disk_persistence p{d.str(), real_disk_ptr()};
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
    disk_persistence p{d.str(), real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.truncate(raft_index{1}));  // everything but the header
    CHECK(fs::file_size(log_path(d)) == files::log_header_size);
    REQUIRE(!p.append(entries(1, 2, 3)));
  }
  check_same(reload(d.str()).entries, entries(1, 2, 3));
}

TEST_CASE("raft disk persistence: a snapshot compacts the log", "[raft][storage]") {
  temp_dir d;
  std::string state("state\0with\nbytes\xff", 17);
  {
    disk_persistence p{d.str(), real_disk_ptr()};
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
    disk_persistence p{d.str(), real_disk_ptr()};
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
    disk_persistence p{d.str(), real_disk_ptr()};
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

