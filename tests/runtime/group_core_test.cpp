// The group core's rules one at a time (runtime/group/group_core.hpp): replies wait for the
// write holding their change, one write at a time, fetches read only what is on the ISR,
// failures and stops, nudges and expiry, and the size rules of commits.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/group/group_core.hpp"

using namespace cafka;
using namespace cafka::group;
using namespace std::chrono_literals;

namespace {

const auto t0 = clock::time_point{} + 100s;

core_config config() {
  core_config c;
  c.group = "g";
  c.group_cfg.session_timeout = 10s;
  return c;
}

group_core fresh_core(core_config cfg = config()) {
  return group_core{std::move(cfg), loaded_group{}, {{"t", 2}}, t0};
}

group_heartbeat_request join(const std::string& id) {
  group_heartbeat_request r;
  r.group = "g";
  r.member_id = id;
  r.member_epoch = join_epoch;
  r.topics = {"t"};
  return r;
}

offset_commit_request commit_of(const std::string& id, member_epoch epoch, int64_t offset) {
  return offset_commit_request{"g", id, epoch, {{{"t", partition_id{0}}, log_offset{offset}}}};
}

const core_reply* reply_for(const core_output& out, reply_id id) {
  for (auto& r : out.replies)
    if (r.id == id)
      return &r;
  return nullptr;
}

errc error_of(const core_reply& r) {
  auto err = std::get_if<caf::error>(&r.value);
  return err == nullptr ? errc::none : errc_of(*err);
}

// Joins member `id` and acknowledges the write; returns its answer.
group_heartbeat_response joined(group_core& c, const std::string& id, reply_id rid) {
  c.heartbeat(rid, join(id), t0);
  auto out = c.take_output();
  REQUIRE(out.write);
  c.write_done(out.write->seq);
  out = c.take_output();
  auto r = reply_for(out, rid);
  REQUIRE(r != nullptr);
  return std::get<group_heartbeat_response>(r->value);
}

} // namespace

TEST_CASE("a join is answered only once the write holding it is acknowledged", "[group]") {
  auto c = fresh_core();
  c.heartbeat(reply_id{1}, join("a"), t0);
  auto out = c.take_output();
  REQUIRE(out.write);
  CHECK(out.write->seq == write_seq{1});
  CHECK(out.write->records.back().first == group_key("g"));
  CHECK(out.replies.empty());
  REQUIRE(out.watch.size() == 1);
  CHECK(out.watch[0].member_id == "a");
  c.write_done(out.write->seq);
  out = c.take_output();
  REQUIRE(out.replies.size() == 1);
  auto& resp = std::get<group_heartbeat_response>(out.replies[0].value);
  CHECK(resp.member_id == "a");
  CHECK(resp.assignment.size() == 2);
}

TEST_CASE("a change made while a write is in flight waits for the next write", "[group]") {
  auto c = fresh_core();
  auto a = joined(c, "a", reply_id{1});
  c.commit(reply_id{2}, commit_of("a", a.member_epoch, 5), 1000);
  auto first = c.take_output();
  REQUIRE(first.write);
  c.commit(reply_id{3}, commit_of("a", a.member_epoch, 7), 1001);
  auto out = c.take_output();
  CHECK_FALSE(out.write);  // one write at a time
  c.write_done(first.write->seq);
  out = c.take_output();
  REQUIRE(out.replies.size() == 1);
  CHECK(out.replies[0].id == reply_id{2});
  REQUIRE(out.write);  // the second commit's
  CHECK(out.write->records.size() == 1);
  c.write_done(out.write->seq);
  out = c.take_output();
  REQUIRE(out.replies.size() == 1);
  CHECK(out.replies[0].id == reply_id{3});
  CHECK(std::holds_alternative<commit_done>(out.replies[0].value));
}

TEST_CASE("an offset fetch shows only commits whose write is acknowledged", "[group]") {
  auto c = fresh_core();
  auto a = joined(c, "a", reply_id{1});
  c.commit(reply_id{2}, commit_of("a", a.member_epoch, 5), 1000);
  auto w1 = c.take_output().write;
  REQUIRE(w1);
  // The fetch waits for the write in flight; a commit accepted after it goes in the next
  // write, which may still be lost: the fetch must not show it.
  c.offset_fetch(reply_id{3}, {"g", {}});
  c.commit(reply_id{4}, commit_of("a", a.member_epoch, 9), 1001);
  CHECK(c.take_output().replies.empty());
  c.write_done(w1->seq);
  auto out = c.take_output();
  auto fetched = reply_for(out, reply_id{3});
  REQUIRE(fetched != nullptr);
  auto& offsets = std::get<std::vector<partition_offset>>(fetched->value);
  REQUIRE(offsets.size() == 1);
  CHECK(offsets[0].offset == log_offset{5});
  CHECK(c.offsets().at({"t", partition_id{0}}).offset == log_offset{9});
  CHECK(c.durable_offsets().at({"t", partition_id{0}}).offset == log_offset{5});
}

