// A controller quorum member offered a snapshot that does not decode (a broken or forged
// leader's install_snapshot): it refuses it before writing anything, so it keeps serving and
// still starts from its disk afterwards.
#include <catch2/catch.hpp>

#include "tests/actors/quorum_fixture.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

TEST_CASE_METHOD(quorum_fixture,
                 "a member refuses a snapshot that does not decode and restarts from disk",
                 "[actors][quorum]") {
  start(3);
  auto leader = wait_leader(live());
  REQUIRE(leader != no_node);
  REQUIRE(register_broker(fake_broker(sys), node_id{9}, 1));
  REQUIRE(create_eventually("kept"));
  auto follower = leader == node_id{1} ? node_id{2} : node_id{1};
  auto s = status(leader);
  REQUIRE(s);
  raft::snapshot garbage{raft::snapshot_descriptor{s->commit_index + 100, s->term},
                         "not a metadata snapshot"};
  caf::anon_send(members[follower], raft_atom::value, leader,
                 raft::install_snapshot{s->term, garbage});
  // Asked after the snapshot was enqueued, so answered after it was handled.
  auto f = status(follower);
  REQUIRE(f);
  CHECK(f->commit_index < garbage.desc.index);
  // Once a stored garbage snapshot stopped the member at every start.
  kill(follower);
  start_member(follower);
  CHECK(eventually([&] { return has_topics(follower, {"kept"}); }, 15s));
  REQUIRE(create_eventually("after"));
  // The restarted member applies what the quorum commits (its own state, not a delegation).
  auto l = wait_leader(live());
  REQUIRE(l != no_node);
  auto commit = status(l)->commit_index;
  CHECK(eventually([&] {
    auto x = status(follower);
    return x && x->applied_index >= commit;
  }, 15s));
}
