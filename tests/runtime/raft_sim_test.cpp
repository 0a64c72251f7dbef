// Scenario tests of raft::fsm on the simulated quorum (raft_sim.hpp): elections, leader
// loss, partitions, pre-vote, check-quorum, snapshots and restarts. The simulation checks
// election safety, log matching, leader completeness and state-machine safety at every step.

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "tests/runtime/raft_sim.hpp"

using namespace cafka;
using namespace cafka::raft;
using namespace cafka::raft::test;

namespace {

constexpr int election_ticks = 10;  // fsm_config's default election timeout

node_id elect(raft_sim& sim) {
  REQUIRE(sim.run_until([&] { return sim.stable_leader().has_value(); }, 20 * election_ticks));
  return *sim.stable_leader();
}

// Proposes the commands on `leader` and waits until every up member applied them.
raft_index propose_all(raft_sim& sim, node_id leader, const std::vector<std::string>& cmds) {
  raft_index last{0};
  for (auto& c : cmds) {
    auto idx = sim.propose(leader, c);
    REQUIRE(idx);
    last = *idx;
  }
  return last;
}

std::vector<std::string> commands(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(prefix + std::to_string(i));
  return out;
}

std::vector<std::string> applied_commands(raft_sim& sim, node_id id) {
  std::vector<std::string> out;
  for (auto& kv : sim.member(id).applied)
    out.push_back(kv.second);
  return out;
}

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

// The up member that leads with the highest term within `group`, if any.
std::optional<node_id> leader_in(raft_sim& sim, const std::set<node_id>& group) {
  std::optional<node_id> best;
  for (auto id : sim.leaders())
    if (group.count(id) > 0 && (!best || sim.raft(id).term() > sim.raft(*best).term()))
      best = id;
  return best;
}

} // namespace

TEST_CASE("raft: one leader is elected and proposals commit on all members", "[raft]") {
  auto n = GENERATE(1, 3, 5);
  INFO("members: " << n);
  raft_sim sim(static_cast<size_t>(n), 42);
  auto l = elect(sim);
  sim.run(5 * election_ticks);
  REQUIRE(sim.leaders() == std::vector<node_id>{l});  // stays the only leader
  auto term = sim.raft(l).term();
  auto cmds = commands("cmd", 10);
  auto last = propose_all(sim, l, cmds);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(last); }, 3));
  for (auto id : sim.ids()) {
    CHECK(applied_commands(sim, id) == cmds);
    CHECK(sim.raft(id).term() == term);
    CHECK(sim.raft(id).leader() == l);
  }
  sim.check_converged();
}

TEST_CASE("raft: a follower redirects proposals", "[raft]") {
  raft_sim sim(3, 5);
  auto l = elect(sim);
  sim.run(5);
  for (auto id : sim.ids()) {
    if (id == l)
      continue;
    auto res = sim.propose(id, "x");
    REQUIRE_FALSE(res);
    CHECK(errc_of(res.error()) == errc::not_controller);
    CHECK(sim.raft(id).leader() == l);
  }
}

TEST_CASE("raft: a crashed leader is replaced and no committed entry is lost", "[raft]") {
  auto n = GENERATE(3, 5);
  INFO("members: " << n);
  raft_sim sim(static_cast<size_t>(n), 7);
  auto old = elect(sim);
  auto old_term = sim.raft(old).term();
  auto before = commands("a", 5);
  auto last = propose_all(sim, old, before);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(last); }, 5));
  sim.crash(old);
  REQUIRE(sim.run_until([&] { return sim.stable_leader().has_value(); }, 20 * election_ticks));
  auto l = *sim.stable_leader();
  CHECK(l != old);
  CHECK(sim.raft(l).term() > old_term);
  auto after = commands("b", 5);
  auto last2 = propose_all(sim, l, after);
  auto all = before;
  all.insert(all.end(), after.begin(), after.end());
  REQUIRE(sim.run_until([&] {
    for (auto id : sim.ids())
      if (id != old && !sim.applied_on(id, last2))
        return false;
    return true;
  }, 5));
  for (auto id : sim.ids())
    if (id != old)
      CHECK(applied_commands(sim, id) == all);
  // The old leader comes back from its persisted state and catches up.
  sim.restart(old);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(last2); }, 10 * election_ticks));
  CHECK(applied_commands(sim, old) == all);
  sim.check_converged();
}

TEST_CASE("raft: a leader restarted at once from disk keeps every committed entry", "[raft]") {
  raft_sim sim(3, 11);
  auto l = elect(sim);
  auto cmds = commands("c", 8);
  auto last = propose_all(sim, l, cmds);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(last); }, 5));
  sim.crash(l);
  sim.restart(l);
  CHECK(sim.raft(l).current_role() == role::follower);
  CHECK(sim.raft(l).commit_index() == raft_index{0});  // volatile: learnt again
  auto l2 = elect(sim);
  auto more = sim.propose(l2, "after-restart");
  REQUIRE(more);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(*more); }, 10 * election_ticks));
  cmds.push_back("after-restart");
  for (auto id : sim.ids())
    CHECK(applied_commands(sim, id) == cmds);  // re-applied exactly once after the restart
  sim.check_converged();
}