TEST_CASE("a failed write fails every waiting reply with not_coordinator and ends the core",
          "[group]") {
  auto c = fresh_core();
  auto a = joined(c, "a", reply_id{1});
  c.commit(reply_id{2}, commit_of("a", a.member_epoch, 5), 1000);
  auto w = c.take_output().write;
  REQUIRE(w);
  c.offset_fetch(reply_id{3}, {"g", {}});
  c.write_failed(w->seq, make_error(errc::request_timed_out));
  auto out = c.take_output();
  CHECK(out.finished);
  CHECK(out.failed);
  CHECK(c.mode() == core_mode::failed);
  REQUIRE(out.replies.size() == 2);
  for (auto& r : out.replies)
    CHECK(error_of(r) == errc::not_coordinator);
  c.heartbeat(reply_id{4}, join("b"), t0);
  out = c.take_output();
  REQUIRE(out.replies.size() == 1);
  CHECK(error_of(out.replies[0]) == errc::not_coordinator);
  CHECK_FALSE(out.write);
}

TEST_CASE("a stop lets the write in flight finish, then answers not_coordinator", "[group]") {
  auto c = fresh_core();
  auto a = joined(c, "a", reply_id{1});
  c.commit(reply_id{2}, commit_of("a", a.member_epoch, 5), 1000);
  auto w = c.take_output().write;
  REQUIRE(w);
  c.stop();
  CHECK(c.mode() == core_mode::stopping);
  c.commit(reply_id{3}, commit_of("a", a.member_epoch, 6), 1001);
  auto out = c.take_output();
  REQUIRE(out.replies.size() == 1);
  CHECK(error_of(out.replies[0]) == errc::not_coordinator);
  CHECK_FALSE(out.finished);
  c.write_done(w->seq);
  out = c.take_output();
  CHECK(out.finished);
  CHECK_FALSE(out.failed);
  REQUIRE(out.replies.size() == 1);
  CHECK(std::holds_alternative<commit_done>(out.replies[0].value));
}

TEST_CASE("members whose assignment moved are nudged, the one answered is not", "[group]") {
  auto c = fresh_core();
  joined(c, "a", reply_id{1});
  c.heartbeat(reply_id{2}, join("b"), t0);
  auto out = c.take_output();
  // b's join takes a partition from a: a must heartbeat to give it up.
  CHECK(out.nudge == std::vector<std::string>{"a"});
}

TEST_CASE("a member whose session times out is removed, unwatched and written", "[group]") {
  auto c = fresh_core();
  joined(c, "a", reply_id{1});
  c.tick(t0 + 5s);
  CHECK(c.take_output().empty());
  c.tick(t0 + 11s);
  auto out = c.take_output();
  CHECK(out.unwatch == std::vector<std::string>{"a"});
  REQUIRE(out.write);
  CHECK(c.state().empty());
  CHECK(c.tick_interval() == 1000ms);
}

TEST_CASE("a commit the next write cannot hold is refused: retriable if a later one can",
          "[group]") {
  auto cfg = config();
  cfg.max_group_value_bytes = 200;
  cfg.max_write_bytes = 2000;  // room for offsets: 2000 - 1024 - 2 * 200 = 576 bytes
  auto c = fresh_core(cfg);
  auto a = joined(c, "a", reply_id{1});
  auto big = commit_of("a", a.member_epoch, 1);
  big.offsets[0].metadata = std::string(600, 'x');
  c.commit(reply_id{2}, big, 1000);
  auto out = c.take_output();
  REQUIRE(out.replies.size() == 1);
  CHECK(error_of(out.replies[0]) == errc::message_too_large);
  auto half = commit_of("a", a.member_epoch, 2);
  half.offsets[0].metadata = std::string(300, 'x');
  c.commit(reply_id{3}, half, 1001);  // goes out at once
  auto w = c.take_output().write;
  REQUIRE(w);
  c.commit(reply_id{4}, half, 1002);  // queued behind it
  c.commit(reply_id{5}, half, 1003);  // does not fit beside the queued one
  out = c.take_output();
  REQUIRE(out.replies.size() == 1);
  CHECK(out.replies[0].id == reply_id{5});
  CHECK(error_of(out.replies[0]) == errc::coordinator_load_in_progress);
}

TEST_CASE("a loaded group drops the offsets of deleted topics and writes their tombstones",
          "[group]") {
  loaded_group lg;
  lg.offsets[{"gone", partition_id{0}}] = offset_record{log_offset{4}};
  lg.offsets[{"t", partition_id{1}}] = offset_record{log_offset{7}};
  group_core c{config(), lg, {{"t", 2}}, t0};
  auto out = c.take_output();
  REQUIRE(out.write);
  REQUIRE(out.write->records.size() == 1);
  CHECK(out.write->records[0].first == offset_key("g", {"gone", partition_id{0}}));
  CHECK_FALSE(out.write->records[0].second);
  CHECK(c.offsets().size() == 1);
}
