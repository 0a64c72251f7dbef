// Tests of raft::disk_persistence's recovery: torn and corrupt files, a crash between
// snapshot store and log rewrite, logs that break Raft's order, random garbage.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/runtime/raft_disk_test_util.hpp"

using namespace cafka;
using namespace cafka::raft;
using namespace cafka::test;

namespace fs = std::filesystem;

namespace {

// A Raft directory whose log holds entries 1..5 of term 1 (data "e<index>").
void store_five_entries(const temp_dir& d) {
  disk_persistence p{d.str(), real_disk_ptr()};
  load_ok(p);
  REQUIRE(!p.append(entries(1, 6, 1)));
}

} // namespace

TEST_CASE("raft disk persistence: a torn log tail is cut and appends continue",
          "[raft][storage]") {
  temp_dir d;
  store_five_entries(d);
  auto bytes = read_file(log_path(d));
  auto whole = bytes.size();
  auto last = raw_record(1, 5, "e5").size();
  SECTION("cut mid-payload") {
    fs::resize_file(log_path(d), whole - 3);
  }
  SECTION("cut mid-header") {
    fs::resize_file(log_path(d), whole - last + 5);
  }
  warning_capture cap;
  {
    disk_persistence p{d.str(), real_disk_ptr()};
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
  store_five_entries(d);
  auto bytes = read_file(log_path(d));
  bytes[bytes.size() - 1] ^= 0x01;  // last byte of entry 5's data
  write_file(log_path(d), bytes);
  warning_capture cap;
  auto st = reload(d.str());
  CHECK(indexes(st.entries) == range(1, 5));
  CHECK(cap.lines() == 1);
  CHECK(cap.text().find("CRC mismatch") != std::string::npos);
  CHECK(fs::file_size(log_path(d)) == bytes.size() - raw_record(1, 5, "e5").size());
}

TEST_CASE("raft disk persistence: zeros after the last whole record are a torn tail",
          "[raft][storage]") {
  temp_dir d;
  store_five_entries(d);
  auto whole = fs::file_size(log_path(d));
  fs::resize_file(log_path(d), whole + 4096);
  warning_capture cap;
  auto st = reload(d.str());
  CHECK(indexes(st.entries) == range(1, 6));
  CHECK(fs::file_size(log_path(d)) == whole);
  CHECK(cap.lines() == 1);
  CHECK(cap.text().find("truncated torn tail at position " + std::to_string(whole))
        != std::string::npos);
}

TEST_CASE("raft disk persistence: a bad record with good ones after it fails the load and "
          "changes nothing",
          "[raft][storage]") {
  temp_dir d;
  store_five_entries(d);
  auto bytes = read_file(log_path(d));
  auto rec = raw_record(1, 1, "e1").size();
  auto third = files::log_header_size + 2 * rec;  // entry 3
  std::string why;
  auto follows = third + rec;  // entry 4
  SECTION("a flipped bit in entry 3's data") {
    bytes[third + rec - 1] ^= 0x01;
    why = "CRC mismatch";
  }
  SECTION("entry 3's length field overwritten") {
    bytes[third] = 0x7f;
    why = "runs past the end of the file";
  }
  SECTION("entries 3 and 4 zeroed") {
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(third),
              bytes.begin() + static_cast<std::ptrdiff_t>(third + 2 * rec), '\0');
    why = "too small";
    follows = third + 2 * rec;  // entry 5
  }
  write_file(log_path(d), bytes);
  warning_capture cap;
  disk_persistence p{d.str(), real_disk_ptr()};
  persisted_state st;
  auto err = p.load(st);
  REQUIRE(err);
  CHECK(errc_of(err) == errc::storage_error);
  auto text = context_of(err);
  auto prefix = "corrupt " + log_path(d) + ": bad record at position " + std::to_string(third)
                + " (after entry 2): ";
  CHECK(text.substr(0, prefix.size()) == prefix);
  CHECK(text.find(why) != std::string::npos);
  CHECK(text.find("a valid record follows at position " + std::to_string(follows))
        != std::string::npos);
  CHECK(read_file(log_path(d)) == bytes);
  CHECK(cap.lines() == 0);
  // Writes load first: they fail the same way and write nothing.
  CHECK(errc_of(p.append({entry(1, 3, "x")})) == errc::storage_error);
  CHECK(errc_of(p.truncate(raft_index{2})) == errc::storage_error);
  CHECK(read_file(log_path(d)) == bytes);
}

