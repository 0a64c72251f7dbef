// Classic Kafka consumers (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) in a server-side
// group: they join and follow the group's assignment, eager clients (revoke everything, then
// rejoin) and cooperative ones (report what they own) both converge without a partition
// ever read twice, sessions and rebalance timeouts remove them, LeaveGroup frees their
// partitions, and they share a group with actor members.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "runtime/base/errc.hpp"
#include "runtime/group/group_state.hpp"
#include "tests/runtime/classic_client.hpp"

using namespace cafka;
using namespace cafka::group;
using namespace std::chrono_literals;
using cafka::kafka::code;
using cafka::kafka::error_code;

using namespace cafka::group::testing;

TEST_CASE("a classic member joins, is answered at once and syncs its assignment",
          "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 12}});
  auto now = clock::time_point{} + 100s;
  classic_client c;
  auto req = c.request(classic_op::join);
  req.member_id_required = true;  // JoinGroup v4+
  req.protocols = {{"range", "sub"}, {"roundrobin", "sub"}};
  auto first = g.classic(req, now);
  CHECK(first.error_code == code(error_code::member_id_required));
  REQUIRE_FALSE(first.member_id.empty());
  CHECK(g.empty());  // nothing joined yet
  req.member_id = first.member_id;
  auto joined = g.classic(req, now);
  REQUIRE(joined.error_code == 0);
  CHECK(joined.member_id == first.member_id);
  CHECK(joined.generation > member_epoch{0});
  CHECK(joined.protocol_name == "range");
  CHECK(std::string{g.assignor_name()} == "range");  // the first member's choice
  c.id = joined.member_id;
  c.generation = joined.generation;
  auto s = sync(g, c, now);
  REQUIRE(s.error_code == 0);
  CHECK(s.assignment.size() == 12);
  CHECK(s.assignment_version == 1);
  CHECK(heartbeat(g, c, now) == 0);
  CHECK(std::string{g.state_name()} == "Stable");
  auto v = g.members();
  REQUIRE(v.size() == 1);
  CHECK(v[0].protocol == "range");
  CHECK(v[0].client_id == "client");
  CHECK(v[0].metadata == "sub");
  CHECK(v[0].assigned.size() == 12);

  SECTION("before JoinGroup v4 an empty member id gets its id at once") {
    classic_client old;
    auto r = join(g, old, now);
    REQUIRE(r.error_code == 0);
    CHECK_FALSE(r.member_id.empty());
    CHECK(r.member_id != c.id);
  }
  SECTION("the assignment is at the subscription's version, capped at 3") {
    classic_client v0, v5;
    v0.version = 0;
    v5.version = 5;
    REQUIRE(join(g, v0, now).error_code == 0);
    REQUIRE(join(g, v5, now).error_code == 0);
    CHECK(sync(g, v0, now).assignment_version == 0);
    CHECK(sync(g, v5, now).assignment_version == 3);
  }
}

TEST_CASE("classic joins with another protocol type, no protocols or a bad session fail",
          "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  classic_client c;
  auto req = c.request(classic_op::join);
  req.protocol_type = "connect";
  CHECK(g.classic(req, now).error_code == code(error_code::inconsistent_group_protocol));
  req = c.request(classic_op::join);
  req.protocols.clear();
  CHECK(g.classic(req, now).error_code == code(error_code::inconsistent_group_protocol));
  req = c.request(classic_op::join);
  req.session_timeout_ms = 1000;
  CHECK(g.classic(req, now).error_code == code(error_code::invalid_session_timeout));
  CHECK(g.empty());
}

TEST_CASE("each member is answered a protocol it lists, the group's assignor if it can",
          "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  classic_client a, b, c;
  a.protocol = "cooperative-sticky";
  REQUIRE(join(g, a, now).protocol_name == "cooperative-sticky");
  auto rb = b.request(classic_op::join);
  rb.protocols = {{"range", "x"}, {"cooperative-sticky", "x"}};
  CHECK(g.classic(rb, now).protocol_name == "cooperative-sticky");
  c.protocol = "roundrobin";
  CHECK(join(g, c, now).protocol_name == "roundrobin");
  CHECK(std::string{g.assignor_name()} == "cooperative-sticky");
}

