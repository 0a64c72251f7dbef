// The nemesis checker finds each kind of violation it exists for, and none in a clean
// history.
#include <catch2/catch.hpp>

#include "runtime/chaos/history_checker.hpp"

using namespace cafka;

namespace {

topic_partition tp(int32_t p) {
  return {"t", partition_id{p}};
}

} // namespace

TEST_CASE("a clean history passes the checker", "[chaos]") {
  history_checker h;
  for (int i = 0; i < 10; ++i) {
    auto v = "v" + std::to_string(i);
    h.acked(v, tp(i % 2), log_offset{i / 2});
    h.logged(tp(i % 2), log_offset{i / 2}, v);
    h.processed(v);
  }
  h.committed(tp(0), log_offset{2});
  h.committed(tp(0), log_offset{5});
  h.leader(tp(0), leader_epoch{0}, node_id{1});
  h.leader(tp(0), leader_epoch{1}, node_id{2});
  h.leader(tp(0), leader_epoch{1}, node_id{2});
  h.leader(tp(0), leader_epoch{1}, no_node);  // a sample without a leader names no second one
  h.replica_log(tp(0), node_id{1}, "abcdef");
  h.replica_log(tp(0), node_id{2}, "abcd");  // behind, same lineage
  auto r = h.check();
  CHECK(r.ok());
  CHECK(r.acked == 10);
  CHECK(r.logged == 10);
  CHECK(r.leader_changes == 1);
}

TEST_CASE("the checker reports lost, duplicated, gapped, unprocessed, backwards, "
          "split-brain and unrecovered histories",
          "[chaos]") {
  history_checker h;
  h.acked("a", tp(0), log_offset{0});
  h.acked("b", tp(0), log_offset{1});  // lost: offset 1 holds something else
  h.logged(tp(0), log_offset{0}, "a");
  h.logged(tp(0), log_offset{1}, "x");
  h.logged(tp(0), log_offset{3}, "a");  // gap at 2, and "a" twice
  h.processed("b");         // "a" processed by nobody
  h.committed(tp(0), log_offset{4});
  h.committed(tp(0), log_offset{2});
  h.leader(tp(0), leader_epoch{3}, node_id{1});
  h.leader(tp(0), leader_epoch{3}, node_id{2});
  h.replica_log(tp(1), node_id{1}, "abcdef");
  h.replica_log(tp(1), node_id{3}, "abXd");  // diverged
  h.unrecovered("broker 1 fenced");
  auto r = h.check();
  CHECK_FALSE(r.ok());
  CHECK(r.lost == 1);
  CHECK(r.duplicated == 1);
  CHECK(r.gaps == 1);
  CHECK(r.unprocessed == 1);
  CHECK(r.commits_backwards == 1);
  CHECK(r.split_brain == 1);
  CHECK(r.diverged == 1);
  CHECK(r.unrecovered == 1);
  CHECK(r.violations.back() == "recovery: broker 1 fenced after every fault healed");
  CHECK(r.violations.size() == 8);
}

#include "runtime/base/errc.hpp"
#include "runtime/chaos/nemesis_schedule.hpp"

TEST_CASE("a nemesis schedule is a function of its seed", "[chaos]") {
  std::vector<node_id> nodes{node_id{1}, node_id{2}, node_id{3}};
  auto kinds = parse_fault_kinds("kill,pause,partition,drop");
  REQUIRE(kinds);
  auto a = make_schedule(42, 60000, *kinds, nodes);
  auto b = make_schedule(42, 60000, *kinds, nodes);
  auto c = make_schedule(43, 60000, *kinds, nodes);
  REQUIRE(a.size() > 5);
  REQUIRE(a.size() == b.size());
  bool differs = a.size() != c.size();
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].kind == b[i].kind);
    CHECK(a[i].node == b[i].node);
    CHECK(a[i].at_ms == b[i].at_ms);
    if (i > 0)
      CHECK(a[i].at_ms >= a[i - 1].at_ms + a[i - 1].duration_ms);  // one at a time
    CHECK(a[i].at_ms + a[i].duration_ms <= 58000);
    if (i < c.size())
      differs = differs || a[i].kind != c[i].kind || a[i].at_ms != c[i].at_ms;
  }
  CHECK(differs);
  auto bad = parse_fault_kinds("kill,meteor");
  REQUIRE_FALSE(bad);
  CHECK(errc_of(bad.error()) == errc::invalid_request);
}

TEST_CASE("shrinking a failing schedule keeps only the faults the failure needs",
          "[chaos]") {
  std::vector<nemesis_fault> s;
  for (int i = 0; i < 6; ++i)
    s.push_back({1000 * i, i % 2 == 0 ? "kill" : "drop", "", node_id{1 + i % 3}, 500});
  // "Fails" while the kill of node 3 (i = 2) and the drop on node 3 (i = 5) are both in.
  int calls = 0;
  auto fails = [&](const std::vector<nemesis_fault>& xs) {
    ++calls;
    bool kill3 = false, drop3 = false;
    for (auto& f : xs) {
      kill3 |= f.kind == "kill" && f.node == node_id{3};
      drop3 |= f.kind == "drop" && f.node == node_id{3};
    }
    return kill3 && drop3;
  };
  auto shortest = shrink_faults(s, fails);
  REQUIRE(shortest.size() == 2);
  CHECK(shortest[0].at_ms == 2000);
  CHECK(shortest[1].at_ms == 5000);
  CHECK(calls > 0);
  CHECK(shrink_faults({}, fails).empty());
}

TEST_CASE("a network fault of the schedule is a pair of mirrored rules on the node's links",
          "[chaos]") {
  std::set<node_id> others{node_id{1}, node_id{3}};
  auto drop = network_rules({0, "drop", "", node_id{2}, 500}, others);
  REQUIRE(drop.size() == 2);
  CHECK(drop[0].from == std::set<node_id>{node_id{2}});
  CHECK(drop[0].to == others);
  CHECK(drop[1].from == others);
  CHECK(drop[1].to == std::set<node_id>{node_id{2}});
  CHECK(drop[0].drop == Approx(0.3));
  CHECK(network_rules({0, "partition", "", node_id{2}, 500}, others)[1].drop == 1.0);
  CHECK(network_rules({0, "duplicate", "", node_id{2}, 500}, others)[0].duplicate
        == Approx(0.3));
  CHECK(network_rules({0, "delay", "", node_id{2}, 500}, others)[0].jitter.count() == 40);
  CHECK(network_rules({0, "kill", "", node_id{2}, 500}, others).empty());
}
