// The bytes of the Raft directory's files (runtime/raft/raft_files.*,
// docs/raft-storage-format.md): fixtures of what earlier versions wrote, round trips, and the
// exact error for each damaged or unknown file.
//
// Fixtures "written before the durable encoding" are what commit e5e7511 wrote, printed by
//   sh tests/tools/durable_fixtures/print_fixtures.sh
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "runtime/base/durable_file.hpp"
#include "tests/runtime/durable_test_util.hpp"
#include "tests/runtime/raft_disk_test_util.hpp"

using namespace cafka;
using namespace cafka::raft;
using namespace cafka::test;

namespace fs = std::filesystem;

namespace {

// The error of loading the directory `d` (which must fail).
std::string load_error(const temp_dir& d) {
  disk_persistence p{d.str(), real_disk_ptr()};
  persisted_state st;
  auto err = p.load(st);
  REQUIRE(err);
  CHECK(errc_of(err) == errc::storage_error);
  return describe(err);
}

// Vote file of term 3, vote for node 2 (print_fixtures.sh: version 1, unchanged since).
const std::string vote_v1 = unhex("01 0000000000000003 00000002 25815d82");

// Log of a noop (term 3, index 1) and a command "cmd" (term 3, index 2), as version 0 wrote
// it (print_fixtures.sh): records without a header.
const std::string log_v0_records = unhex(
  "00000011 63324283 0000000000000003 0000000000000001 01"
  " 00000014 b762611f 0000000000000003 0000000000000002 00 636d64");
const std::string log_v1_header = unhex("726c6f67 0001");  // "rlog", version 1

// Snapshot at index 1, term 3 holding "state", as version 0 wrote it (print_fixtures.sh):
// length:uint64, crc32c:uint32, a Boost text archive.
const std::string snapshot_v0 = unhex(
  "000000000000002d 91afe557"
  " 32322073657269616c697a6174696f6e3a3a6172636869766520313820302030203120332035207374617465"
  "0a");
// The same snapshot in version 1: version, crc32c of the body, index, term, data.
const std::string snapshot_v1 = unhex(
  "0001 8d48e0e7 0000000000000001 0000000000000003 7374617465");

} // namespace

TEST_CASE("raft files: the vote file of version 1 decodes and encodes to the same bytes",
          "[raft][storage][durable]") {
  std::string why;
  auto v = files::decode_vote(vote_v1, why);
  CHECK(why.empty());
  CHECK(v.term == raft_term{3});
  CHECK(v.voted_for == node_id{2});
  CHECK(hex(files::encode_vote(v)) == hex(vote_v1));
  temp_dir d;
  fs::create_directories(d.path());
  write_file(d.file("vote"), vote_v1);
  auto st = reload(d.str());
  CHECK(st.term == raft_term{3});
  CHECK(st.voted_for == node_id{2});
}

TEST_CASE("raft files: a cut, damaged or unknown vote file is an exact error",
          "[raft][storage][durable]") {
  temp_dir d;
  fs::create_directories(d.path());
  auto path = d.file("vote");
  write_file(path, vote_v1.substr(0, 16));
  CHECK(load_error(d) == "storage_error: corrupt " + path + ": size 16, expected 17");
  auto flipped = vote_v1;
  flipped[5] ^= 1;
  write_file(path, flipped);
  CHECK(load_error(d) == "storage_error: corrupt " + path + ": CRC mismatch");
  // Version 2 with a valid CRC: a newer cafka's file.
  auto newer = vote_v1;
  newer[0] = 2;
  auto body = newer.substr(0, 13);
  std::string crc(4, '\0');
  wire::store_be32(crc.data(), crc32c(body.data(), body.size()));
  write_file(path, body + crc);
  CHECK(load_error(d) == "storage_error: corrupt " + path + ": unknown version 2");
}