TEST_CASE("raft disk persistence: indexes at the top of the range are refused, not wrapped",
          "[raft][storage]") {
  temp_dir d;
  fs::create_directories(d.path());
  auto top = std::numeric_limits<int64_t>::max();
  SECTION("a log whose entries reach INT64_MAX") {
    write_file(log_path(d), files::log_header() + raw_record(1, top - 1, "a")
                              + raw_record(1, top, "b"));
    disk_persistence p{d.str(), real_disk_ptr()};
    persisted_state st;
    CHECK(errc_of(p.load(st)) == errc::storage_error);
  }
  SECTION("a snapshot at INT64_MAX") {
    disk_persistence p{d.str(), real_disk_ptr()};
    load_ok(p);
    CHECK(errc_of(p.store_snapshot(make_snapshot(top, 1, "s"))) == errc::invalid_request);
  }
  SECTION("an append past the largest index") {
    disk_persistence p{d.str(), real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.store_snapshot(make_snapshot(top - 1, 1, "s")));
    CHECK(errc_of(p.append({entry(1, top, "x")})) == errc::invalid_request);
  }
}

TEST_CASE("raft disk persistence: a garbage vote file is a storage error", "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), real_disk_ptr()};
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
  disk_persistence p{d.str(), real_disk_ptr()};
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
    disk_persistence p{d.str(), real_disk_ptr()};
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
  disk_persistence p{d.str(), real_disk_ptr()};
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
    disk_persistence p{d.str(), real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append(entries(1, 11, 1)));
    old_log = read_file(log_path(d));
    REQUIRE(!p.store_snapshot(make_snapshot(6, 1, "s6")));
  }
  // The crash: the snapshot file is new, the log file is still the old one (and a temp file
  // of the rewrite may be left over).
  write_file(log_path(d), old_log);
  write_file(d.file("log.tmp"), "half a rewrite");
  warning_capture cap;
  {
    disk_persistence p{d.str(), real_disk_ptr()};
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
  disk_persistence p{d.str(), real_disk_ptr()};
  persisted_state st;
  auto err = p.load(st);
  CHECK(errc_of(err) == errc::storage_error);
  CHECK(describe(err).find("log") != std::string::npos);
}

TEST_CASE("raft disk persistence: the documented record encoding is what is stored",
          "[raft][storage]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), real_disk_ptr()};
    load_ok(p);
    REQUIRE(!p.append({entry(3, 1, "x", entry_kind::noop), entry(3, 2, "yz")}));
  }
  CHECK(read_file(log_path(d))
        == files::log_header() + raw_record(3, 1, "x", 1) + raw_record(3, 2, "yz"));
}

TEST_CASE("raft disk persistence: random garbage never crashes a load", "[raft][storage]") {
  std::mt19937 rng{42};
  auto garbage = [&](size_t max) {
    std::string out(rng() % max, '\0');
    for (auto& c : out)
      c = static_cast<char>(rng());
    return out;
  };
  warning_capture cap;
  for (int round = 0; round < 50; ++round) {
    temp_dir d;
    {
      disk_persistence p{d.str(), real_disk_ptr()};
      load_ok(p);
      REQUIRE(!p.append(entries(1, 6, 1)));
    }
    auto name = round % 3 == 0 ? "log" : round % 3 == 1 ? "vote" : "snapshot";
    auto bytes = round % 2 == 0 ? garbage(200) : raw_record(1, 1, "a") + garbage(64);
    write_file(d.file(name), bytes);
    disk_persistence p{d.str(), real_disk_ptr()};
    persisted_state st;
    auto err = p.load(st);
    CHECK((!err || errc_of(err) == errc::storage_error));
    if (!err)  // whatever survived is a valid log that takes the next entry
      CHECK(!p.append({log_entry{raft_term{1}, p.last_index() + 1, entry_kind::command, {}}}));
  }
}
