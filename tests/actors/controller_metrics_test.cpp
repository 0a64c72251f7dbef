// A controller quorum member's node metrics and events: every member shows its Raft role,
// term and indexes; only the active controller shows itself active, the members' lag and
// the brokers, and logs its election and the broker, leader and ISR changes it applies.
#include <catch2/catch.hpp>

#include "tests/actors/metrics_probe.hpp"
#include "tests/actors/quorum_fixture.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

using texts = std::vector<std::string>;

std::string nodes_text(const std::vector<node_id>& xs) {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : ",") + to_string(x);
  return "[" + out + "]";
}

} // namespace

TEST_CASE_METHOD(quorum_fixture,
                 "a single member that leads its quorum shows the leader role and logs its "
                 "election",
                 "[actors][quorum][metrics]") {
  start(1);
  REQUIRE(wait_leader(live()) == node_id{1});
  auto& m = *node_metrics[node_id{1}];
  auto s = status(node_id{1});
  REQUIRE(s);
  CHECK(metric_value(m.registry, "cafka_quorum_role", {"leader"}) == 1.0);
  CHECK_FALSE(metric_value(m.registry, "cafka_quorum_role", {"follower"}));
  CHECK_FALSE(metric_value(m.registry, "cafka_quorum_role", {"candidate"}));
  CHECK(metric_value(m.registry, "cafka_controller_active") == 1.0);
  CHECK(s->term >= raft_term{1});
  CHECK(metric_value(m.registry, "cafka_quorum_term") == static_cast<double>(s->term.value));
  CHECK(event_texts(m.events, "controller_elected")
        == texts{"node 1 leads the controller quorum (term " + to_string(s->term) + ")"});
  // The indexes catch up with the status (the leader's first entry commits at once), and
  // the leader's lag series appears with the next tick.
  CHECK(eventually([&] {
    auto now = status(node_id{1});
    return now && now->applied_index >= raft_index{1}
           && metric_value(m.registry, "cafka_quorum_commit_index")
                == static_cast<double>(now->commit_index.value)
           && metric_value(m.registry, "cafka_quorum_applied_index")
                == static_cast<double>(now->applied_index.value)
           && metric_value(m.registry, "cafka_quorum_member_lag", {"1"}) == 0.0
           && metric_value(m.registry, "cafka_actor_mailbox_depth", {"controller"});
  }, 10s, 20ms));
}

TEST_CASE_METHOD(quorum_fixture,
                 "followers show their role and no controller series, and a new leader logs its "
                 "election",
                 "[actors][quorum][metrics]") {
  start(3);
  auto first = wait_leader(live());
  REQUIRE(first != no_node);
  CHECK(eventually([&] {
    for (auto id : ids) {
      auto& m = *node_metrics[id];
      auto s = status(id);
      if (!s || metric_value(m.registry, "cafka_quorum_term")
                  != static_cast<double>(s->term.value))
        return false;
      bool leads = id == first;
      auto role = metric_value(m.registry, "cafka_quorum_role", {leads ? "leader" : "follower"});
      if (role != 1.0 || metric_value(m.registry, "cafka_controller_active") != (leads ? 1 : 0))
        return false;
      // The leader shows each member's lag; a follower none.
      for (auto other : ids)
        if (metric_value(m.registry, "cafka_quorum_member_lag", {to_string(other)}).has_value()
            != leads)
          return false;
    }
    return true;
  }, 10s, 20ms));
  for (auto id : ids)
    if (id != first)
      CHECK_FALSE(metric_value(node_metrics[id]->registry, "cafka_controller_brokers",
                               {"alive"}));
  kill(first);
  auto next = wait_leader(live());
  REQUIRE(next != no_node);
  auto s = status(next);
  REQUIRE(s);
  auto& m = *node_metrics[next];
  CHECK(metric_value(m.registry, "cafka_quorum_role", {"leader"}) == 1.0);
  CHECK_FALSE(metric_value(m.registry, "cafka_quorum_role", {"follower"}));
  CHECK(metric_value(m.registry, "cafka_controller_active") == 1.0);
  auto elected = event_texts(m.events, "controller_elected");
  REQUIRE_FALSE(elected.empty());
  CHECK(elected.back()
        == "node " + to_string(next) + " leads the controller quorum (term "
             + to_string(s->term) + ")");
}

TEST_CASE_METHOD(quorum_fixture,
                 "the active controller counts a fenced broker, the leader it replaces and the "
                 "ISRs it shrinks",
                 "[actors][quorum][metrics]") {
  start(1);
  auto leader = wait_leader(live());
  REQUIRE(leader == node_id{1});
  REQUIRE(add_broker(node_id{7}, 42));
  auto doomed = more_brokers.back();
  REQUIRE(add_broker(node_id{8}, 43));
  auto& m = *node_metrics[leader];
  CHECK(event_texts(m.events, "broker_registered")
        == texts{"broker 7 registered (incarnation 42)", "broker 8 registered (incarnation 43)"});
  CHECK(metric_value(m.registry, "cafka_controller_brokers", {"alive"}) == 2.0);
  CHECK(metric_value(m.registry, "cafka_controller_brokers", {"fenced"}) == 0.0);
  auto t = ask<topic_metadata>(sys, members[leader], create_topic_atom::value,
                               create_topic_request{"orders", 2, 2});
  REQUIRE(t);
  REQUIRE(t->partitions.size() == 2);
  CHECK(metric_value(m.registry, "cafka_controller_under_replicated_partitions") == 0.0);
  CHECK(metric_value(m.registry, "cafka_controller_offline_partitions") == 0.0);
  // Broker 7's process dies: the controller fences it at once.
  caf::anon_send_exit(doomed, caf::exit_reason::kill);
  REQUIRE(eventually([&] {
    return metric_value(m.registry, "cafka_controller_brokers", {"fenced"}) == 1.0;
  }));
  CHECK(metric_value(m.registry, "cafka_controller_brokers", {"alive"}) == 1.0);
  CHECK(event_texts(m.events, "broker_fenced")
        == texts{"broker 7 fenced (lease lapsed or process gone)"});
  auto md = metadata();
  REQUIRE(md);
  texts elections;
  texts shrinks;
  for (auto& before : t->partitions) {
    auto after = md->find_partition(topic_partition{"orders", before.id});
    REQUIRE(after != nullptr);
    auto name = "orders-" + to_string(before.id);
    CHECK(after->leader == node_id{8});
    CHECK(after->isr == std::vector<node_id>{node_id{8}});
    if (before.leader == node_id{7})
      elections.push_back(name + ": leader 7 -> 8 (epoch " + to_string(after->epoch) + ")");
    shrinks.push_back(name + ": ISR " + nodes_text(before.isr) + " -> [8]");
  }
  // Round-robin placement: broker 7 led one of the two partitions.
  REQUIRE(elections.size() == 1);
  CHECK(event_texts(m.events, "leader_election") == elections);
  CHECK(event_texts(m.events, "isr_shrink") == shrinks);
  CHECK(event_texts(m.events, "isr_expand").empty());
  CHECK(metric_value(m.registry, "cafka_controller_leader_elections_total") == 1.0);
  CHECK(metric_value(m.registry, "cafka_controller_under_replicated_partitions") == 2.0);
  CHECK(metric_value(m.registry, "cafka_controller_offline_partitions") == 0.0);
  CHECK(metric_value(m.registry, "cafka_controller_metadata_version")
        == static_cast<double>(md->version));
}
