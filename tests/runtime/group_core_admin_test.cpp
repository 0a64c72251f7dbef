// The group core's operator requests (runtime/group/group_core_admin.cpp): deleting a group
// (refused with members; tombstones, then the core ends), deleting offsets of topics the group
// does not read, and resetting offsets only while the group has no members.
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

const topic_partition t0p0{"t", partition_id{0}};
const topic_partition t0p1{"t", partition_id{1}};
const topic_partition u0{"u", partition_id{0}};

// A group loaded with committed offsets of t-0, t-1 and u-0, and no members.
group_core loaded_core() {
  loaded_group lg;
  lg.state = group_record{"uniform", member_epoch{3}, 1, {}};
  for (auto& tp : {t0p0, t0p1, u0})
    lg.offsets[tp] = offset_record{log_offset{10}, 1000};
  return group_core{config(), std::move(lg), {{"t", 2}, {"u", 2}}, t0};
}

const core_reply* reply_for(const core_output& out, reply_id id) {
  for (auto& r : out.replies)
    if (r.id == id)
      return &r;
  return nullptr;
}

const caf::error* error_of(const core_reply& r) {
  return std::get_if<caf::error>(&r.value);
}

// Joins member `id` (subscribed to t), acknowledges it, and confirms its assignment so the
// group is Stable.
void join_stable(group_core& c, const std::string& id) {
  group_heartbeat_request hb{"g", id, join_epoch, "", "", {"t"}, {}};
  c.heartbeat(reply_id{100}, hb, t0);
  auto out = c.take_output();
  REQUIRE(out.write);
  c.write_done(out.write->seq);
  out = c.take_output();
  auto r = reply_for(out, reply_id{100});
  REQUIRE(r != nullptr);
  auto resp = std::get<group_heartbeat_response>(r->value);
  hb.member_epoch = resp.member_epoch;
  hb.owned = resp.assignment;
  c.heartbeat(reply_id{101}, hb, t0);
  out = c.take_output();
  if (out.write)
    c.write_done(out.write->seq);
  c.take_output();
  REQUIRE(std::string{c.state().state_name()} == "Stable");
}

// What replaying `records` after the loaded ones leaves of group "g".
loaded_group replay(const std::vector<keyed_record>& records) {
  group_loader l;
  // The load the core started from, then the write.
  REQUIRE_FALSE(l.apply(group_key("g"), encode(group_record{"uniform", member_epoch{3}, 1, {}})));
  for (auto& tp : {t0p0, t0p1, u0})
    REQUIRE_FALSE(l.apply(offset_key("g", tp), encode(offset_record{log_offset{10}, 1000})));
  for (auto& [k, v] : records) {
    std::optional<std::string_view> value;
    if (v)
      value = *v;
    REQUIRE_FALSE(l.apply(k, value));
  }
  return l.groups()["g"];
}

} // namespace

TEST_CASE("a group with members is not deleted, with Kafka's message", "[group][admin]") {
  auto c = loaded_core();
  join_stable(c, "a");
  c.delete_group(reply_id{1});
  auto out = c.take_output();
  CHECK_FALSE(out.write);
  auto r = reply_for(out, reply_id{1});
  REQUIRE(r != nullptr);
  REQUIRE(error_of(*r) != nullptr);
  CHECK(errc_of(*error_of(*r)) == errc::non_empty_group);
  CHECK(context_of(*error_of(*r))
        == "Group 'g' could not be deleted due to: The group is not empty.");
  CHECK(c.mode() == core_mode::serving);
}

