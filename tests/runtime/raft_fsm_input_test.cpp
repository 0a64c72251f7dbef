// Unit tests of raft::fsm against messages no correct member sends: each one is dropped and
// reported in output().rejected, changes no state and asks the driver to persist nothing.
// That correct traffic is never dropped, raft_sim checks on every step (it fails on a report).

#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <vector>

#include "runtime/cluster/metadata_state.hpp"
#include "runtime/raft/fsm.hpp"
#include "tests/runtime/raft_fsm_test_util.hpp"
#include "tests/runtime/raft_sim.hpp"

using namespace cafka;
using namespace cafka::raft;
using namespace cafka::raft::test;

namespace {

const raft_term huge_term{std::numeric_limits<int64_t>::max()};

// What a dropped message must leave alone.
struct fsm_view {
  role r;
  raft_term term;
  node_id leader;
  raft_index commit;
  raft_index first;
  raft_index last;
  raft_term last_term;

  explicit fsm_view(const fsm& f)
    : r(f.current_role()), term(f.term()), leader(f.leader()), commit(f.commit_index()),
      first(f.first_index()), last(f.last_index()), last_term(f.last_term()) {}

  bool operator==(const fsm_view& o) const {
    return r == o.r && term == o.term && leader == o.leader && commit == o.commit
           && first == o.first && last == o.last && last_term == o.last_term;
  }
};

// Steps `msg` from `from` and requires it dropped: one report naming `why`, the state as it
// was, nothing to persist, apply or send (but the refusal `replies` messages, if any).
void require_dropped(fsm& f, node_id from, const message& msg, const std::string& why,
                     size_t replies = 0) {
  REQUIRE(f.get_output().rejected.empty());
  fsm_view before{f};
  auto count = f.rejected_count();
  f.step(from, msg);
  auto out = f.get_output();
  CHECK(fsm_view{f} == before);
  CHECK_FALSE(out.term_and_vote);
  CHECK_FALSE(out.truncate_from);
  CHECK_FALSE(out.snapshot_to_persist);
  CHECK(out.log_entries.empty());
  CHECK_FALSE(out.snapshot_to_apply);
  CHECK(out.committed.empty());
  CHECK(out.messages.size() == replies);
  REQUIRE(out.rejected.size() == 1);
  CHECK(out.rejected[0].from == from);
  CHECK_THAT(out.rejected[0].reason, Catch::Contains(why));
  CHECK(f.rejected_count() == count + 1);
}

append_request heartbeat(int64_t term, int64_t prev_index, int64_t prev_term,
                         int64_t commit) {
  return append_request{raft_term{term}, raft_index{prev_index}, raft_term{prev_term}, {},
                        raft_index{commit}};
}

std::string metadata_bytes() {
  metadata_state md;
  md.apply(register_broker_cmd{broker_metadata{node_id{1}, "127.0.0.1", 9101, true, 1}});
  return md.to_bytes();
}

fsm_config with_metadata_check() {
  fsm_config cfg;
  cfg.check_snapshot = [](const std::string& bytes) { return metadata_state{}.from_bytes(bytes); };
  return cfg;
}

} // namespace

TEST_CASE("raft fsm input: a vote reply whose term would overflow is dropped", "[raft]") {
  fsm f(n1, three, persisted_state{}, fsm_config{});
  for (int i = 0; i < 100 && f.current_role() != role::candidate; ++i)
    f.tick();
  REQUIRE(f.current_role() == role::candidate);  // pre-voting: it asked about term 1
  f.get_output();
  require_dropped(f, n2, vote_reply{huge_term, false, true}, "term 9223372036854775807");
  require_dropped(f, n2, vote_reply{huge_term, false, false}, "outside [0, ");
  require_dropped(f, n3, vote_reply{raft_term{-1}, true, false}, "term -1");
  // A reply to nothing this member asked moves it nowhere, even with a term that fits.
  fsm g(n1, three, persisted_state{}, fsm_config{});
  g.step(n2, vote_reply{max_term, false, false});
  CHECK(g.get_output().empty());
  CHECK(g.term() == raft_term{0});
  // The candidate still wins with real votes.
  elect(f);
  CHECK(f.term() == raft_term{1});
}

TEST_CASE("raft fsm input: an append request with a term or index out of range is dropped",
          "[raft]") {
  fsm f(n1, three, with_log(1, {1, 1}), fsm_config{});
  auto req = heartbeat(1, 2, 1, 2);
  req.term = huge_term;
  require_dropped(f, n2, req, "append_request: term 9223372036854775807");
  require_dropped(f, n2, heartbeat(2, -1, 0, 0), "prev_index -1");
  require_dropped(f, n2, heartbeat(2, 0, 0, -5), "leader_commit -5");
  require_dropped(f, n2, heartbeat(2, max_index.value + 1, 1, 0), "prev_index");
  require_dropped(f, n2, heartbeat(2, 2, 3, 0), "prev_term 3");
  CHECK(f.rejected_count() == 5);
}

