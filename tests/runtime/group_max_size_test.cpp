// [limits] group-max-size in a consumer group (runtime/group/group_state, group_core): a
// member that would pass it is refused, actor members with group_max_size_reached, classic
// ones with Kafka's GROUP_MAX_SIZE_REACHED (81); members already in the group, rejoining or
// coming back as the same static member, never are, and a slot freed by a leave is free.
// And max-groups, the coordinator's rule for a new group (runtime/group/offsets_load).
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/group/group_core.hpp"
#include "runtime/group/group_state.hpp"
#include "runtime/group/offsets_load.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "tests/runtime/classic_client.hpp"

using namespace cafka;
using namespace cafka::group;
using namespace cafka::group::testing;
using namespace std::chrono_literals;

namespace {

const auto t0 = clock::time_point{} + 100s;

group_config config_of_size(int32_t n) {
  auto c = config();
  c.max_size = n;
  return c;
}

heartbeat_request actor_join(const std::string& id, const std::string& instance = {}) {
  heartbeat_request r;
  r.member_id = id;
  r.member_epoch = join_epoch;
  r.instance_id = instance;
  r.topics = {"t"};
  return r;
}

} // namespace

TEST_CASE("an actor member beyond group-max-size is refused with group_max_size_reached",
          "[group][limits]") {
  group_state g{"g", config_of_size(2)};
  g.set_topics({{"t", 4}});
  REQUIRE(g.heartbeat(actor_join("a"), t0));
  REQUIRE(g.heartbeat(actor_join("b"), t0));
  auto third = g.heartbeat(actor_join("c"), t0);
  REQUIRE_FALSE(third);
  CHECK(describe(third.error())
        == "group_max_size_reached: group 'g' has 2 members, the most [limits] "
           "group-max-size (2) allows");
  CHECK(g.members().size() == 2);
  SECTION("a member of the group joining again is not refused") {
    auto again = g.heartbeat(actor_join("a"), t0);
    REQUIRE(again);
    CHECK(again->member_id == "a");
  }
  SECTION("a leave frees the slot") {
    auto leave = actor_join("b");
    leave.member_epoch = leave_epoch;
    REQUIRE(g.heartbeat(leave, t0));
    CHECK(g.heartbeat(actor_join("c"), t0));
  }
}

TEST_CASE("a static member back within its session is not refused by a full group",
          "[group][limits]") {
  group_state g{"g", config_of_size(1)};
  g.set_topics({{"t", 4}});
  REQUIRE(g.heartbeat(actor_join("a1", "static"), t0));
  auto leave = actor_join("a1", "static");
  leave.member_epoch = static_leave_epoch;
  REQUIRE(g.heartbeat(leave, t0));
  auto back = g.heartbeat(actor_join("a2", "static"), t0 + 1s);
  REQUIRE(back);
  CHECK(back->member_id == "a2");
  CHECK(errc_of(g.heartbeat(actor_join("other"), t0 + 1s).error())
        == errc::group_max_size_reached);
}

TEST_CASE("a classic member beyond group-max-size gets GROUP_MAX_SIZE_REACHED and no member id",
          "[group][limits][classic]") {
  group_state g{"g", config_of_size(2)};
  g.set_topics({{"t", 4}});
  classic_client a, b, c;
  REQUIRE(join(g, a, t0).error_code == 0);
  REQUIRE(join(g, b, t0).error_code == 0);
  SECTION("JoinGroup v4+: refused before a member id is handed out") {
    auto req = c.request(classic_op::join);
    req.member_id_required = true;
    auto r = g.classic(req, t0);
    CHECK(r.error_code == code(error_code::group_max_size_reached));
    CHECK(r.member_id.empty());
  }
  SECTION("before v4: refused, nothing joins") {
    auto r = join(g, c, t0);
    CHECK(r.error_code == code(error_code::group_max_size_reached));
    CHECK(r.member_id.empty());
  }
  CHECK(g.members().size() == 2);
  // The two members go on: a rejoin and a sync of each are answered.
  CHECK(join(g, a, t0).error_code == 0);
  CHECK(sync(g, a, t0).error_code == 0);
  CHECK(sync(g, b, t0).error_code == 0);
  SECTION("a LeaveGroup frees the slot") {
    REQUIRE(g.classic(b.request(classic_op::leave), t0).error_code == 0);
    CHECK(join(g, c, t0).error_code == 0);
  }
}

TEST_CASE("a member id handed out with MEMBER_ID_REQUIRED is refused if the group filled "
          "meanwhile", "[group][limits][classic]") {
  group_state g{"g", config_of_size(1)};
  g.set_topics({{"t", 4}});
  classic_client late;
  auto req = late.request(classic_op::join);
  req.member_id_required = true;
  auto first = g.classic(req, t0);
  REQUIRE(first.error_code == code(error_code::member_id_required));
  classic_client a;
  REQUIRE(join(g, a, t0).error_code == 0);
  req.member_id = first.member_id;
  CHECK(g.classic(req, t0).error_code == code(error_code::group_max_size_reached));
  CHECK(g.members().size() == 1);
}

TEST_CASE("the group core answers a join beyond group-max-size at once, writing nothing",
          "[group][limits]") {
  core_config cfg;
  cfg.group = "g";
  cfg.group_cfg = config_of_size(1);
  group_core core{cfg, loaded_group{}, {{"t", 2}}, t0};
  group_heartbeat_request first;
  first.group = "g";
  first.member_id = "a";
  first.member_epoch = join_epoch;
  first.topics = {"t"};
  core.heartbeat(reply_id{1}, first, t0);
  auto out = core.take_output();
  REQUIRE(out.write);
  core.write_done(out.write->seq);
  core.take_output();
  auto second = first;
  second.member_id = "b";
  core.heartbeat(reply_id{2}, second, t0);
  out = core.take_output();
  CHECK_FALSE(out.write);
  REQUIRE(out.replies.size() == 1);
  auto err = std::get_if<caf::error>(&out.replies[0].value);
  REQUIRE(err != nullptr);
  CHECK(errc_of(*err) == errc::group_max_size_reached);
  CHECK(core.state().members().size() == 1);
}

TEST_CASE("a node coordinating max-groups groups refuses a new one with limit_exceeded, which "
          "Kafka clients get as POLICY_VIOLATION", "[group][limits]") {
  CHECK_FALSE(check_new_group("g", 1, 2, node_id{1}));
  auto err = check_new_group("g", 2, 2, node_id{1});
  REQUIRE(err);
  CHECK(describe(err)
        == "limit_exceeded: group 'g' would pass [limits] max-groups = 2 (node 1 coordinates "
           "2 groups)");
  CHECK(kafka::to_kafka_error(err) == kafka::error_code::policy_violation);
  // Loaded groups may have taken a node past the cap: still refused, never negative room.
  CHECK(check_new_group("g", 5, 2, node_id{1}));
}