TEST_CASE("eager classic members hand partitions over by rejoining with nothing",
          "[group][classic]") {
  std::mt19937 rng{7};
  group_state g{"g", config()};
  g.set_topics({{"t", 12}});
  auto now = clock::time_point{} + 100s;
  classic_client a, b;
  step(g, a, now);
  CHECK(a.reads.size() == 12);
  // b joins: everything is a's, so b waits with nothing; a is told to rejoin.
  step(g, b, now);
  CHECK(b.reads.empty());
  CHECK(heartbeat(g, b, now) == 0);
  CHECK(heartbeat(g, a, now) == code(error_code::rebalance_in_progress));
  // a gives up everything and rejoins: it keeps its half, the rest is free at once.
  step(g, a, now);
  CHECK(a.reads.size() == 6);
  CHECK(heartbeat(g, b, now) == code(error_code::rebalance_in_progress));
  step(g, b, now);
  CHECK(b.reads.size() == 6);
  std::vector<classic_client*> cs{&a, &b};
  check_exclusive(cs);
  settle(g, cs, now, rng, 12);
  CHECK(std::string{g.state_name()} == "Stable");
}

TEST_CASE("cooperative classic members keep what stays and confirm revocations by rejoining",
          "[group][classic]") {
  std::mt19937 rng{8};
  group_state g{"g", config()};
  g.set_topics({{"t", 12}});
  auto now = clock::time_point{} + 100s;
  classic_client a, b;
  a.cooperative = b.cooperative = true;
  a.protocol = b.protocol = "cooperative-sticky";
  step(g, a, now);
  CHECK(a.reads.size() == 12);
  auto a_generation = a.generation;
  step(g, b, now);
  CHECK(b.reads.empty());
  CHECK(heartbeat(g, a, now) == code(error_code::rebalance_in_progress));
  // a rejoins owning all 12: it is told to keep 6; until it confirms, b gets none of them.
  REQUIRE(join(g, a, now).error_code == 0);
  CHECK(a.generation > a_generation);
  REQUIRE(sync(g, a, now).error_code == 0);
  CHECK(a.reads.size() == 6);
  CHECK(a.must_join);
  CHECK(count_of(g, a.id) == 12);  // not confirmed yet
  CHECK(heartbeat(g, b, now) == 0);
  CHECK(heartbeat(g, a, now) == code(error_code::rebalance_in_progress));
  // The confirming rejoin frees them, and b may take them.
  step(g, a, now);
  CHECK(a.reads.size() == 6);
  CHECK(count_of(g, a.id) == 6);
  CHECK(heartbeat(g, b, now) == code(error_code::rebalance_in_progress));
  step(g, b, now);
  CHECK(b.reads.size() == 6);
  std::vector<classic_client*> cs{&a, &b};
  settle(g, cs, now, rng, 12);
}

TEST_CASE("a classic member lives by its own session, not the group's", "[group][classic]") {
  group_state g{"g", config()};  // the group's session: 10 s
  g.set_topics({{"t", 4}});
  auto t0 = clock::time_point{} + 100s;
  classic_client a, b;
  a.session_ms = 6000;
  b.session_ms = 30000;
  step(g, a, t0);
  step(g, b, t0);
  CHECK(g.expire(t0 + 5s).empty());
  auto gone = g.expire(t0 + 6s + 1ms);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == a.id);
  CHECK(g.expire(t0 + 20s).empty());  // beyond the group's 10 s, within b's 30 s
  // a's next request: it is gone and must join as a new member.
  CHECK(heartbeat(g, a, t0 + 21s) == code(error_code::unknown_member_id));
}

