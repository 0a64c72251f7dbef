// Incremental rebalancing of a consumer group (Kafka's KIP-848 reconciliation): from the
// target assignment and what every member has confirmed it owns, what each member must give
// up now and what it may take now. Pure function; the group manager actor runs it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "runtime/group/assignor.hpp"

namespace cafka::group {

struct member_step {
  // Owned but no longer in the member's target: it must stop reading them and confirm.
  std::vector<topic_partition> revoke;
  // In its target and owned by no other member: it may start reading them.
  std::vector<topic_partition> assign;
  // What it should own once it has applied both (sorted).
  std::vector<topic_partition> next;
  // Partitions of its target that still wait for another member's revocation.
  std::vector<topic_partition> waiting;
};

// Requires: `owned` lists are disjoint (no partition has two owners), which the steps keep:
// a partition is handed out only when no other member owns it, and owners only lose
// partitions. Members in `target` without an entry in `owned` own nothing; members in
// `owned` missing from `target` (they left) must revoke everything.
// Invariant: only partitions that move are revoked (revoke = owned \ target).
std::map<std::string, member_step>
reconcile(const assignment& target, const std::map<std::string, std::vector<topic_partition>>& owned);

} // namespace cafka::group
