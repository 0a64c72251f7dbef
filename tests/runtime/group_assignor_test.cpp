// Consumer-group assignors (range, roundrobin, sticky, cooperative-sticky) and incremental
// reconciliation: coverage, balance, stickiness, and no partition with two owners.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "runtime/base/errc.hpp"
#include "runtime/group/assignor.hpp"
#include "runtime/group/reconciliation.hpp"

using namespace cafka;
using namespace cafka::group;

namespace {

topic_partition tp(const std::string& t, int32_t p) {
  return {t, partition_id{p}};
}

std::unique_ptr<assignor> get(const std::string& name) {
  auto a = make_assignor(name);
  REQUIRE(a);
  return std::move(*a);
}

// Every partition of `topics` subscribed by someone is assigned exactly once, to a subscriber.
void check_cover(const std::vector<member_spec>& members, const topic_sizes& topics,
                 const assignment& a) {
  std::map<topic_partition, int> seen;
  for (auto& m : members) {
    auto i = a.find(m.member_id);
    REQUIRE(i != a.end());
    for (auto& p : i->second) {
      CHECK(std::find(m.topics.begin(), m.topics.end(), p.topic) != m.topics.end());
      ++seen[p];
    }
  }
  size_t expected = 0;
  for (auto& [t, n] : topics) {
    bool any = false;
    for (auto& m : members)
      any = any || std::find(m.topics.begin(), m.topics.end(), t) != m.topics.end();
    if (any)
      expected += static_cast<size_t>(n);
  }
  CHECK(seen.size() == expected);
  for (auto& kv : seen)
    CHECK(kv.second == 1);
}

std::pair<size_t, size_t> min_max(const assignment& a) {
  size_t lo = SIZE_MAX, hi = 0;
  for (auto& kv : a) {
    lo = std::min(lo, kv.second.size());
    hi = std::max(hi, kv.second.size());
  }
  return {lo, hi};
}

std::vector<member_spec> uniform(int n, std::vector<std::string> topics) {
  std::vector<member_spec> out;
  for (int i = 0; i < n; ++i)
    out.push_back({"m" + std::to_string(i), topics, {}});
  return out;
}

} // namespace

TEST_CASE("an unknown assignor name is a clear error that lists the known ones", "[group]") {
  auto a = make_assignor("fair-share");
  REQUIRE_FALSE(a);
  CHECK(errc_of(a.error()) == errc::unsupported_assignor);
  CHECK(describe(a.error()).find("'fair-share'") != std::string::npos);
  CHECK(describe(a.error()).find("cooperative-sticky") != std::string::npos);
  for (auto& n : assignor_names()) {
    auto ok = make_assignor(n);
    REQUIRE(ok);
    CHECK((*ok)->name() == n);
  }
  CHECK(std::string{default_assignor} == "cooperative-sticky");
}

TEST_CASE("range and roundrobin lay partitions out as Kafka's assignors do", "[group]") {
  // The example of Kafka's RangeAssignor and RoundRobinAssignor docs: C0 and C1 subscribe to
  // t0 and t1 with 3 partitions each.
  std::vector<member_spec> ms{{"C0", {"t0", "t1"}, {}}, {"C1", {"t0", "t1"}, {}}};
  topic_sizes topics{{"t0", 3}, {"t1", 3}};
  auto r = get("range")->assign(ms, topics);
  CHECK(r["C0"] == std::vector<topic_partition>{tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)});
  CHECK(r["C1"] == std::vector<topic_partition>{tp("t0", 2), tp("t1", 2)});
  auto rr = get("roundrobin")->assign(ms, topics);
  CHECK(rr["C0"] == std::vector<topic_partition>{tp("t0", 0), tp("t0", 2), tp("t1", 1)});
  CHECK(rr["C1"] == std::vector<topic_partition>{tp("t0", 1), tp("t1", 0), tp("t1", 2)});
}

TEST_CASE("every assignor covers each subscribed partition once, only for subscribers",
          "[group]") {
  // Unequal subscriptions, a topic nobody reads, and one that does not exist.
  std::vector<member_spec> ms{{"a", {"x", "y"}, {}},
                              {"b", {"y"}, {}},
                              {"c", {"x", "y", "ghost"}, {}},
                              {"d", {}, {}}};
  topic_sizes topics{{"x", 5}, {"y", 7}, {"unread", 4}};
  for (auto& n : assignor_names()) {
    INFO(n);
    auto a = get(n)->assign(ms, topics);
    check_cover(ms, topics, a);
    CHECK(a["d"].empty());
  }
  for (auto& n : assignor_names())
    CHECK(get(n)->assign({}, topics).empty());
}

TEST_CASE("with equal subscriptions roundrobin and the sticky assignors balance within one",
          "[group]") {
  topic_sizes topics{{"a", 7}, {"b", 5}, {"c", 1}};
  for (int members = 1; members <= 15; ++members) {
    auto ms = uniform(members, {"a", "b", "c"});
    for (auto n : {"roundrobin", "sticky", "cooperative-sticky"}) {
      INFO(n << " with " << members << " members");
      auto a = get(n)->assign(ms, topics);
      check_cover(ms, topics, a);
      auto [lo, hi] = min_max(a);
      CHECK(hi - lo <= 1);
    }
  }
}

