#include "runtime/cluster/reassignment.hpp"

#include <algorithm>
#include <map>

#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

bool contains(const std::vector<node_id>& xs, node_id id) {
  return std::find(xs.begin(), xs.end(), id) != xs.end();
}

bool is_alive(const cluster_metadata& md, node_id id) {
  auto b = md.find_broker(id);
  return b != nullptr && b->alive;
}

std::vector<node_id> without(const std::vector<node_id>& xs, const std::vector<node_id>& ys) {
  std::vector<node_id> out;
  for (auto x : xs)
    if (!contains(ys, x))
      out.push_back(x);
  return out;
}

// The members of `set` in the order of `order` (an ISR in replica order).
std::vector<node_id> in_order(const std::vector<node_id>& order,
                              const std::vector<node_id>& set) {
  std::vector<node_id> out;
  for (auto x : order)
    if (contains(set, x))
      out.push_back(x);
  return out;
}

partition_metadata* find_mutable(cluster_metadata& md, const topic_partition& tp) {
  for (auto& t : md.topics)
    if (t.name == tp.topic)
      for (auto& p : t.partitions)
        if (p.id == tp.partition)
          return &p;
  return nullptr;
}

std::string joined(const std::vector<node_id>& xs) {
  std::string out;
  for (auto x : xs)
    out += (out.empty() ? "" : ",") + to_string(x);
  return out;
}

// A leader outside the replicas hands over to the first live ISR member in replica order
// (none: the partition goes offline), in a new leader epoch.
void hand_over_leadership(const cluster_metadata& md, partition_metadata& p) {
  if (p.leader == no_node || contains(p.replicas, p.leader))
    return;
  auto next = std::find_if(p.isr.begin(), p.isr.end(), [&](node_id r) {
    return is_alive(md, r);
  });
  p.leader = next != p.isr.end() ? *next : no_node;
  p.epoch += 1;
}

// The replica set becomes `replicas` (no move in progress): the ISR keeps its members in it,
// and a leader outside it hands over (hand_over_leadership).
// Requires: some ISR member is in `replicas` (check_reassignment).
void settle(const cluster_metadata& md, partition_metadata& p, std::vector<node_id> replicas) {
  p.isr = in_order(replicas, p.isr);
  p.replicas = std::move(replicas);
  p.adding_replicas.clear();
  p.removing_replicas.clear();
  hand_over_leadership(md, p);
}

} // namespace

std::vector<node_id> target_replicas(const partition_metadata& p) {
  return without(p.replicas, p.removing_replicas);
}

std::vector<node_id> original_replicas(const partition_metadata& p) {
  return without(p.replicas, p.adding_replicas);
}

caf::error check_reassignment(const cluster_metadata& md, const partition_reassignment& r) {
  auto name = to_string(r.tp);
  auto p = md.find_partition(r.tp);
  if (p == nullptr)
    return make_error(errc::unknown_topic_or_partition,
                      "topic partition " + name + " does not exist");
  if (r.cancel) {
    if (!is_reassigning(*p))
      return make_error(errc::no_reassignment_in_progress,
                        "no reassignment of " + name + " is in progress");
    // The original replicas must be able to lead: one of them alive and in sync.
    for (auto x : original_replicas(*p))
      if (contains(p->isr, x) && is_alive(md, x))
        return {};
    return make_error(errc::invalid_replica_assignment,
                      "cancelling the move of " + name
                        + " would leave it no live in-sync replica");
  }
  auto& target = r.replicas;
  if (target.empty())
    return make_error(errc::invalid_replica_assignment,
                      "the replicas of " + name + " cannot be empty");
  for (size_t i = 0; i < target.size(); ++i) {
    auto id = target[i];
    if (std::find(target.begin() + static_cast<std::ptrdiff_t>(i) + 1, target.end(), id)
        != target.end())
      return make_error(errc::invalid_replica_assignment,
                        "broker " + to_string(id) + " is listed twice in the replicas of "
                          + name);
    if (md.find_broker(id) == nullptr)
      return make_error(errc::invalid_replica_assignment,
                        "broker " + to_string(id) + " in the replicas of " + name
                          + " is not a registered broker");
    if (contains(md.draining, id) && !contains(p->replicas, id))
      return make_error(errc::invalid_replica_assignment,
                        "broker " + to_string(id) + " in the replicas of " + name
                          + " is being decommissioned");
  }
  // What stays in any case: the original replicas that are also targets, or the target
  // replicas already in the ISR (a move that only drops replicas settles at once).
  auto original = original_replicas(*p);
  bool keeps_isr = false;
  for (auto x : p->isr)
    keeps_isr = keeps_isr || contains(target, x) || contains(original, x);
  if (!keeps_isr)
    return make_error(errc::invalid_replica_assignment,
                      "moving " + name + " to [" + joined(target)
                        + "] would leave it no in-sync replica");
  return {};
}