TEST_CASE("a classic member that does not rejoin within its rebalance timeout is removed",
          "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto t0 = clock::time_point{} + 100s;
  classic_client a, b;
  a.rebalance_ms = 8000;
  step(g, a, t0);
  step(g, b, t0);
  // a keeps heartbeating but never rejoins.
  for (auto t = t0; t < t0 + 8s; t += 2s) {
    CHECK(heartbeat(g, a, t) == code(error_code::rebalance_in_progress));
    CHECK(g.expire(t).empty());
  }
  auto gone = g.expire(t0 + 8s + 1ms);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == a.id);
}

TEST_CASE("a classic member that joins but never syncs is removed after its rebalance timeout",
          "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto t0 = clock::time_point{} + 100s;
  classic_client a;
  a.rebalance_ms = 7000;
  a.session_ms = 30000;
  REQUIRE(join(g, a, t0).error_code == 0);
  CHECK(g.expire(t0 + 6s).empty());
  CHECK(g.expire(t0 + 7s + 1ms).size() == 1);
}

TEST_CASE("LeaveGroup frees a classic member's partitions at once", "[group][classic]") {
  std::mt19937 rng{4};
  group_state g{"g", config()};
  g.set_topics({{"t", 6}});
  auto now = clock::time_point{} + 100s;
  classic_client a, b;
  std::vector<classic_client*> cs{&a, &b};
  settle(g, cs, now, rng, 6);
  CHECK(a.reads.size() == 3);
  auto leave = g.classic(a.request(classic_op::leave), now);
  CHECK(leave.error_code == 0);
  CHECK(g.members().size() == 1);
  CHECK(heartbeat(g, b, now) == code(error_code::rebalance_in_progress));
  step(g, b, now);
  CHECK(b.reads.size() == 6);
  CHECK(g.classic(a.request(classic_op::leave), now).error_code
        == code(error_code::unknown_member_id));
}

TEST_CASE("classic requests with a wrong generation, member or instance get classic errors",
          "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  classic_client a;
  a.instance = "inst-a";
  step(g, a, now);
  auto stale = a;
  stale.generation = stale.generation - 1;
  CHECK(heartbeat(g, stale, now) == code(error_code::illegal_generation));
  CHECK(sync(g, stale, now).error_code == code(error_code::illegal_generation));
  auto stranger = a;
  stranger.id = "nobody";
  stranger.instance.clear();
  CHECK(heartbeat(g, stranger, now) == code(error_code::unknown_member_id));
  auto twin = a;
  twin.id = "other";
  CHECK(heartbeat(g, twin, now) == code(error_code::fenced_instance_id));
  CHECK(join(g, twin, now).error_code == code(error_code::fenced_instance_id));
}

TEST_CASE("a restarted static classic member takes its place and fences the old one",
          "[group][classic]") {
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  classic_client a, b;
  a.instance = "inst-a";
  step(g, a, now);
  step(g, b, now);
  auto old = a;
  classic_client again;
  again.instance = "inst-a";
  REQUIRE(join(g, again, now + 1s).error_code == 0);
  CHECK(again.id != old.id);
  CHECK(g.members().size() == 2);
  CHECK(heartbeat(g, old, now + 1s) == code(error_code::fenced_instance_id));
}