TEST_CASE("raft: a minority partition cannot commit, the majority can, healing converges",
          "[raft]") {
  raft_sim sim(5, 3);
  auto old = elect(sim);
  auto first = sim.propose(old, "before");
  REQUIRE(first);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(*first); }, 5));
  // Minority: the leader and one follower; majority: the other three.
  std::set<node_id> minority{old};
  std::set<node_id> majority;
  for (auto id : sim.ids()) {
    if (id == old)
      continue;
    if (minority.size() < 2)
      minority.insert(id);
    else
      majority.insert(id);
  }
  sim.net().partition(minority, majority, true);
  auto lost = sim.propose(old, "lost");
  REQUIRE(lost);
  sim.run(5 * election_ticks);
  for (auto id : sim.ids())
    CHECK_FALSE(contains(applied_commands(sim, id), "lost"));
  CHECK(sim.raft(old).commit_index() < *lost);
  CHECK(sim.raft(old).current_role() != role::leader);  // check-quorum stepped it down
  auto l = leader_in(sim, majority);
  REQUIRE(l);
  CHECK(!leader_in(sim, minority));
  auto b = sim.propose(*l, "majority");
  REQUIRE(b);
  REQUIRE(sim.run_until([&] {
    for (auto id : majority)
      if (!sim.applied_on(id, *b))
        return false;
    return true;
  }, 5));
  for (auto id : minority)
    CHECK_FALSE(contains(applied_commands(sim, id), "majority"));
  sim.net().heal();
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(*b); }, 10 * election_ticks));
  for (auto id : sim.ids()) {
    auto xs = applied_commands(sim, id);
    CHECK(xs == std::vector<std::string>{"before", "majority"});
  }
  sim.check_converged();
}

TEST_CASE("raft: with pre-vote a returning partitioned follower does not disrupt the leader",
          "[raft]") {
  raft_sim sim(3, 21);
  auto l = elect(sim);
  sim.run(5);
  auto term = sim.raft(l).term();
  node_id f = sim.ids().front() == l ? sim.ids().back() : sim.ids().front();
  sim.net().isolate(f, sim.ids());
  sim.run(30 * election_ticks);  // many election timeouts
  CHECK(sim.raft(f).term() == term);  // pre-votes failed: the term never moved
  CHECK(sim.raft(l).current_role() == role::leader);
  sim.net().heal();
  sim.run(10 * election_ticks);
  CHECK(sim.raft(l).current_role() == role::leader);
  CHECK(sim.raft(l).term() == term);
  CHECK(sim.raft(f).leader() == l);
  auto idx = sim.propose(l, "after");
  REQUIRE(idx);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(*idx); }, 5));
  sim.check_converged();
}

TEST_CASE("raft: a follower cut off from the leader alone cannot depose it", "[raft]") {
  // The other follower still hears the leader, so it refuses pre-votes (check-quorum lease).
  raft_sim sim(3, 31);
  auto l = elect(sim);
  sim.run(5);
  auto term = sim.raft(l).term();
  std::vector<node_id> fs;
  for (auto id : sim.ids())
    if (id != l)
      fs.push_back(id);
  sim.net().partition({fs[0]}, {l}, true);
  for (int i = 0; i < 30 * election_ticks; ++i) {
    sim.tick();
    REQUIRE(sim.raft(l).current_role() == role::leader);
    REQUIRE(sim.raft(l).term() == term);
  }
  CHECK(sim.raft(fs[0]).term() == term);
  auto idx = sim.propose(l, "still-leading");
  REQUIRE(idx);
  REQUIRE(sim.run_until([&] { return sim.applied_on(fs[1], *idx); }, 5));
  sim.net().heal();
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(*idx); }, 5 * election_ticks));
  sim.check_converged();
}

TEST_CASE("raft: without pre-vote a returning partitioned follower deposes the leader",
          "[raft]") {
  // The contrast to the test above: shows what pre-vote prevents.
  fsm_config cfg;
  cfg.pre_vote = false;
  raft_sim sim(3, 21, cfg);
  auto l = elect(sim);
  sim.run(5);
  auto term = sim.raft(l).term();
  node_id f = sim.ids().front() == l ? sim.ids().back() : sim.ids().front();
  sim.net().isolate(f, sim.ids());
  sim.run(30 * election_ticks);
  CHECK(sim.raft(f).term() > term);
  sim.net().heal();
  sim.run(10 * election_ticks);
  CHECK(sim.max_term_seen() > term);
  auto l2 = elect(sim);
  CHECK(sim.raft(l2).term() > term);
}

