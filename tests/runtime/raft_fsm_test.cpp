// Unit tests of raft::fsm, one member driven by hand: what each message does to the state
// and what the output asks the driver to persist, send and apply.

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/raft/fsm.hpp"
#include "tests/runtime/raft_fsm_test_util.hpp"

using namespace cafka;
using namespace cafka::raft;
using namespace cafka::raft::test;

TEST_CASE("raft fsm: a single member elects itself and commits at once", "[raft]") {
  fsm f(n1, {n1}, persisted_state{}, fsm_config{});
  int ticks = 0;
  while (f.current_role() != role::leader && ticks < 100) {
    f.tick();
    ++ticks;
  }
  REQUIRE(f.current_role() == role::leader);
  CHECK(ticks >= 10);
  CHECK(ticks < 20);  // randomized in [T, 2T)
  auto out = f.get_output();
  REQUIRE(out.term_and_vote);
  CHECK(out.term_and_vote->first == raft_term{1});
  CHECK(out.term_and_vote->second == n1);
  REQUIRE(out.log_entries.size() == 1);
  CHECK(out.log_entries[0].kind == entry_kind::noop);
  REQUIRE(out.committed.size() == 1);
  CHECK(out.messages.empty());
  CHECK(out.role_changed);
  CHECK(f.has_quorum_lease());
  auto idx = f.propose("a");
  REQUIRE(idx);
  CHECK(*idx == raft_index{2});
  out = f.get_output();
  REQUIRE(out.log_entries.size() == 1);
  REQUIRE(out.committed.size() == 1);
  CHECK(out.committed[0].data == "a");
  CHECK_FALSE(out.role_changed);
  CHECK(f.get_output().empty());
}

TEST_CASE("raft fsm: a vote is persisted with its reply and given once per term", "[raft]") {
  fsm f(n1, three, persisted_state{}, fsm_config{});
  f.step(n2, vote_request{raft_term{1}, raft_index{0}, raft_term{0}, false});
  auto out = f.get_output();
  REQUIRE(out.term_and_vote);
  CHECK(out.term_and_vote->first == raft_term{1});
  CHECK(out.term_and_vote->second == n2);
  auto replies = sent<vote_reply>(out);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].first == n2);
  CHECK(replies[0].second.granted);
  f.step(n3, vote_request{raft_term{1}, raft_index{0}, raft_term{0}, false});
  out = f.get_output();
  CHECK_FALSE(out.term_and_vote);
  replies = sent<vote_reply>(out);
  REQUIRE(replies.size() == 1);
  CHECK_FALSE(replies[0].second.granted);
  f.step(n2, vote_request{raft_term{1}, raft_index{0}, raft_term{0}, false});  // duplicate
  out = f.get_output();
  CHECK_FALSE(out.term_and_vote);
  CHECK(sent<vote_reply>(out).at(0).second.granted);
}

TEST_CASE("raft fsm: no vote for a candidate with a stale log, but its term is adopted",
          "[raft]") {
  fsm f(n1, three, with_log(1, {1, 1}), fsm_config{});
  f.step(n2, vote_request{raft_term{2}, raft_index{1}, raft_term{1}, false});
  auto out = f.get_output();
  REQUIRE(out.term_and_vote);
  CHECK(out.term_and_vote->first == raft_term{2});
  CHECK(out.term_and_vote->second == no_node);
  CHECK_FALSE(sent<vote_reply>(out).at(0).second.granted);
  // A higher last term wins over a longer log.
  f.step(n3, vote_request{raft_term{2}, raft_index{1}, raft_term{2}, false});
  CHECK(sent<vote_reply>(f.get_output()).at(0).second.granted);
}

TEST_CASE("raft fsm: a pre-vote never changes the voter's term or vote", "[raft]") {
  fsm f(n1, three, persisted_state{}, fsm_config{});
  f.step(n2, vote_request{raft_term{5}, raft_index{0}, raft_term{0}, true});
  auto out = f.get_output();
  CHECK_FALSE(out.term_and_vote);
  CHECK(f.term() == raft_term{0});
  auto replies = sent<vote_reply>(out);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].second.granted);
  CHECK(replies[0].second.pre_vote);
  CHECK(replies[0].second.term == raft_term{5});
  // A candidate that did not pre-vote first still gets a real vote afterwards.
  f.step(n3, vote_request{raft_term{5}, raft_index{0}, raft_term{0}, false});
  CHECK(sent<vote_reply>(f.get_output()).at(0).second.granted);
}