TEST_CASE("raft fsm input: entries that do not continue the log in order are refused",
          "[raft]") {
  fsm f(n1, three, with_log(1, {1}), fsm_config{});
  auto with = [](std::vector<log_entry> es, int64_t prev_term = 1) {
    auto req = heartbeat(2, 1, prev_term, 0);
    req.entries = std::move(es);
    return req;
  };
  require_dropped(f, n2, with({entry(2, 3)}), "entry 2 has term 3, outside [1, 2]");
  require_dropped(f, n2, with({entry(2, 2), entry(4, 2)}), "entry 4 does not follow index 2");
  require_dropped(f, n2, with({entry(3, 2)}), "entry 3 does not follow index 1");
  require_dropped(f, n2, with({entry(2, 2), entry(3, 1)}), "entry 3 has term 1");
  require_dropped(f, n2, with({entry(2, 1)}, 2), "entry 2 has term 1, outside [2, 2]");
  auto odd = entry(2, 2);
  odd.kind = static_cast<entry_kind>(7);
  require_dropped(f, n2, with({odd}), "unknown kind 7");
  // The same request, well formed, is taken.
  f.step(n2, with({entry(2, 2), entry(3, 2)}));
  auto out = f.get_output();
  CHECK(out.rejected.empty());
  CHECK(out.log_entries.size() == 2);
  CHECK(f.term() == raft_term{2});
  CHECK(sent<append_reply>(out).at(0).second.match_index == raft_index{3});
}

TEST_CASE("raft fsm input: entries that contradict committed ones are refused", "[raft]") {
  fsm f(n1, three, with_log(1, {1, 1, 1}), fsm_config{});
  f.step(n2, heartbeat(1, 3, 1, 3));
  f.get_output();
  REQUIRE(f.commit_index() == raft_index{3});
  auto req = heartbeat(2, 1, 1, 3);
  req.entries = {entry(2, 2), entry(3, 2), entry(4, 2)};
  require_dropped(f, n2, req, "entry 3 of term 2 contradicts the committed entry of term 1");
  CHECK(f.term() == raft_term{1});
}

TEST_CASE("raft fsm input: an append reply acknowledging past the leader's log is dropped",
          "[raft]") {
  fsm f(n1, three, with_log(1, {1, 1}), fsm_config{});
  elect(f);
  f.get_output();
  REQUIRE(f.last_index() == raft_index{3});  // with the noop of term 2
  auto t = f.term();
  // Once this dereferenced an empty optional: next_index past the log end.
  require_dropped(f, n2, append_reply{t, true, raft_index{1000}, raft_index{0}},
                  "match_index 1000 is past the leader's log end 3");
  CHECK(f.progress().at(n2).match_index == raft_index{0});
  CHECK(f.progress().at(n2).next_index == raft_index{3});
  // An echoed tick the leader has not reached would grant a lease forever.
  require_dropped(f, n2, append_reply{t, true, raft_index{3}, raft_index{0}, 1'000'000},
                  "sent_at 1000000");
  CHECK_FALSE(f.has_quorum_lease());
  require_dropped(f, n2, snapshot_reply{t, true, raft_index{50}},
                  "index 50 is past the leader's snapshot 0");
  // Heartbeats and a correct acknowledgement still work.
  for (int i = 0; i < 2; ++i)
    f.tick();
  CHECK(sent<append_request>(f.get_output()).size() == 2);
  f.step(n2, append_reply{t, true, raft_index{3}, raft_index{0}});
  CHECK(f.get_output().rejected.empty());
  CHECK(f.commit_index() == raft_index{3});
}

TEST_CASE("raft fsm input: another member claiming the leader's own term is dropped",
          "[raft]") {
  fsm f(n1, three, persisted_state{}, fsm_config{});
  elect(f);
  f.get_output();
  auto t = f.term().value;
  require_dropped(f, n3, heartbeat(t, 0, 0, 0), "which this member leads");
  snapshot snp{snapshot_descriptor{raft_index{5}, raft_term{t}}, "S"};
  require_dropped(f, n3, install_snapshot{raft_term{t}, snp}, "which this member leads");
  CHECK(f.current_role() == role::leader);
}

