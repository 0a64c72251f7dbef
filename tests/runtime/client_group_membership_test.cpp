// The client side of the group protocol: joins, incremental steps from answers, leaving, and
// what each error answer means.
#include <catch2/catch.hpp>

#include "runtime/client/group_membership.hpp"

using namespace cafka;

namespace {

topic_partition tp(int32_t p) {
  return {"t", partition_id{p}};
}

} // namespace

TEST_CASE("a group member joins, then revokes and starts only what the answers move",
          "[client][group]") {
  group_membership m{"g", "", "range", {"t", "t", "a"}};
  CHECK_FALSE(m.joined());
  auto join = m.heartbeat({});
  CHECK(join.member_id.size() == 32);  // chosen by the member, kept for its lifetime
  CHECK(join.member_epoch == join_epoch);
  CHECK(m.heartbeat({}).member_id == join.member_id);
  CHECK(join.topics == std::vector<std::string>{"a", "t"});
  CHECK(join.assignor == "range");

  auto s1 = m.on_response({"g-1-0", member_epoch{3}, 700, 9000, {tp(2), tp(0)}}, {});
  CHECK(m.session_timeout() == std::chrono::milliseconds{9000});
  CHECK(m.joined());
  CHECK(m.epoch() == member_epoch{3});
  CHECK(m.interval() == std::chrono::milliseconds{700});
  CHECK(s1.revoke.empty());
  CHECK(s1.assign == std::vector<topic_partition>{tp(0), tp(2)});

  auto renew = m.heartbeat({tp(2), tp(0)});
  CHECK(renew.member_id == "g-1-0");
  CHECK(renew.member_epoch == member_epoch{3});
  CHECK(renew.owned == std::vector<topic_partition>{tp(0), tp(2)});

  // One partition moves away, one arrives: only those two change hands.
  auto s2 = m.on_response({"g-1-0", member_epoch{5}, 0, 0, {tp(0), tp(1)}}, {tp(0), tp(2)});
  CHECK(s2.revoke == std::vector<topic_partition>{tp(2)});
  CHECK(s2.assign == std::vector<topic_partition>{tp(1)});
  CHECK(m.interval() == std::chrono::milliseconds{700});  // 0: unchanged

  auto leave = m.leave();
  CHECK(leave.member_epoch == leave_epoch);
  m.reset();
  CHECK_FALSE(m.joined());
  CHECK(m.heartbeat({}).member_epoch == join_epoch);
  CHECK(m.heartbeat({}).member_id == "g-1-0");  // rejoins as the same member
}

TEST_CASE("a static member leaves for now and error answers are classified",
          "[client][group]") {
  group_membership m{"g", "instance-1", "", {"t"}};
  m.on_response({"g-4-2", member_epoch{2}, 500, 9000, {tp(0)}}, {});
  auto leave = m.leave();
  CHECK(leave.member_epoch == static_leave_epoch);
  CHECK(leave.instance_id == "instance-1");
  using k = group_membership::error_kind;
  CHECK(group_membership::classify(make_error(errc::not_coordinator)) == k::retry);
  CHECK(group_membership::classify(make_error(errc::coordinator_load_in_progress)) == k::retry);
  CHECK(group_membership::classify(make_error(errc::request_timed_out)) == k::retry);
  CHECK(group_membership::classify(make_error(errc::unknown_member_id)) == k::fenced);
  CHECK(group_membership::classify(make_error(errc::fenced_member_epoch)) == k::fenced);
  CHECK(group_membership::classify(make_error(errc::fenced_instance_id)) == k::fatal);
  CHECK(group_membership::classify(make_error(errc::unsupported_assignor)) == k::fatal);
  CHECK(group_membership::classify(make_error(errc::group_max_size_reached)) == k::fatal);
  CHECK(group_membership::classify(make_error(errc::limit_exceeded)) == k::fatal);
}