TEST_CASE("raft fsm: a follower that hears its leader ignores (pre-)vote requests",
          "[raft]") {
  fsm_config cfg;
  fsm f(n1, three, persisted_state{}, cfg);
  f.step(n2, append_request{raft_term{1}, raft_index{0}, raft_term{0}, {}, raft_index{0}});
  CHECK(f.leader() == n2);
  f.get_output();
  for (int i = 0; i < cfg.election_timeout_ticks - 1; ++i)
    f.tick();
  f.step(n3, vote_request{raft_term{2}, raft_index{0}, raft_term{0}, true});
  f.step(n3, vote_request{raft_term{2}, raft_index{0}, raft_term{0}, false});
  auto out = f.get_output();
  CHECK(out.messages.empty());
  CHECK(f.term() == raft_term{1});
  f.tick();  // the leader has now been silent for an election timeout
  f.get_output();
  f.step(n3, vote_request{raft_term{2}, raft_index{0}, raft_term{0}, true});
  auto replies = sent<vote_reply>(f.get_output());
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].second.granted);
}

TEST_CASE("raft fsm: a follower truncates a conflicting suffix and commits what matched",
          "[raft]") {
  auto st = with_log(1, {1, 1, 1});
  fsm f(n1, three, st, fsm_config{});
  append_request req{raft_term{2}, raft_index{1}, raft_term{1}, {entry(2, 2, "B")},
                     raft_index{3}};
  f.step(n2, req);
  auto out = f.get_output();
  REQUIRE(out.term_and_vote);
  CHECK(out.term_and_vote->first == raft_term{2});
  REQUIRE(out.truncate_from);
  CHECK(*out.truncate_from == raft_index{2});
  REQUIRE(out.log_entries.size() == 1);
  CHECK(out.log_entries[0].data == "B");
  // leader_commit 3, but only index 2 is known to match the leader: commit 2.
  CHECK(f.commit_index() == raft_index{2});
  REQUIRE(out.committed.size() == 2);
  CHECK(out.committed[1].data == "B");
  auto replies = sent<append_reply>(out);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].second.success);
  CHECK(replies[0].second.match_index == raft_index{2});
  CHECK(f.last_index() == raft_index{2});
  // A duplicate of the same request changes nothing.
  f.step(n2, req);
  out = f.get_output();
  CHECK_FALSE(out.truncate_from);
  CHECK(out.log_entries.empty());
  CHECK(out.committed.empty());
}

TEST_CASE("raft fsm: a rejected append carries a hint for fast backup", "[raft]") {
  fsm f(n1, three, with_log(2, {1, 1, 2}), fsm_config{});
  f.step(n2, append_request{raft_term{3}, raft_index{5}, raft_term{3}, {}, raft_index{0}});
  auto r = sent<append_reply>(f.get_output()).at(0).second;
  CHECK_FALSE(r.success);
  CHECK(r.match_index == raft_index{5});  // the prev_index that did not match
  CHECK(r.hint == raft_index{4});          // our end
  f.step(n2, append_request{raft_term{3}, raft_index{3}, raft_term{3}, {}, raft_index{0}});
  r = sent<append_reply>(f.get_output()).at(0).second;
  CHECK_FALSE(r.success);
  CHECK(r.hint == raft_index{3});  // the first entry of the conflicting term 2
}

TEST_CASE("raft fsm: a stale leader learns the newer term", "[raft]") {
  persisted_state st;
  st.term = raft_term{3};
  fsm f(n1, three, st, fsm_config{});
  f.step(n2, append_request{raft_term{2}, raft_index{0}, raft_term{0}, {}, raft_index{0}});
  auto r = sent<append_reply>(f.get_output()).at(0).second;
  CHECK_FALSE(r.success);
  CHECK(r.term == raft_term{3});
  CHECK(f.leader() == no_node);
}

