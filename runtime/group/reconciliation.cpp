#include "runtime/group/reconciliation.hpp"

#include <algorithm>
#include <cassert>
#include <set>

namespace cafka::group {

std::map<std::string, member_step>
reconcile(const assignment& target,
          const std::map<std::string, std::vector<topic_partition>>& owned) {
  // Who owns what now. Requires: no partition has two owners.
  std::map<topic_partition, std::string> owner;
  for (auto& [member, parts] : owned)
    for (auto& tp : parts) {
      [[maybe_unused]] auto inserted = owner.emplace(tp, member).second;
      assert(inserted);
    }
  std::map<std::string, member_step> out;
  auto step_for = [&](const std::string& member, const std::vector<topic_partition>& goal) {
    auto& s = out[member];
    std::set<topic_partition> want{goal.begin(), goal.end()};
    auto i = owned.find(member);
    if (i != owned.end())
      for (auto& tp : i->second) {
        if (want.count(tp) != 0)
          s.next.push_back(tp);
        else
          s.revoke.push_back(tp);
      }
    for (auto& tp : want) {
      auto o = owner.find(tp);
      if (o == owner.end()) {
        s.assign.push_back(tp);
        s.next.push_back(tp);
      } else if (o->second != member) {
        s.waiting.push_back(tp);
      }
    }
    std::sort(s.revoke.begin(), s.revoke.end());
    std::sort(s.next.begin(), s.next.end());
  };
  for (auto& [member, goal] : target)
    step_for(member, goal);
  for (auto& [member, parts] : owned)
    if (target.count(member) == 0)
      step_for(member, {});
  return out;
}

} // namespace cafka::group
