#include "actors/chaos/chaos_agent.hpp"

#include <map>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"
#include "runtime/chaos/rule_check.hpp"

namespace cafka {

namespace {

using steady = std::chrono::steady_clock;

struct agent_state {
  node_id id;
  std::shared_ptr<fault_table> faults;  // the node's
  chaos_limits limits;
  std::set<node_id> nodes;  // the cluster's: the only ones a rule may name
  std::map<uint64_t, steady::time_point> deadlines;  // rules with a duration
  // Invariant: not null. The kinds cafka_chaos_active_rules has a series of.
  std::shared_ptr<metrics::node_metrics> metrics;
  std::set<std::string> shown_kinds;
  static inline const char* name = "chaos_agent";
};

// The agent's interface plus its own timer: a rule's time is up (a self-message only).
using agent_timers_actor = chaos_agent_actor::extend<caf::reacts_to<expire_atom, uint64_t>>;
using agent_self = agent_timers_actor::stateful_pointer<agent_state>;

// Sets cafka_chaos_active_rules{kind} to the table's rules of each kind (0 for a kind shown
// before that has none left).
void publish_rules(agent_state& st) {
  std::map<std::string, int> counts;
  for (auto& kind : st.shown_kinds)
    counts[kind] = 0;
  for (auto& [rid, rule] : st.faults->rules())
    ++counts[rule_kind(rule)];
  for (auto& [kind, n] : counts) {
    if (auto g = st.metrics->chaos_active_rules.with({kind}))
      g->set(n);
    st.shown_kinds.insert(kind);
  }
}

// Logs a "fault_healed" event for each rule of `ids` still in the table, e.g. "rule 3
// expired: 2 -> 1 drop 1.00".
void log_healed(agent_state& st, const std::set<uint64_t>& ids, const char* how) {
  for (auto& [rid, rule] : st.faults->rules())
    if (ids.count(rid) > 0)
      st.metrics->events.append("fault_healed", "rule " + std::to_string(rid) + " " + how
                                                  + ": " + describe(rule));
}

// None if the node takes `rule` for `duration_ms`; otherwise why not, naming the node.
caf::error admit(const agent_state& st, const fault_rule& rule, int64_t duration_ms) {
  auto err = validate_rule(rule, duration_ms, st.limits, st.nodes);
  auto active = st.faults->rules();
  if (!err)
    err = check_room(active.size(), st.limits);
  if (!err)
    err = check_disk_stall(rule, active, st.limits);
  if (!err)
    return {};
  spdlog::warn("node {}: chaos: refused a rule: {}", st.id, context_of(err));
  return make_error(errc::invalid_request,
                    "node " + to_string(st.id) + " refuses the rule: " + context_of(err));
}

agent_timers_actor::behavior_type agent_behavior(agent_self self, node_id id,
                                                 std::shared_ptr<fault_table> faults,
                                                 chaos_limits limits, std::set<node_id> nodes,
                                                 std::shared_ptr<metrics::node_metrics> m) {
  self->state.id = id;
  self->state.faults = std::move(faults);
  self->state.limits = limits;
  self->state.nodes = std::move(nodes);
  self->state.metrics = std::move(m);
  return {
    [=](chaos_atom, fault_rule& rule, int64_t duration_ms) -> caf::result<uint64_t> {
      auto& st = self->state;
      if (auto err = admit(st, rule, duration_ms))
        return err;
      auto text = describe(rule)
                  + (duration_ms > 0 ? " for " + std::to_string(duration_ms) + " ms" : "");
      spdlog::warn("node {}: chaos: {}", st.id, text);
      auto kind = rule_kind(rule);
      auto rid = st.faults->add(std::move(rule));
      if (duration_ms > 0) {
        auto d = std::chrono::milliseconds{duration_ms};
        st.deadlines[rid] = self->clock().now() + d;
        self->delayed_send(self, d, expire_atom::value, rid);
      }
      if (auto c = st.metrics->chaos_rules_added.with({kind}))
        c->inc();
      st.metrics->events.append("fault_injected", "rule " + std::to_string(rid) + ": " + text);
      publish_rules(st);
      return rid;
    },
    [=](heal_atom) {
      auto& st = self->state;
      std::set<uint64_t> all;
      for (auto& [rid, rule] : st.faults->rules())
        all.insert(rid);
      log_healed(st, all, "healed");
      st.faults->heal();
      st.deadlines.clear();
      publish_rules(st);
      spdlog::warn("node {}: chaos: healed", st.id);
      return caf::ok_atom::value;
    },
    [=](chaos_atom) {
      std::vector<fault_status> out;
      auto now = self->clock().now();
      for (auto& [rid, rule] : self->state.faults->rules()) {
        fault_status s{rid, rule, -1};
        auto d = self->state.deadlines.find(rid);
        if (d != self->state.deadlines.end())
          s.remaining_ms = std::max<int64_t>(
            0, std::chrono::duration_cast<std::chrono::milliseconds>(d->second - now).count());
        out.push_back(std::move(s));
      }
      return out;
    },
    [=](expire_atom, uint64_t rid) {
      if (self->current_sender() != self->ctrl())
        return; // a timer of its own only
      auto& st = self->state;
      if (st.deadlines.erase(rid) == 0)
        return; // healed meanwhile
      log_healed(st, {rid}, "expired");
      st.faults->remove(rid);
      publish_rules(st);
      spdlog::warn("node {}: chaos: rule {} healed by itself", st.id, rid);
    },
  };
}

} // namespace

std::string rule_kind(const fault_rule& r) {
  switch (r.disk) {
    case disk_fault::write_error:
      return "disk_write";
    case disk_fault::fsync_error:
      return "disk_fsync";
    case disk_fault::slow:
      return "disk_slow";
    case disk_fault::none:
      break;
  }
  if (r.drop >= 1.0)
    return "partition";
  if (r.drop > 0)
    return "drop";
  if (r.duplicate > 0)
    return "duplicate";
  if (r.delay.count() > 0 || r.jitter.count() > 0)
    return "delay";
  return "none";
}

chaos_agent_actor spawn_chaos_agent(caf::actor_system& sys, node_id self_id,
                                    std::shared_ptr<fault_table> faults, chaos_limits limits,
                                    std::set<node_id> nodes,
                                    std::shared_ptr<metrics::node_metrics> metrics) {
  if (metrics == nullptr)
    metrics = std::make_shared<metrics::node_metrics>();
  return sys.spawn(agent_behavior, self_id, std::move(faults), limits, std::move(nodes),
                   std::move(metrics));
}

} // namespace cafka