TEST_CASE("raft fsm: the leader pages and pipelines appends and commits only its own term",
          "[raft]") {
  fsm_config cfg;
  cfg.max_entries_per_append = 4;
  cfg.max_bytes_per_append = 1000;
  fsm f(n1, three, with_log(1, std::vector<int64_t>(20, 1), std::string(10, 'd')), cfg);
  elect(f);
  CHECK(f.term() == raft_term{2});
  auto out = f.get_output();
  REQUIRE(out.log_entries.size() == 1);
  CHECK(out.log_entries[0].kind == entry_kind::noop);
  CHECK(out.log_entries[0].index == raft_index{21});
  auto appends = sent<append_request>(out);
  REQUIRE(appends.size() == 2);  // one to each follower
  CHECK(appends[0].second.prev_index == raft_index{20});
  // Follower 2 has nothing: it rejects with hint 1; the leader probes from there.
  f.step(n2, append_reply{raft_term{2}, false, raft_index{20}, raft_index{1}});
  appends = sent<append_request>(f.get_output());
  REQUIRE(appends.size() == 1);
  CHECK(appends[0].second.prev_index == raft_index{0});
  CHECK(appends[0].second.entries.size() == 4);
  // The probe succeeded: the rest goes out pipelined, four entries at most per append.
  f.step(n2, append_reply{raft_term{2}, true, raft_index{4}, raft_index{0}});
  out = f.get_output();
  appends = sent<append_request>(out);
  REQUIRE(appends.size() == 5);  // 5-8, 9-12, 13-16, 17-20, 21
  raft_index next{5};
  for (auto& [to, req] : appends) {
    CHECK(to == n2);
    CHECK(req.prev_index == next - 1);
    CHECK(req.entries.size() <= 4);
    next = req.entries.back().index + 1;
  }
  CHECK(next == raft_index{22});
  // A majority holds entries 1-4 of term 1, but only an entry of term 2 commits by counting.
  CHECK(f.commit_index() == raft_index{0});
  CHECK(out.committed.empty());
  f.step(n2, append_reply{raft_term{2}, true, raft_index{21}, raft_index{0}});
  out = f.get_output();
  CHECK(f.commit_index() == raft_index{21});
  CHECK(out.committed.size() == 21);
  // Bytes bound the pages too.
  cfg.max_bytes_per_append = 25;
  fsm g(n1, three, with_log(1, std::vector<int64_t>(20, 1), std::string(10, 'd')), cfg);
  elect(g);
  g.get_output();
  g.step(n3, append_reply{raft_term{2}, false, raft_index{20}, raft_index{1}});
  appends = sent<append_request>(g.get_output());
  REQUIRE(appends.size() == 1);
  CHECK(appends[0].second.entries.size() == 2);
}

TEST_CASE("raft fsm: the leader sends its snapshot to a follower behind its log", "[raft]") {
  persisted_state st;
  st.term = raft_term{1};
  st.snp = snapshot{snapshot_descriptor{raft_index{10}, raft_term{1}}, "S"};
  st.entries = {entry(11, 1), entry(12, 1)};
  fsm_config cfg;
  fsm f(n1, three, st, cfg);
  CHECK(f.first_index() == raft_index{11});
  CHECK(f.commit_index() == raft_index{10});
  elect(f);
  f.get_output();
  f.step(n2, append_reply{raft_term{2}, false, raft_index{12}, raft_index{3}});
  auto out = f.get_output();
  auto snaps = sent<install_snapshot>(out);
  REQUIRE(snaps.size() == 1);
  CHECK(snaps[0].second.snp.desc.index == raft_index{10});
  CHECK(snaps[0].second.snp.data == "S");
  CHECK(f.progress().at(n2).snapshot_in_flight);
  // Heartbeats keep the follower quiet meanwhile, without resending the snapshot.
  for (int i = 0; i < cfg.heartbeat_ticks; ++i)
    f.tick();
  out = f.get_output();
  CHECK(sent<install_snapshot>(out).empty());
  bool heartbeat = false;
  for (auto& [to, req] : sent<append_request>(out))
    if (to == n2 && req.prev_index == raft_index{0} && req.entries.empty())
      heartbeat = true;
  CHECK(heartbeat);
  f.step(n2, snapshot_reply{raft_term{2}, true, raft_index{10}});
  auto appends = sent<append_request>(f.get_output());
  REQUIRE(appends.size() == 1);
  CHECK(appends[0].second.prev_index == raft_index{10});
  CHECK(appends[0].second.entries.size() == 3);  // 11, 12 and the noop
}