TEST_CASE("raft: check-quorum makes a leader cut off from the majority step down", "[raft]") {
  auto both_ways = GENERATE(true, false);
  INFO("both ways: " << both_ways);
  raft_sim sim(3, 9);
  auto l = elect(sim);
  sim.run(election_ticks);
  CHECK(sim.raft(l).has_quorum_lease());
  auto term = sim.raft(l).term();
  std::set<node_id> others;
  for (auto id : sim.ids())
    if (id != l)
      others.insert(id);
  // One way: the leader still reaches the others but hears nothing back.
  sim.net().partition(others, {l}, both_ways);
  bool lease_lost = false;
  for (int i = 0; i < 3 * election_ticks; ++i) {
    sim.tick();
    lease_lost = lease_lost || !sim.raft(l).has_quorum_lease();
    // Lease safety: by the time anyone else leads, the old leader's lease has expired.
    for (auto id : sim.leaders())
      if (id != l)
        REQUIRE(lease_lost);
  }
  CHECK(lease_lost);
  CHECK(sim.raft(l).current_role() != role::leader);
  CHECK(sim.raft(l).term() == term);  // stepping down does not bump the term
  if (both_ways) {
    auto nl = leader_in(sim, others);
    REQUIRE(nl);
    CHECK(sim.raft(*nl).term() > term);
  }
  sim.net().heal();
  auto l2 = elect(sim);
  auto idx = sim.propose(l2, "healed");
  REQUIRE(idx);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(*idx); }, 5));
  sim.check_converged();
}

TEST_CASE("raft: without check-quorum an isolated leader keeps its role", "[raft]") {
  fsm_config cfg;
  cfg.check_quorum = false;
  raft_sim sim(3, 9, cfg);
  auto l = elect(sim);
  sim.net().isolate(l, sim.ids());
  sim.run(10 * election_ticks);
  CHECK(sim.raft(l).current_role() == role::leader);
  CHECK_FALSE(sim.raft(l).has_quorum_lease());
}

TEST_CASE("raft: a lagging follower catches up from the leader's snapshot", "[raft]") {
  raft_sim sim(3, 13);
  sim.compact_every = 10;
  auto l = elect(sim);
  auto first = commands("x", 5);
  auto last = propose_all(sim, l, first);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(last); }, 5));
  node_id f = sim.ids().front() == l ? sim.ids().back() : sim.ids().front();
  sim.crash(f);
  auto rest = commands("y", 60);
  last = propose_all(sim, l, rest);
  sim.run(3);
  REQUIRE(sim.raft(l).commit_index() >= last);
  // The leader compacted past what the crashed follower has.
  REQUIRE(sim.raft(l).first_index() > sim.member(f).disk->last_index() + 1);
  sim.restart(f);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(last); }, 10 * election_ticks));
  CHECK(sim.member(f).received[4] >= 1);  // install_snapshot (variant index 4)
  auto all = first;
  all.insert(all.end(), rest.begin(), rest.end());
  CHECK(applied_commands(sim, f) == all);
  CHECK(sim.member(f).disk->snapshot_index() > raft_index{0});
  sim.check_converged();
}

TEST_CASE("raft: a full restart from snapshots and logs re-applies entries once", "[raft]") {
  raft_sim sim(5, 17);
  sim.compact_every = 7;
  auto l = elect(sim);
  auto cmds = commands("z", 30);
  auto last = propose_all(sim, l, cmds);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(last); }, 5));
  for (auto id : sim.ids())
    sim.crash(id);
  for (auto id : sim.ids()) {
    sim.restart(id);
    CHECK(sim.member(id).applied_index == sim.member(id).disk->snapshot_index());
  }
  auto l2 = elect(sim);
  auto more = sim.propose(l2, "more");
  REQUIRE(more);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(*more); }, 5));
  cmds.push_back("more");
  for (auto id : sim.ids())
    CHECK(applied_commands(sim, id) == cmds);
  sim.check_converged();
}

TEST_CASE("raft: replication survives heavy loss, duplication and reordering", "[raft]") {
  raft_sim sim(5, 23);
  sim.net().drop_rate = 0.3;
  sim.net().duplicate_rate = 0.2;
  sim.net().max_delay = 4;
  auto cmds = commands("m", 40);
  for (auto& c : cmds) {
    auto p = sim.propose_somewhere(c, 50 * election_ticks);
    REQUIRE(p);
  }
  sim.net().drop_rate = 0;
  sim.net().duplicate_rate = 0;
  sim.run(20 * election_ticks);
  sim.check_converged();
  // Each command is there at most once, in proposal order (some may have been lost with a
  // deposed leader).
  auto xs = applied_commands(sim, sim.ids().front());
  CHECK(xs.size() >= 1);
  int prev = -1;
  for (auto& x : xs) {
    int n = std::stoi(x.substr(1));
    CHECK(n > prev);
    prev = n;
  }
}