caf::error apply_reassignment(cluster_metadata& md, const partition_reassignment& r) {
  if (auto err = check_reassignment(md, r))
    return err;
  auto& p = *find_mutable(md, r.tp);
  auto original = original_replicas(p);
  auto target = r.cancel ? original : r.replicas;
  auto adding = without(target, original);
  auto removing = without(original, target);
  if (r.cancel || (adding.empty() && removing.empty())) {
    // A cancel (checked above), or a target with the original replicas in another order.
    settle(md, p, target);
  } else {
    auto replicas = target;
    for (auto x : removing)
      replicas.push_back(x);
    p.isr = in_order(replicas, p.isr);
    p.replicas = std::move(replicas);
    p.adding_replicas = std::move(adding);
    p.removing_replicas = std::move(removing);
    // Not complete yet: an earlier move's adding replica that led and is no longer wanted
    // hands over.
    if (!complete_reassignment(md, p))
      hand_over_leadership(md, p);
  }
  p.partition_epoch += 1;
  return {};
}

bool complete_reassignment(const cluster_metadata& md, partition_metadata& p) {
  if (!is_reassigning(p))
    return false;
  auto target = target_replicas(p);
  for (auto r : target)
    if (!contains(p.isr, r))
      return false;
  settle(md, p, target);
  p.partition_epoch += 1;
  return true;
}

caf::error decommission_broker(cluster_metadata& md, node_id id) {
  if (md.find_broker(id) == nullptr)
    return make_error(errc::invalid_request,
                      "broker " + to_string(id) + " is not a registered broker");
  // Target replicas per broker, the load the replacements even out.
  std::map<node_id, size_t> load;
  for (auto& b : md.brokers)
    if (b.alive && b.id != id && !contains(md.draining, b.id))
      load[b.id] = 0;
  for (auto& t : md.topics)
    for (auto& p : t.partitions)
      for (auto r : target_replicas(p))
        if (load.count(r) > 0)
          ++load[r];
  std::vector<partition_reassignment> moves;
  for (auto& t : md.topics)
    for (auto& p : t.partitions) {
      auto target = target_replicas(p);
      auto at = std::find(target.begin(), target.end(), id);
      if (at == target.end())
        continue;
      node_id best = no_node;
      for (auto& [b, n] : load)
        if (!contains(p.replicas, b) && (best == no_node || n < load[best]))
          best = b;
      topic_partition tp{t.name, p.id};
      if (best == no_node)
        return make_error(errc::invalid_replication_factor,
                          "no live broker can take broker " + to_string(id)
                            + "'s replica of " + to_string(tp));
      *at = best;
      ++load[best];
      moves.push_back({tp, target, false});
    }
  for (auto& m : moves)
    if (auto err = check_reassignment(md, m))
      return err;
  for (auto& m : moves)
    static_cast<void>(apply_reassignment(md, m)); // checked above; moves are disjoint
  if (!contains(md.draining, id)) {
    md.draining.push_back(id);
    std::sort(md.draining.begin(), md.draining.end());
  }
  return {};
}

bool recommission_broker(cluster_metadata& md, node_id id) {
  auto i = std::find(md.draining.begin(), md.draining.end(), id);
  if (i == md.draining.end())
    return false;
  md.draining.erase(i);
  return true;
}

} // namespace cafka