TEST_CASE("raft fsm: a follower installs a snapshot", "[raft]") {
  SECTION("beyond its log: the log is dropped") {
    fsm f(n1, three, with_log(1, {1, 1, 1}), fsm_config{});
    snapshot snp{snapshot_descriptor{raft_index{5}, raft_term{1}}, "S"};
    f.step(n2, install_snapshot{raft_term{2}, snp});
    auto out = f.get_output();
    REQUIRE(out.snapshot_to_persist);
    REQUIRE(out.snapshot_to_apply);
    CHECK(out.snapshot_to_apply->desc.index == raft_index{5});
    CHECK(out.committed.empty());
    CHECK(f.commit_index() == raft_index{5});
    CHECK(f.first_index() == raft_index{6});
    CHECK(f.last_index() == raft_index{5});
    auto r = sent<snapshot_reply>(out).at(0).second;
    CHECK(r.success);
    CHECK(r.index == raft_index{5});
  }
  SECTION("within its log, matching: the suffix is kept") {
    fsm f(n1, three, with_log(1, {1, 1, 1, 1, 1, 1, 1}), fsm_config{});
    snapshot snp{snapshot_descriptor{raft_index{5}, raft_term{1}}, "S"};
    f.step(n2, install_snapshot{raft_term{2}, snp});
    auto out = f.get_output();
    CHECK_FALSE(out.truncate_from);
    CHECK(out.log_entries.empty());
    CHECK(f.first_index() == raft_index{6});
    CHECK(f.last_index() == raft_index{7});
  }
  SECTION("older than its commit index: acknowledged, nothing changes") {
    fsm f(n1, three, with_log(1, {1, 1, 1}), fsm_config{});
    f.step(n2, append_request{raft_term{1}, raft_index{3}, raft_term{1}, {}, raft_index{3}});
    f.get_output();
    f.step(n2, install_snapshot{raft_term{1}, snapshot{{raft_index{2}, raft_term{1}}, "S"}});
    auto out = f.get_output();
    CHECK_FALSE(out.snapshot_to_apply);
    CHECK(sent<snapshot_reply>(out).at(0).second.success);
    CHECK(f.first_index() == raft_index{1});
  }
}

TEST_CASE("raft fsm: compaction drops the log up to the snapshot", "[raft]") {
  fsm f(n1, {n1}, persisted_state{}, fsm_config{});
  while (f.current_role() != role::leader)
    f.tick();
  for (int i = 0; i < 5; ++i)
    REQUIRE(f.propose("c" + std::to_string(i)));
  auto out = f.get_output();
  CHECK(out.committed.size() == 6);
  f.compact(raft_index{4}, "state");
  out = f.get_output();
  REQUIRE(out.snapshot_to_persist);
  CHECK(out.snapshot_to_persist->desc.index == raft_index{4});
  CHECK(out.snapshot_to_persist->desc.term == raft_term{1});
  CHECK_FALSE(out.snapshot_to_apply);
  CHECK(f.first_index() == raft_index{5});
  CHECK(f.last_index() == raft_index{6});
  f.compact(raft_index{3}, "older");  // a no-op
  CHECK(f.get_output().empty());
}

TEST_CASE("raft fsm: a non-leader refuses proposals and names the leader", "[raft]") {
  fsm f(n1, three, persisted_state{}, fsm_config{});
  f.step(n2, append_request{raft_term{1}, raft_index{0}, raft_term{0}, {}, raft_index{0}});
  auto res = f.propose("x");
  REQUIRE_FALSE(res);
  CHECK(errc_of(res.error()) == errc::not_controller);
  CHECK(describe(res.error()).find("leader: 2") != std::string::npos);
}

TEST_CASE("raft fsm: the leader lease counts from when the acknowledged append was sent",
          "[raft]") {
  fsm_config cfg;
  fsm f(n1, three, persisted_state{}, cfg);
  elect(f);
  CHECK_FALSE(f.has_quorum_lease());  // nobody acknowledged anything yet
  f.get_output();
  for (int i = 0; i < 3 * cfg.election_timeout_ticks; ++i) {
    f.tick();
    // Keep the leader from stepping down (check-quorum) without granting a lease.
    if (i % 5 == 0)
      f.step(n2, snapshot_reply{f.term(), true, raft_index{0}});
  }
  auto out = f.get_output();
  auto appends = sent<append_request>(out);
  REQUIRE_FALSE(appends.empty());
  auto fresh = appends.back().second.sent_at;
  CHECK(f.commit_index() == raft_index{0});
  REQUIRE(fresh > 2 * cfg.election_timeout_ticks);
  // A reply that arrives now but answers an append sent long ago proves nothing new.
  f.step(n2, append_reply{f.term(), true, raft_index{1}, raft_index{0}, 1});
  CHECK_FALSE(f.has_quorum_lease());
  f.step(n2, append_reply{f.term(), true, raft_index{1}, raft_index{0}, fresh});
  CHECK(f.has_quorum_lease());
  CHECK(f.commit_index() == raft_index{1});  // the noop of its term
  for (int i = 0; i < cfg.election_timeout_ticks - 2; ++i)
    f.tick();
  CHECK(f.has_quorum_lease());
  f.tick();  // election_timeout_ticks - 1 ticks since that append was sent
  CHECK_FALSE(f.has_quorum_lease());
}
