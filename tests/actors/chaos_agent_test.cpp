// The chaos agent checks every rule itself: a rule sent straight to it (no client-side
// checks) that is out of range or over the caps is refused with the reason, and the node's
// fault table stays as it was; a good rule is applied, and the agent holds at most
// chaos-max-rules rules.
#include <catch2/catch.hpp>

#include <limits>

#include "actors/chaos/chaos_agent.hpp"
#include "tests/actors/actor_test_util.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

struct agent_fixture {
  test_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<fault_table> faults = std::make_shared<fault_table>();
  chaos_agent_actor agent;

  explicit agent_fixture(chaos_limits lim = {}) {
    agent = spawn_chaos_agent(sys, node_id{1}, faults, lim,
                              {node_id{1}, node_id{2}, node_id{3}});
  }
  ~agent_fixture() { caf::anon_send_exit(agent, caf::exit_reason::user_shutdown); }

  caf::expected<uint64_t> add(const fault_rule& r, int64_t duration_ms = 0) {
    return ask<uint64_t>(sys, agent, chaos_atom::value, r, duration_ms);
  }
};

// The agent's refusal of `r`: its message, after checking its code and that nothing changed.
std::string refusal(agent_fixture& f, const fault_rule& r, int64_t duration_ms = 0) {
  auto before = f.faults->rules().size();
  auto res = f.add(r, duration_ms);
  REQUIRE_FALSE(res);
  CHECK(errc_of(res.error()) == errc::invalid_request);
  CHECK(f.faults->rules().size() == before);
  return context_of(res.error());
}

} // namespace

TEST_CASE("the chaos agent refuses out-of-range rules sent straight to it and its table "
          "stays empty",
          "[chaos]") {
  agent_fixture f;
  fault_rule slow;
  slow.disk = disk_fault::slow;
  slow.delay = std::chrono::milliseconds{std::numeric_limits<int64_t>::max() - 1};
  CHECK(refusal(f, slow)
        == "node 1 refuses the rule: delay 9223372036854775806 ms is over chaos-max-delay-ms "
           "(10000 ms)");
  fault_rule odd;
  odd.disk = static_cast<disk_fault>(7);
  CHECK(refusal(f, odd) == "node 1 refuses the rule: unknown disk fault 7");
  fault_rule drop;
  drop.drop = 2.0;
  CHECK(refusal(f, drop)
        == "node 1 refuses the rule: drop probability must be between 0 and 1, got 2");
  fault_rule cut;
  cut.drop = 1.0;
  cut.from = {node_id{42}};
  CHECK(refusal(f, cut)
        == "node 1 refuses the rule: from names node 42, which is not in the cluster's config");
  cut.from = {node_id{2}};
  CHECK(refusal(f, cut, std::numeric_limits<int64_t>::max())
        == "node 1 refuses the rule: duration 9223372036854775807 ms is over "
           "chaos-max-duration-ms (3600000 ms)");
  CHECK(f.faults->rules().empty());
  CHECK(f.faults->empty());
  CHECK(f.faults->disk_empty());
  auto st = ask<std::vector<fault_status>>(f.sys, f.agent, chaos_atom::value);
  REQUIRE(st);
  CHECK(st->empty());
}

TEST_CASE("the chaos agent applies a good rule and holds at most chaos-max-rules rules",
          "[chaos]") {
  chaos_limits lim;
  lim.max_rules = 2;
  agent_fixture f{lim};
  fault_rule cut;
  cut.from = {node_id{2}};
  cut.to = {node_id{1}};
  cut.drop = 1.0;
  REQUIRE(f.add(cut));
  CHECK(f.faults->decide(node_id{2}, node_id{1}).drop);
  fault_rule slow;
  slow.disk = disk_fault::slow;
  slow.delay = 20ms;
  REQUIRE(f.add(slow, 60000));
  CHECK(refusal(f, cut) == "node 1 refuses the rule: the node has 2 rules, chaos-max-rules is "
                           "2 (heal first)");
  REQUIRE(ask<caf::ok_atom>(f.sys, f.agent, heal_atom::value));
  CHECK(f.faults->rules().empty());
  CHECK(f.add(cut));
}
