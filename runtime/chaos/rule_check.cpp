#include "runtime/chaos/rule_check.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

caf::error bad(const std::string& what) {
  return make_error(errc::invalid_request, what);
}

std::string ms(int64_t x) {
  return std::to_string(x) + " ms";
}

caf::error check_probability(const char* name, double p) {
  if (std::isfinite(p) && p >= 0.0 && p <= 1.0)
    return {};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", p);
  return bad(std::string{name} + " probability must be between 0 and 1, got " + buf);
}

// x in [0, cap]; `cap_key` names the cap's cluster.conf key.
caf::error check_ms(const char* name, int64_t x, int64_t cap, const char* cap_key) {
  if (x < 0)
    return bad(std::string{name} + " must not be negative, got " + ms(x));
  if (x > cap)
    return bad(std::string{name} + " " + ms(x) + " is over " + cap_key + " (" + ms(cap) + ")");
  return {};
}

caf::error check_nodes(const char* name, const std::set<node_id>& xs,
                       const std::set<node_id>& nodes) {
  if (xs.size() > nodes.size())
    return bad(std::string{name} + " names " + std::to_string(xs.size())
               + " nodes, the cluster has " + std::to_string(nodes.size()));
  for (auto x : xs)
    if (nodes.count(x) == 0)
      return bad(std::string{name} + " names node " + to_string(x)
                 + ", which is not in the cluster's config");
  return {};
}

} // namespace

caf::error validate_rule(const fault_rule& rule, int64_t duration_ms, const chaos_limits& lim,
                         const std::set<node_id>& nodes) {
  if (static_cast<uint8_t>(rule.disk) > static_cast<uint8_t>(disk_fault::slow))
    return bad("unknown disk fault " + std::to_string(static_cast<unsigned>(rule.disk)));
  caf::error err;
  if ((err = check_probability("drop", rule.drop))
      || (err = check_probability("duplicate", rule.duplicate))
      || (err = check_ms("delay", rule.delay.count(), lim.max_delay_ms, "chaos-max-delay-ms"))
      || (err = check_ms("jitter", rule.jitter.count(), lim.max_delay_ms,
                         "chaos-max-delay-ms"))
      || (err = check_ms("duration", duration_ms, lim.max_duration_ms,
                         "chaos-max-duration-ms"))
      || (err = check_nodes("from", rule.from, nodes))
      || (err = check_nodes("to", rule.to, nodes)))
    return err;
  // Both are at most max_delay_ms here: the sum cannot overflow.
  auto stall = rule.delay.count() + rule.jitter.count();
  if (rule.disk == disk_fault::slow && stall > lim.max_disk_delay_ms)
    return bad("slow disk delay + jitter " + ms(stall) + " is over chaos-max-disk-delay-ms ("
               + ms(lim.max_disk_delay_ms) + ")");
  return {};
}

caf::error check_room(size_t active, const chaos_limits& lim) {
  if (active < static_cast<size_t>(lim.max_rules))
    return {};
  return bad("the node has " + std::to_string(active) + " rules, chaos-max-rules is "
             + std::to_string(lim.max_rules) + " (heal first)");
}

caf::error check_disk_stall(const fault_rule& rule,
                            const std::vector<std::pair<uint64_t, fault_rule>>& active,
                            const chaos_limits& lim) {
  if (rule.disk != disk_fault::slow)
    return {};
  auto stall = [](const fault_rule& r) {
    return r.disk == disk_fault::slow ? (r.delay + r.jitter).count() : int64_t{0};
  };
  int64_t total = stall(rule);
  for (auto& kv : active)
    total += stall(kv.second);
  if (total <= lim.max_disk_delay_ms)
    return {};
  return bad("slow disk rules would stall each write " + std::to_string(total)
             + " ms together, chaos-max-disk-delay-ms is "
             + std::to_string(lim.max_disk_delay_ms) + " ms");
}

caf::error chaos_disabled_error(node_id id) {
  return make_error(errc::chaos_disabled,
                    "chaos is disabled on node " + to_string(id)
                      + " (set chaos-enable=true in cluster.conf's [cluster] section)");
}

} // namespace cafka