TEST_CASE("the sticky assignor moves only what balance needs when members join and leave",
          "[group]") {
  auto sticky = get("cooperative-sticky");
  topic_sizes topics{{"t", 12}};
  auto ms = uniform(4, {"t"});
  auto first = sticky->assign(ms, topics);
  for (auto& kv : first)
    CHECK(kv.second.size() == 3);
  for (auto& m : ms)
    m.owned = first[m.member_id];
  // A fifth member: shares 3,3,2,2,2, so exactly two partitions move, both to it.
  ms.push_back({"m4", {"t"}, {}});
  auto second = sticky->assign(ms, topics);
  check_cover(ms, topics, second);
  size_t moved = 0;
  for (int i = 0; i < 4; ++i) {
    auto& was = first["m" + std::to_string(i)];
    auto& now = second["m" + std::to_string(i)];
    for (auto& p : now)
      CHECK(std::find(was.begin(), was.end(), p) != was.end());  // gained nothing
    moved += was.size() - now.size();
  }
  CHECK(moved == 2);
  CHECK(second["m4"].size() == 2);
  // m1 leaves: the others keep everything they had and share its partitions.
  for (auto& m : ms)
    m.owned = second[m.member_id];
  auto gone = second["m1"];
  ms.erase(ms.begin() + 1);
  auto third = sticky->assign(ms, topics);
  check_cover(ms, topics, third);
  for (auto& m : ms)
    for (auto& p : m.owned)
      CHECK(std::find(third[m.member_id].begin(), third[m.member_id].end(), p)
            != third[m.member_id].end());
  auto [lo, hi] = min_max(third);
  CHECK(hi - lo <= 1);
}

TEST_CASE("the sticky assignor keeps min(owned, share) for every member under random churn",
          "[group]") {
  auto sticky = get("cooperative-sticky");
  std::mt19937 rng{4242};
  topic_sizes topics{{"p", 13}, {"q", 8}};
  std::vector<member_spec> ms = uniform(3, {"p", "q"});
  int next_id = 3;
  assignment current;
  for (int round = 0; round < 300; ++round) {
    auto action = rng() % 3;
    if (action == 0 || ms.size() < 2) {
      ms.push_back({"m" + std::to_string(next_id++), {"p", "q"}, {}});
    } else if (action == 1) {
      ms.erase(ms.begin() + static_cast<std::ptrdiff_t>(rng() % ms.size()));
    }
    for (auto& m : ms)
      m.owned = current.count(m.member_id) ? current[m.member_id] : std::vector<topic_partition>{};
    auto next = sticky->assign(ms, topics);
    check_cover(ms, topics, next);
    auto [lo, hi] = min_max(next);
    REQUIRE(hi - lo <= 1);
    for (auto& m : ms) {
      size_t kept = 0;
      for (auto& p : m.owned)
        kept += std::count(next[m.member_id].begin(), next[m.member_id].end(), p);
      REQUIRE(kept == std::min(m.owned.size(), next[m.member_id].size()));
    }
    current = next;
  }
}

TEST_CASE("reconciliation revokes only what moves and never gives a partition two owners",
          "[group]") {
  auto sticky = get("cooperative-sticky");
  std::mt19937 rng{7};
  topic_sizes topics{{"t", 12}};
  std::vector<member_spec> ms = uniform(4, {"t"});
  std::map<std::string, std::vector<topic_partition>> owned;
  int next_id = 4;
  for (int round = 0; round < 60; ++round) {
    // Membership changes (a join or a leave), then the group converges step by step: members
    // answer in a random order and only one answers per step.
    if (round > 0) {
      if (rng() % 2 == 0 || ms.size() < 2) {
        ms.push_back({"m" + std::to_string(next_id++), {"t"}, {}});
      } else {
        auto i = rng() % ms.size();
        // A member that leaves (or dies) gives up what it owns.
        owned.erase(ms[i].member_id);
        ms.erase(ms.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
    for (auto& m : ms)
      m.owned = owned[m.member_id];
    auto target = sticky->assign(ms, topics);
    for (int step = 0; step < 100; ++step) {
      auto steps = reconcile(target, owned);
      bool done = true;
      for (auto& [member, s] : steps) {
        auto& t = target[member];
        for (auto& p : s.revoke)  // only partitions that move
          REQUIRE(std::find(t.begin(), t.end(), p) == t.end());
        done = done && s.revoke.empty() && s.assign.empty() && s.waiting.empty();
      }
      if (done)
        break;
      // One member applies its step.
      auto pick = steps.begin();
      std::advance(pick, static_cast<std::ptrdiff_t>(rng() % steps.size()));
      owned[pick->first] = pick->second.next;
      // No partition has two owners.
      std::set<topic_partition> seen;
      for (auto& kv : owned)
        for (auto& p : kv.second)
          REQUIRE(seen.insert(p).second);
    }
    for (auto& m : ms)
      REQUIRE(owned[m.member_id] == target[m.member_id]);
  }
}