TEST_CASE("raft files: a log of version 0 loads and gets the version 1 header",
          "[raft][storage][durable]") {
  temp_dir d;
  fs::create_directories(d.path());
  write_file(log_path(d), log_v0_records);
  warning_capture cap;
  {
    disk_persistence p{d.str(), real_disk_ptr()};
    auto st = load_ok(p);
    check_same(st.entries, {entry(3, 1, "", entry_kind::noop), entry(3, 2, "cmd")});
    CHECK(hex(read_file(log_path(d))) == hex(log_v1_header + log_v0_records));
    REQUIRE(!p.append({entry(3, 3, "more")}));
  }
  auto st = reload(d.str());
  check_same(st.entries, {entry(3, 1, "", entry_kind::noop), entry(3, 2, "cmd"),
                          entry(3, 3, "more")});
  CHECK(cap.lines() == 0);  // an expected upgrade, not a warning
}

TEST_CASE("raft files: a log is its header and the documented records",
          "[raft][storage][durable]") {
  temp_dir d;
  {
    disk_persistence p{d.str(), real_disk_ptr()};
    load_ok(p);
    CHECK(hex(read_file(log_path(d))) == hex(log_v1_header));
    REQUIRE(!p.append({entry(3, 1, "", entry_kind::noop), entry(3, 2, "cmd")}));
  }
  CHECK(hex(read_file(log_path(d))) == hex(log_v1_header + log_v0_records));
}

TEST_CASE("raft files: a log of an unknown version or not a log is an exact error",
          "[raft][storage][durable]") {
  temp_dir d;
  fs::create_directories(d.path());
  write_file(log_path(d), unhex("726c6f67 0002") + log_v0_records);
  CHECK(load_error(d) == "storage_error: corrupt " + log_path(d)
                           + ": log version 2 is unknown (this cafka reads 0 and 1)");
  write_file(log_path(d), "# not a log\n");
  CHECK(load_error(d) == "storage_error: corrupt " + log_path(d)
                           + ": not a raft log: it starts with neither \"rlog\" nor a record");
}

TEST_CASE("raft files: a torn log header is written again with one warning",
          "[raft][storage][durable]") {
  temp_dir d;
  fs::create_directories(d.path());
  write_file(log_path(d), "rlo");
  warning_capture cap;
  disk_persistence p{d.str(), real_disk_ptr()};
  auto st = load_ok(p);
  CHECK(st.entries.empty());
  CHECK(hex(read_file(log_path(d))) == hex(log_v1_header));
  CHECK(cap.lines() == 1);
  CHECK(cap.text().find("rewriting a torn header (3 bytes)") != std::string::npos);
}

TEST_CASE("raft files: a snapshot of version 1 decodes and encodes to the same bytes",
          "[raft][storage][durable]") {
  auto snp = make_snapshot(1, 3, "state");
  CHECK(hex(files::encode_snapshot(snp)) == hex(snapshot_v1));
  temp_dir d;
  fs::create_directories(d.path());
  write_file(d.file("snapshot"), snapshot_v1);
  auto st = reload(d.str());
  REQUIRE(st.snp);
  CHECK(st.snp->desc.index == raft_index{1});
  CHECK(st.snp->desc.term == raft_term{3});
  CHECK(st.snp->data == "state");
}

TEST_CASE("raft files: a snapshot of version 0, a newer one or a cut one is an exact error",
          "[raft][storage][durable]") {
  temp_dir d;
  fs::create_directories(d.path());
  auto path = d.file("snapshot");
  auto error_of = [&](const std::string& bytes) {
    write_file(path, bytes);
    auto err = load_error(d);
    auto prefix = "storage_error: corrupt " + path + ": ";
    REQUIRE(err.compare(0, prefix.size(), prefix) == 0);
    return err.substr(prefix.size());
  };
  CHECK(error_of(snapshot_v0) == "snapshot file version 0 (a Boost text archive, before "
                                 "cafka's durable encoding) is not read");
  auto newer = snapshot_v1;
  newer[1] = 2;
  CHECK(error_of(newer) == "snapshot file version 2 is unknown (this cafka reads 1)");
  CHECK(error_of(snapshot_v1.substr(0, snapshot_v1.size() - 1)) == "CRC mismatch");
  CHECK(error_of(snapshot_v1.substr(0, 5)) == "shorter than its header");
  // A body too short for index and term, behind a valid CRC.
  CHECK(error_of(durable::seal(1, "12345678"))
        == "truncated: 8 bytes needed at byte 8, 0 left");
}