TEST_CASE("raft fsm input: a snapshot that does not decode is refused and not persisted",
          "[raft]") {
  fsm f(n1, three, with_log(1, {1, 1}), with_metadata_check());
  snapshot garbage{snapshot_descriptor{raft_index{10}, raft_term{2}}, "not a snapshot"};
  require_dropped(f, n2, install_snapshot{raft_term{2}, garbage}, "does not decode", 1);
  CHECK(f.term() == raft_term{1});  // not even the leader's term is taken
  f.step(n2, install_snapshot{raft_term{2}, garbage});
  auto reply = sent<snapshot_reply>(f.get_output()).at(0).second;
  CHECK_FALSE(reply.success);
  CHECK(reply.index == raft_index{10});
  // A snapshot at index 0 or of term 0 covers nothing: no correct leader sends one.
  snapshot empty{snapshot_descriptor{raft_index{0}, raft_term{0}}, metadata_bytes()};
  require_dropped(f, n2, install_snapshot{raft_term{2}, empty}, "covers no entry");
  // A valid one is installed.
  snapshot good{snapshot_descriptor{raft_index{10}, raft_term{2}}, metadata_bytes()};
  f.step(n2, install_snapshot{raft_term{2}, good});
  auto out = f.get_output();
  CHECK(out.rejected.empty());
  REQUIRE(out.snapshot_to_persist);
  CHECK(out.snapshot_to_persist->desc.index == raft_index{10});
  REQUIRE(out.snapshot_to_apply);
  CHECK(f.commit_index() == raft_index{10});
  CHECK(sent<snapshot_reply>(out).at(0).second.success);
}

TEST_CASE("raft fsm input: a snapshot older than the committed log", "[raft]") {
  fsm f(n1, three, with_log(2, {1, 2, 2}), with_metadata_check());
  f.step(n2, heartbeat(2, 3, 2, 2));
  f.get_output();
  REQUIRE(f.commit_index() == raft_index{2});
  SECTION("at or below the commit index: acknowledged, nothing stored or applied") {
    // The bytes are not even read: nothing of them would be used.
    for (auto data : {metadata_bytes(), std::string{"garbage"}}) {
      f.step(n2, install_snapshot{raft_term{2}, {{raft_index{2}, raft_term{2}}, data}});
      auto out = f.get_output();
      CHECK(out.rejected.empty());
      CHECK_FALSE(out.snapshot_to_persist);
      CHECK_FALSE(out.snapshot_to_apply);
      CHECK(sent<snapshot_reply>(out).at(0).second.success);
      CHECK(f.first_index() == raft_index{1});
      CHECK(f.last_index() == raft_index{3});
    }
  }
  SECTION("past the commit index but of an older term than a committed entry: refused") {
    snapshot stale{snapshot_descriptor{raft_index{5}, raft_term{1}}, metadata_bytes()};
    require_dropped(f, n2, install_snapshot{raft_term{3}, stale},
                    "older than the committed entry 2 of term 2", 1);
  }
}

TEST_CASE("raft fsm input: a member at the highest term starts no election", "[raft]") {
  persisted_state st;
  st.term = max_term;
  fsm f(n1, three, st, fsm_config{});
  for (int i = 0; i < 100; ++i)
    f.tick();
  auto out = f.get_output();
  CHECK(f.current_role() == role::follower);
  CHECK(f.term() == max_term);
  CHECK(out.messages.empty());
  CHECK_FALSE(out.term_and_vote);
  REQUIRE_FALSE(out.rejected.empty());
  CHECK_THAT(out.rejected[0].reason, Catch::Contains("no election starts"));
  // max_term itself is still a term a message may carry.
  f.step(n2, heartbeat(max_term.value, 0, 0, 0));
  out = f.get_output();
  CHECK(out.rejected.empty());
  CHECK(f.leader() == n2);
}

TEST_CASE("raft fsm input: a message from no other member is dropped", "[raft]") {
  fsm f(n1, three, persisted_state{}, fsm_config{});
  require_dropped(f, node_id{9}, heartbeat(1, 0, 0, 0), "not another member");
  require_dropped(f, n1, vote_request{raft_term{1}, raft_index{0}, raft_term{0}, false},
                  "not another member");
}

TEST_CASE("raft fsm input: a faulty network of correct members passes every check, "
          "snapshots included", "[raft]") {
  fsm_config cfg;
  int checked = 0;
  cfg.check_snapshot = [&checked](const std::string& bytes) -> caf::error {
    ++checked;
    decode_applied(bytes);
    return {};
  };
  raft_sim sim(3, 7, cfg);
  sim.compact_every = 4;
  sim.net().duplicate_rate = 0.2;
  sim.net().max_delay = 3;
  auto ids = sim.ids();
  REQUIRE(sim.propose_somewhere("first", 500));
  auto l = *sim.stable_leader();
  auto lagging = ids[0] == l ? ids[1] : ids[0];
  sim.crash(lagging);
  for (int i = 0; i < 20; ++i)
    REQUIRE(sim.propose_somewhere("c" + std::to_string(i), 500));
  sim.restart(lagging);
  auto last = sim.propose_somewhere("last", 500);
  REQUIRE(last);
  REQUIRE(sim.run_until([&] { return sim.applied_everywhere(last->first); }, 500));
  CHECK(checked > 0);  // the restarted member caught up from a snapshot
  for (auto id : ids)
    CHECK(sim.raft(id).rejected_count() == 0);
}