TEST_CASE("deleting an empty group writes tombstones for its offsets and record, then ends",
          "[group][admin]") {
  auto c = loaded_core();
  c.delete_group(reply_id{1});
  auto out = c.take_output();
  REQUIRE(out.write);
  CHECK(out.replies.empty());  // not before the tombstones are on the ISR
  auto& recs = out.write->records;
  REQUIRE(recs.size() == 4);
  for (auto& [k, v] : recs)
    CHECK_FALSE(v);
  CHECK(recs.back().first == group_key("g"));  // the record last
  auto left = replay(recs);
  CHECK_FALSE(left.state);
  CHECK(left.offsets.empty());
  // Meanwhile requests are refused as "moving": a retry finds a fresh group.
  c.commit(reply_id{2}, offset_commit_request{"g", "", no_member_epoch, {{t0p0, log_offset{1}}}},
           1000);
  out = c.take_output();
  CHECK_FALSE(out.write);
  auto fetch = reply_for(out, reply_id{2});
  REQUIRE(fetch != nullptr);
  REQUIRE(error_of(*fetch) != nullptr);
  CHECK(errc_of(*error_of(*fetch)) == errc::not_coordinator);
  c.write_done(write_seq{1});
  out = c.take_output();
  auto r = reply_for(out, reply_id{1});
  REQUIRE(r != nullptr);
  CHECK(std::holds_alternative<group_admin_response>(r->value));
  CHECK(out.finished);
  CHECK_FALSE(out.failed);
  CHECK(c.mode() == core_mode::stopped);
}

TEST_CASE("a group deleted while a write is in flight writes nothing after its tombstones",
          "[group][admin]") {
  auto c = loaded_core();
  // The last member leaves: its write is in flight when the delete comes.
  group_heartbeat_request hb{"g", "a", join_epoch, "", "", {"t"}, {}};
  c.heartbeat(reply_id{1}, hb, t0);
  auto out = c.take_output();
  REQUIRE(out.write);
  c.write_done(out.write->seq);
  auto joined = std::get<group_heartbeat_response>(reply_for(c.take_output(), reply_id{1})->value);
  hb.member_epoch = leave_epoch;
  c.heartbeat(reply_id{2}, hb, t0);
  auto leave = c.take_output().write;
  REQUIRE(leave);
  c.delete_group(reply_id{3});
  out = c.take_output();
  CHECK_FALSE(out.write);
  c.write_done(leave->seq);
  out = c.take_output();
  REQUIRE(out.write);
  CHECK(reply_for(out, reply_id{2}) != nullptr);
  CHECK(reply_for(out, reply_id{3}) == nullptr);
  CHECK(out.write->records.back() == keyed_record{group_key("g"), std::nullopt});
  CHECK_FALSE(out.finished);
  c.write_done(out.write->seq);
  out = c.take_output();
  CHECK(reply_for(out, reply_id{3}) != nullptr);
  CHECK(out.finished);
  (void) joined;
}

TEST_CASE("a failed delete write fails the core, so the partition decides", "[group][admin]") {
  auto c = loaded_core();
  c.delete_group(reply_id{1});
  auto w = c.take_output().write;
  REQUIRE(w);
  c.write_failed(w->seq, make_error(errc::request_timed_out, "x"));
  auto out = c.take_output();
  auto r = reply_for(out, reply_id{1});
  REQUIRE(r != nullptr);
  REQUIRE(error_of(*r) != nullptr);
  CHECK(errc_of(*error_of(*r)) == errc::not_coordinator);
  CHECK(out.failed);
}

TEST_CASE("offsets of a topic the group reads are kept, the others get tombstones",
          "[group][admin]") {
  auto c = loaded_core();
  join_stable(c, "a");  // reads t
  c.delete_offsets(reply_id{1}, {t0p0, u0, {"u", partition_id{1}}, {"u", partition_id{5}}});
  auto out = c.take_output();
  REQUIRE(out.write);
  REQUIRE(out.write->records.size() == 1);
  CHECK(out.write->records[0] == keyed_record{offset_key("g", u0), std::nullopt});
  c.write_done(out.write->seq);
  out = c.take_output();
  auto r = reply_for(out, reply_id{1});
  REQUIRE(r != nullptr);
  auto& resp = std::get<group_admin_response>(r->value);
  REQUIRE(resp.partitions.size() == 4);
  CHECK(resp.partitions[0].tp == t0p0);
  CHECK(errc_of(resp.partitions[0].error) == errc::group_subscribed_to_topic);
  CHECK(resp.partitions[1].tp == u0);
  CHECK_FALSE(resp.partitions[1].error);
  CHECK_FALSE(resp.partitions[2].error);  // no offset: nothing to delete
  CHECK(errc_of(resp.partitions[3].error) == errc::unknown_topic_or_partition);
  CHECK(c.durable_offsets().count(u0) == 0);
  CHECK(c.durable_offsets().count(t0p0) == 1);
}

