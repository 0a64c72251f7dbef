// The fault table decides drop / delay / duplicate per (from, to) pair.
#include <catch2/catch.hpp>

#include "runtime/chaos/fault_table.hpp"

using namespace cafka;
using namespace std::chrono_literals;

TEST_CASE("an empty fault table lets every message through once, at once", "[chaos]") {
  fault_table t;
  CHECK(t.empty());
  auto d = t.decide(node_id{1}, node_id{2});
  CHECK_FALSE(d.drop);
  CHECK(d.copies == 1);
  CHECK(d.delay == 0ms);
}

TEST_CASE("a partition cuts both directions, a one-way cut only one, heal restores",
          "[chaos]") {
  fault_table t;
  t.partition({node_id{1}}, {node_id{2}, node_id{3}});
  CHECK(t.decide(node_id{1}, node_id{2}).drop);
  CHECK(t.decide(node_id{3}, node_id{1}).drop);
  CHECK_FALSE(t.decide(node_id{2}, node_id{3}).drop);
  t.heal();
  CHECK(t.empty());
  CHECK_FALSE(t.decide(node_id{1}, node_id{2}).drop);
  t.partition({node_id{1}}, {node_id{2}}, true);
  CHECK(t.decide(node_id{1}, node_id{2}).drop);
  CHECK_FALSE(t.decide(node_id{2}, node_id{1}).drop);
}

TEST_CASE("probabilistic drop and duplicate follow their rates and delays add up", "[chaos]") {
  fault_table t{42};
  fault_rule lossy;
  lossy.drop = 0.3;
  lossy.duplicate = 0.5;
  auto id = t.add(lossy);
  fault_rule slow;
  slow.from = {node_id{1}};
  slow.delay = 20ms;
  slow.jitter = 10ms;
  t.add(slow);
  int dropped = 0;
  int duplicated = 0;
  for (int i = 0; i < 10000; ++i) {
    auto d = t.decide(node_id{2}, node_id{1});
    dropped += d.drop ? 1 : 0;
    duplicated += d.copies == 2 ? 1 : 0;
    CHECK(d.delay == 0ms); // the delay rule is only for messages from node 1
  }
  CHECK(dropped > 2700);
  CHECK(dropped < 3300);
  CHECK(duplicated > 3200); // 0.5 of the 70 % not dropped = 35 %
  CHECK(duplicated < 3800);
  t.remove(id);
  for (int i = 0; i < 100; ++i) {
    auto d = t.decide(node_id{1}, node_id{2});
    CHECK_FALSE(d.drop);
    CHECK(d.delay >= 20ms);
    CHECK(d.delay <= 30ms);
  }
}

TEST_CASE("a request/response exchange is lost if the link is cut either way",
          "[chaos]") {
  fault_table t{7};
  CHECK_FALSE(t.exchange_lost(node_id{1}, node_id{2}));
  t.partition({node_id{2}}, {node_id{1}}, true);  // only 2 -> 1 is cut
  CHECK(t.exchange_lost(node_id{1}, node_id{2}));  // the answer is lost
  CHECK(t.exchange_lost(node_id{2}, node_id{1}));  // the request is lost
  CHECK_FALSE(t.exchange_lost(node_id{1}, node_id{3}));
  auto rules = t.rules();
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].second.from == std::set<node_id>{node_id{2}});
  t.heal();
  CHECK_FALSE(t.exchange_lost(node_id{1}, node_id{2}));
  CHECK(t.rules().empty());
}
