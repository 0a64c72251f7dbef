// The chaos agent's rules in its node's metrics: each rule added counts under its kind and
// shows as active until it is healed or expires, and both ends are logged as events.
#include <catch2/catch.hpp>

#include "actors/chaos/chaos_agent.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/metrics_probe.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

using texts = std::vector<std::string>;

struct metered_agent {
  test_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<fault_table> faults = std::make_shared<fault_table>();
  std::shared_ptr<metrics::node_metrics> metrics = std::make_shared<metrics::node_metrics>();
  chaos_agent_actor agent = spawn_chaos_agent(sys, node_id{1}, faults, {},
                                              {node_id{1}, node_id{2}, node_id{3}}, metrics);

  ~metered_agent() { caf::anon_send_exit(agent, caf::exit_reason::user_shutdown); }

  caf::expected<uint64_t> add(const fault_rule& r, int64_t duration_ms = 0) {
    return ask<uint64_t>(sys, agent, chaos_atom::value, r, duration_ms);
  }

  std::optional<double> active(const std::string& kind) {
    return metric_value(metrics->registry, "cafka_chaos_active_rules", {kind});
  }
  std::optional<double> added(const std::string& kind) {
    return metric_value(metrics->registry, "cafka_chaos_rules_added_total", {kind});
  }
};

} // namespace

TEST_CASE("rule kinds name what a rule does, the cut first", "[chaos][metrics]") {
  fault_rule r;
  CHECK(rule_kind(r) == "none");
  r.delay = 5ms;
  CHECK(rule_kind(r) == "delay");
  r.duplicate = 0.5;
  CHECK(rule_kind(r) == "duplicate");
  r.drop = 0.1;
  CHECK(rule_kind(r) == "drop");
  r.drop = 1.0;
  CHECK(rule_kind(r) == "partition");
  r.disk = disk_fault::write_error;
  CHECK(rule_kind(r) == "disk_write");
  r.disk = disk_fault::fsync_error;
  CHECK(rule_kind(r) == "disk_fsync");
  r.disk = disk_fault::slow;
  CHECK(rule_kind(r) == "disk_slow");
}

TEST_CASE_METHOD(metered_agent,
                 "a rule shows as active by kind until healed or expired, with an event at "
                 "each end",
                 "[chaos][metrics]") {
  fault_rule cut;
  cut.from = {node_id{2}};
  cut.to = {node_id{1}};
  cut.drop = 1.0;
  auto cut_id = add(cut);
  REQUIRE(cut_id);
  CHECK(active("partition") == 1.0);
  CHECK(added("partition") == 1.0);
  CHECK(event_texts(metrics->events, "fault_injected")
        == texts{"rule " + std::to_string(*cut_id) + ": 2 -> 1 drop 1.00"});
  fault_rule slow;
  slow.delay = 5ms;
  auto slow_id = add(slow, 50);
  REQUIRE(slow_id);
  CHECK(active("delay") == 1.0);
  CHECK(event_texts(metrics->events, "fault_injected").back()
        == "rule " + std::to_string(*slow_id) + ": * -> * delay 5 ms (+0 jitter) for 50 ms");
  // The delay rule expires by itself; the cut stays.
  REQUIRE(eventually([&] { return active("delay") == 0.0; }));
  CHECK(active("partition") == 1.0);
  CHECK(added("delay") == 1.0);
  CHECK(event_texts(metrics->events, "fault_healed")
        == texts{"rule " + std::to_string(*slow_id) + " expired: * -> * delay 5 ms (+0 jitter)"});
  REQUIRE(ask<caf::ok_atom>(sys, agent, heal_atom::value));
  CHECK(active("partition") == 0.0);
  CHECK(added("partition") == 1.0);
  CHECK(event_texts(metrics->events, "fault_healed").back()
        == "rule " + std::to_string(*cut_id) + " healed: 2 -> 1 drop 1.00");
  CHECK(faults->rules().empty());
}