TEST_CASE("a reset is refused while the group has members, with Kafka's message",
          "[group][admin]") {
  auto c = loaded_core();
  join_stable(c, "a");
  c.reset_offsets(reply_id{1}, {{t0p0, log_offset{0}}}, 2000);
  auto out = c.take_output();
  CHECK_FALSE(out.write);
  auto r = reply_for(out, reply_id{1});
  REQUIRE(r != nullptr);
  REQUIRE(error_of(*r) != nullptr);
  CHECK(errc_of(*error_of(*r)) == errc::non_empty_group);
  CHECK(context_of(*error_of(*r))
        == "Assignments can only be reset if the group 'g' is inactive, but the current state "
           "is Stable.");
  CHECK(c.durable_offsets().at(t0p0).offset == log_offset{10});
}

TEST_CASE("a reset of a group without members commits its offsets", "[group][admin]") {
  auto c = loaded_core();
  c.reset_offsets(reply_id{1}, {{t0p0, log_offset{0}}, {u0, log_offset{3}}}, 2000);
  auto out = c.take_output();
  REQUIRE(out.write);
  REQUIRE(out.write->records.size() >= 2);  // and the group's record if it changed
  CHECK(out.write->records[0].first == offset_key("g", t0p0));
  CHECK(out.write->records[1].first == offset_key("g", u0));
  c.write_done(out.write->seq);
  out = c.take_output();
  auto r = reply_for(out, reply_id{1});
  REQUIRE(r != nullptr);
  CHECK(std::holds_alternative<group_admin_response>(r->value));
  CHECK(c.durable_offsets().at(t0p0).offset == log_offset{0});
  CHECK(c.durable_offsets().at(u0).offset == log_offset{3});
  // The commit's own checks still hold.
  c.reset_offsets(reply_id{2}, {{{"nope", partition_id{0}}, log_offset{0}}}, 2000);
  out = c.take_output();
  r = reply_for(out, reply_id{2});
  REQUIRE(r != nullptr);
  REQUIRE(error_of(*r) != nullptr);
  CHECK(errc_of(*error_of(*r)) == errc::unknown_topic_or_partition);
}

TEST_CASE("offsets of an empty group older than the retention expire as tombstones",
          "[group][admin][retention]") {
  auto cfg = config();
  cfg.offsets_retention_ms = 60000;
  loaded_group lg;
  lg.offsets[t0p0] = offset_record{log_offset{10}, 1000};
  lg.offsets[u0] = offset_record{log_offset{4}, 30000};
  group_core c{cfg, std::move(lg), {{"t", 2}, {"u", 2}}, t0};
  c.take_output();
  c.expire_offsets(60999);  // t-0 is 59 999 ms old: kept
  CHECK_FALSE(c.take_output().write);
  c.expire_offsets(61000);  // looked a minute ago: not yet again
  CHECK_FALSE(c.take_output().write);
  c.expire_offsets(120999);  // t-0 expired, u-0 (90 999 ms) too
  auto out = c.take_output();
  REQUIRE(out.write);
  CHECK(out.write->records
        == std::vector<keyed_record>{{offset_key("g", t0p0), std::nullopt},
                                     {offset_key("g", u0), std::nullopt}});
  c.write_done(out.write->seq);
  CHECK(c.durable_offsets().empty());
}

TEST_CASE("offsets of a group with members do not expire", "[group][admin][retention]") {
  auto cfg = config();
  cfg.offsets_retention_ms = 60000;
  loaded_group lg;
  lg.offsets[t0p0] = offset_record{log_offset{10}, 1000};
  group_core c{cfg, std::move(lg), {{"t", 2}, {"u", 2}}, t0};
  join_stable(c, "a");
  c.expire_offsets(10'000'000);
  CHECK_FALSE(c.take_output().write);
  CHECK(c.durable_offsets().count(t0p0) == 1);
}
