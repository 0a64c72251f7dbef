// Classic-member rules a review found broken: which requests renew a session, when a
// rebalance deadline ends, and which member ids a classic request may name.
#include <catch2/catch.hpp>

#include "runtime/group/group_state.hpp"
#include "tests/runtime/classic_client.hpp"

using namespace cafka;
using namespace cafka::group;
using namespace cafka::group::testing;

TEST_CASE("a heartbeat with a stale generation does not keep a classic member alive",
          "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  classic_client a;  // session 10 s
  step(g, a, now);
  auto stale = a;
  stale.generation = stale.generation - 1;
  for (auto t = now + 5s; t <= now + 20s; t += 5s)
    CHECK(heartbeat(g, stale, t) == code(error_code::illegal_generation));
  // Only its last good request (at `now`) counts.
  CHECK(g.expire(now + 10s + 1ms) == std::vector<std::string>{a.id});
}

TEST_CASE("a rebalance deadline ends when the reason for it goes away", "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  classic_client a, b;
  a.rebalance_ms = b.rebalance_ms = 20000;
  step(g, a, now);
  REQUIRE(a.reads.size() == 4);
  step(g, b, now);  // b joins: a must give up two partitions
  REQUIRE(heartbeat(g, a, now + 1s) == code(error_code::rebalance_in_progress));
  // Before a rejoins (its client is busy in a rebalance callback), b leaves.
  REQUIRE(g.classic(b.request(classic_op::leave), now + 2s).error_code == 0);
  // a keeps everything, heartbeats fine, and is not removed at its old deadline (now + 21 s).
  for (auto t = now + 3s; t <= now + 40s; t += 3s) {
    CHECK(heartbeat(g, a, t) == 0);
    CHECK(g.expire(t).empty());
  }
  CHECK(count_of(g, a.id) == 4);
}

TEST_CASE("a joined member that has not synced keeps its rebalance deadline",
          "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  classic_client a;
  a.rebalance_ms = 20000;
  REQUIRE(join(g, a, now).error_code == 0);
  for (auto t = now + 3s; t < now + 20s; t += 3s)
    CHECK(heartbeat(g, a, t) == 0);
  CHECK(g.expire(now + 20s + 1ms) == std::vector<std::string>{a.id});
}

TEST_CASE("a classic request may name only a member id the group gave a classic member",
          "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  // A made-up member id is not a new member.
  classic_client forged;
  forged.id = "chosen-by-client";
  CHECK(join(g, forged, now).error_code == code(error_code::unknown_member_id));
  CHECK(g.empty());
  // An actor member's id names no classic member, whatever the request.
  auto actor = g.heartbeat({"", join_epoch, {}, {"t"}, {}}, now);
  REQUIRE(actor);
  classic_client thief;
  thief.id = actor->member_id;
  thief.generation = actor->member_epoch;
  CHECK(join(g, thief, now).error_code == code(error_code::unknown_member_id));
  CHECK(sync(g, thief, now).error_code == code(error_code::unknown_member_id));
  CHECK(heartbeat(g, thief, now) == code(error_code::unknown_member_id));
  CHECK(g.classic(thief.request(classic_op::leave), now).error_code
        == code(error_code::unknown_member_id));
  REQUIRE(g.members().size() == 1);
  CHECK(g.members()[0].protocol.empty());  // still an actor member
  // The id MEMBER_ID_REQUIRED hands out is accepted once, while it is pending.
  classic_client fresh;
  auto req = fresh.request(classic_op::join);
  req.member_id_required = true;
  auto first = g.classic(req, now);
  REQUIRE(first.error_code == code(error_code::member_id_required));
  req.member_id = first.member_id;
  CHECK(g.classic(req, now + 1s).error_code == 0);
  // A pending id expires with its session.
  classic_client late;
  auto req2 = late.request(classic_op::join);
  req2.member_id_required = true;
  auto given = g.classic(req2, now);
  REQUIRE(given.error_code == code(error_code::member_id_required));
  g.expire(now + 10s + 1ms);
  req2.member_id = given.member_id;
  CHECK(g.classic(req2, now + 11s).error_code == code(error_code::unknown_member_id));
}

TEST_CASE("JoinGroup checks that need no group", "[group][classic]") {
  classic_client c;
  auto req = c.request(classic_op::join);
  CHECK(check_classic_join(req) == 0);
  auto other = req;
  other.protocol_type = "connect";
  CHECK(check_classic_join(other) == code(error_code::inconsistent_group_protocol));
  auto none = req;
  none.protocols.clear();
  CHECK(check_classic_join(none) == code(error_code::inconsistent_group_protocol));
  auto short_session = req;
  short_session.session_timeout_ms = 5999;
  CHECK(check_classic_join(short_session) == code(error_code::invalid_session_timeout));
  auto long_session = req;
  long_session.session_timeout_ms = 1800001;
  CHECK(check_classic_join(long_session) == code(error_code::invalid_session_timeout));
}

TEST_CASE("a refused or pending join leaves the stored group as it was", "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  classic_client a;
  step(g, a, now);
  auto stored = encode(g.snapshot());
  // JoinGroup v4 from a new member: an id to come back with, nothing stored changes.
  classic_client b;
  auto req = b.request(classic_op::join);
  req.member_id_required = true;
  topic_sizes more{{"t", 4}, {"u", 8}};
  auto first = g.classic(req, now, &more);
  REQUIRE(first.error_code == code(error_code::member_id_required));
  CHECK(first.member_id.find("-p") != std::string::npos);
  CHECK(encode(g.snapshot()) == stored);
  // A join refused for its member id takes none of its topics.
  classic_client forged;
  forged.id = "made-up";
  auto r = g.classic(forged.request(classic_op::join), now, &more);
  CHECK(r.error_code == code(error_code::unknown_member_id));
  CHECK(g.subscribed_topics() == std::set<std::string>{"t"});
  CHECK(encode(g.snapshot()) == stored);
}

TEST_CASE("a copy of a group goes its own way and keeps sessions", "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  classic_client a;
  step(g, a, now);
  group_state copy{g};
  classic_client b;
  step(copy, b, now + 1s);
  CHECK(copy.members().size() == 2);
  CHECK(g.members().size() == 1);
  CHECK(std::string{copy.assignor_name()} == g.assignor_name());
  // The original's session for a is still the one from `now`.
  CHECK(g.expire(now + 10s + 1ms) == std::vector<std::string>{a.id});
  g = copy;  // back to the copy: both members, b's session from now + 1 s
  CHECK(g.expire(now + 10s + 1ms) == std::vector<std::string>{a.id});
  CHECK(g.members().size() == 1);
}
