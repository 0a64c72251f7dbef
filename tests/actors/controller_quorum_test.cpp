// The controller quorum's Raft on real actors: 3 and 5 members elect one controller, a
// leader's death, a minority partition (through the fault table every quorum message
// passes) and healing, and a full restart from disk keep every committed topic.
#include <catch2/catch.hpp>

#include "runtime/chaos/fault_table.hpp"
#include "tests/actors/quorum_fixture.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

TEST_CASE_METHOD(quorum_fixture, "a quorum of 3 elects one controller and commits topics",
                 "[actors][quorum]") {
  start(3);
  auto leader = wait_leader(live());
  REQUIRE(leader != no_node);
  REQUIRE(register_broker(fake_broker(sys), node_id{9}, 1));
  REQUIRE(create(leader, "a"));
  // A follower forwards controller requests to the leader.
  auto follower = leader == node_id{1} ? node_id{2} : node_id{1};
  REQUIRE(create(follower, "b"));
  auto dup = create(follower, "b");
  REQUIRE_FALSE(dup);
  CHECK(errc_of(dup.error()) == errc::topic_already_exists);
  for (auto id : live())
    CHECK(eventually([&] {
      auto s = status(id);
      return s && s->applied_index >= status(leader)->commit_index;
    }));
}

TEST_CASE_METHOD(quorum_fixture, "killing the leader elects a new one and keeps committed topics",
                 "[actors][quorum]") {
  start(3);
  auto first = wait_leader(live());
  REQUIRE(first != no_node);
  REQUIRE(register_broker(fake_broker(sys), node_id{9}, 1));
  REQUIRE(create(first, "kept"));
  kill(first);
  auto second = wait_leader(live());
  REQUIRE(second != no_node);
  CHECK(second != first);
  CHECK(eventually([&] { return has_topics(second, {"kept"}); }));

  REQUIRE(create_eventually("after"));
  CHECK(has_topics(second, {"kept", "after"}));
}

TEST_CASE_METHOD(quorum_fixture,
                 "a minority partition cannot commit, the majority can, healing converges",
                 "[actors][quorum]") {
  start(5);
  auto leader = wait_leader(live());
  REQUIRE(leader != no_node);
  REQUIRE(register_broker(fake_broker(sys), node_id{9}, 1));
  REQUIRE(create(leader, "before"));
  // Cut the leader and one follower off from the other three.
  auto other = leader == node_id{1} ? node_id{2} : node_id{1};
  std::set<node_id> minority{leader, other};
  std::set<node_id> majority;
  for (auto id : ids)
    if (minority.count(id) == 0)
      majority.insert(id);
  faults->partition(minority, majority);
  std::vector<node_id> maj{majority.begin(), majority.end()};
  auto new_leader = wait_leader(maj);
  REQUIRE(new_leader != no_node);
  CHECK(majority.count(new_leader) == 1);
  REQUIRE(eventually([&] {
    auto t = create(new_leader, "majority");
    return t || errc_of(t.error()) == errc::topic_already_exists;
  }, 15s));
  // The old leader cannot commit: check-quorum deposes it (a request it still took is failed
  // then), so its request fails with not_controller, well before the request times out.
  auto lost = ask<topic_metadata>(sys, members[leader], create_topic_atom::value,
                                  create_topic_request{"minority", 1, 1});
  REQUIRE_FALSE(lost);
  CHECK(errc_of(lost.error()) == errc::not_controller);
  faults->heal();
  for (auto id : ids)
    CHECK(eventually([&] { return has_topics(id, {"before", "majority"}); }, 15s));
  for (auto id : ids) {
    auto md = ask<cluster_metadata>(sys, members[id], metadata_atom::value);
    REQUIRE(md);
    CHECK(md->find_topic("minority") == nullptr);
  }
}

TEST_CASE_METHOD(quorum_fixture, "a full restart from disk keeps every topic",
                 "[actors][quorum]") {
  start(3);
  REQUIRE(register_broker(fake_broker(sys), node_id{9}, 1));
  REQUIRE(create_eventually("one"));
  REQUIRE(create_eventually("two"));
  for (auto id : ids)
    kill(id);
  for (auto id : ids)
    start_member(id);
  REQUIRE(wait_leader(live()) != no_node);
  for (auto id : ids)
    CHECK(eventually([&] { return has_topics(id, {"one", "two"}); }, 15s));
}
