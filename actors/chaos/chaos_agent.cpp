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
  static inline const char* name = "chaos_agent";
};

// The agent's interface plus its own timer: a rule's time is up (a self-message only).
using agent_timers_actor = chaos_agent_actor::extend<caf::reacts_to<expire_atom, uint64_t>>;
using agent_self = agent_timers_actor::stateful_pointer<agent_state>;

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
                                                 chaos_limits limits, std::set<node_id> nodes) {
  self->state.id = id;
  self->state.faults = std::move(faults);
  self->state.limits = limits;
  self->state.nodes = std::move(nodes);
  return {
    [=](chaos_atom, fault_rule& rule, int64_t duration_ms) -> caf::result<uint64_t> {
      if (auto err = admit(self->state, rule, duration_ms))
        return err;
      auto& table = *self->state.faults;
      spdlog::warn("node {}: chaos: {}{}", self->state.id, describe(rule),
                   duration_ms > 0 ? " for " + std::to_string(duration_ms) + " ms" : "");
      auto rid = table.add(std::move(rule));
      if (duration_ms > 0) {
        auto d = std::chrono::milliseconds{duration_ms};
        self->state.deadlines[rid] = self->clock().now() + d;
        self->delayed_send(self, d, expire_atom::value, rid);
      }
      return rid;
    },
    [=](heal_atom) {
      self->state.faults->heal();
      self->state.deadlines.clear();
      spdlog::warn("node {}: chaos: healed", self->state.id);
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
      if (self->state.deadlines.erase(rid) == 0)
        return; // healed meanwhile
      self->state.faults->remove(rid);
      spdlog::warn("node {}: chaos: rule {} healed by itself", self->state.id, rid);
    },
  };
}

} // namespace

chaos_agent_actor spawn_chaos_agent(caf::actor_system& sys, node_id self_id,
                                    std::shared_ptr<fault_table> faults, chaos_limits limits,
                                    std::set<node_id> nodes) {
  return sys.spawn(agent_behavior, self_id, std::move(faults), limits, std::move(nodes));
}

} // namespace cafka