TEST_CASE("classic and actor members share a group", "[group][classic]") {
  std::mt19937 rng{12};
  group_state g{"g", config()};
  g.set_topics({{"t", 12}});
  auto now = clock::time_point{} + 100s;
  classic_client eager, coop;
  coop.cooperative = true;
  coop.protocol = "cooperative-sticky";
  // The actor member follows its heartbeat answers.
  std::string actor_id;
  member_epoch actor_epoch = join_epoch;
  std::vector<topic_partition> actor_reads;
  auto actor_beat = [&] {
    auto r = g.heartbeat({actor_id, actor_epoch, {}, {"t"}, actor_reads}, now);
    REQUIRE(r);
    actor_id = r->member_id;
    actor_epoch = r->member_epoch;
    actor_reads = r->assignment;
  };
  actor_beat();
  classic_client actor_view;  // the actor's reads, for the exclusivity check
  std::vector<classic_client*> cs{&eager, &coop, &actor_view};
  for (int round = 0; round < 300; ++round) {
    auto k = rng() % 3;
    if (k == 2)
      actor_beat();
    else
      step(g, *cs[k], now);
    actor_view.reads = actor_reads;
    check_exclusive(cs);
  }
  size_t total = eager.reads.size() + coop.reads.size() + actor_reads.size();
  CHECK(total == 12);
  CHECK(actor_reads.size() == 4);
  CHECK(eager.reads.size() == 4);
  CHECK(coop.reads.size() == 4);
  // The actor member dies (its monitor fired): the classic members take its partitions.
  g.member_died(actor_id, now);
  actor_view.reads.clear();
  std::vector<classic_client*> classic{&eager, &coop};
  settle(g, classic, now, rng, 12);
  CHECK(eager.reads.size() == 6);
  CHECK(coop.reads.size() == 6);
}

TEST_CASE("after a coordinator change classic members go on without a rebalance",
          "[group][classic]") {
  std::mt19937 rng{21};
  group_state g{"g", config()};
  g.set_topics({{"t", 6}});
  auto now = clock::time_point{} + 100s;
  classic_client a, b;
  b.cooperative = true;
  b.protocol = "cooperative-sticky";
  a.session_ms = b.session_ms = 30000;
  std::vector<classic_client*> cs{&a, &b};
  settle(g, cs, now, rng, 6);
  auto a_reads = a.reads;
  auto b_reads = b.reads;
  // A new coordinator loads the group's record: the members with their join settings.
  group_state loaded{"g", config(), g.snapshot(), {{"t", 6}}, now + 1s};
  CHECK(heartbeat(loaded, a, now + 1s) == 0);
  CHECK(heartbeat(loaded, b, now + 1s) == 0);
  auto v = loaded.members();
  REQUIRE(v.size() == 2);
  std::set<std::string> protocols{v[0].protocol, v[1].protocol};
  CHECK(protocols == std::set<std::string>{"range", "cooperative-sticky"});
  CHECK(v[0].client_id == "client");
  // Each lives by its own session (30 s), not the group's (10 s).
  CHECK(loaded.expire(now + 11s + 1ms).empty());
  CHECK(loaded.expire(now + 31s + 1ms).size() == 2);

  SECTION("a SyncGroup after the change answers the same assignment") {
    group_state again{"g", config(), g.snapshot(), {{"t", 6}}, now + 1s};
    CHECK(sync(again, a, now + 1s).error_code == 0);
    CHECK(sync(again, b, now + 1s).error_code == 0);
    CHECK(a.reads == a_reads);
    CHECK(b.reads == b_reads);
    CHECK(heartbeat(again, a, now + 2s) == 0);
  }
  SECTION("a member told to rejoin keeps its own rebalance timeout") {
    group_state again{"g", config(), g.snapshot(), {{"t", 6}}, now + 1s};
    classic_client c;
    c.session_ms = 30000;
    REQUIRE(join(again, c, now + 1s).error_code == 0);
    REQUIRE(sync(again, c, now + 1s).error_code == 0);
    // a must give up partitions for c: told to rejoin, it has 60 s (its rebalance
    // timeout), while it heartbeats, not the group's 10 s session.
    REQUIRE(heartbeat(again, a, now + 2s) == code(error_code::rebalance_in_progress));
    for (auto t = now + 2s; t < now + 50s; t += 5s) {
      heartbeat(again, a, t);
      heartbeat(again, b, t);
      heartbeat(again, c, t);
      CHECK(again.expire(t).empty());
    }
  }
}
