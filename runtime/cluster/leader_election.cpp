#include "runtime/cluster/leader_election.hpp"

#include <algorithm>
#include <cassert>

#include "runtime/cluster/topic_config.hpp"

namespace cafka {

namespace {

bool is_alive(const cluster_metadata& md, node_id id) {
  auto b = md.find_broker(id);
  return b != nullptr && b->alive;
}

bool contains(const std::vector<node_id>& xs, node_id id) {
  return std::find(xs.begin(), xs.end(), id) != xs.end();
}

// A new leader: the leader epoch moves on (callers bump the partition epoch once).
void set_leader(partition_metadata& p, node_id leader) {
  p.leader = leader;
  p.epoch += 1;
}

// The preferred replica, if it should lead now (alive, in the ISR, not leading).
bool preferred_can_lead(const cluster_metadata& md, const partition_metadata& p) {
  if (p.replicas.empty())
    return false;
  auto preferred = p.replicas.front();
  return preferred != p.leader && is_alive(md, preferred) && contains(p.isr, preferred);
}

// The topic's unclean.leader.election.enable if it overrides it, else the cluster's.
bool unclean_for(const topic_metadata& t, bool cluster_unclean) {
  auto v = find_config(t.configs, "unclean.leader.election.enable");
  return v ? *v == "true" : cluster_unclean;
}

} // namespace

std::vector<elected_leader> on_broker_fenced(cluster_metadata& md, node_id id, bool unclean) {
  // Requires: the fenced broker is no longer alive (the rules below skip dead brokers).
  assert(!is_alive(md, id));
  std::vector<elected_leader> unclean_elected;
  for (auto& t : md.topics) {
    bool unclean_here = unclean_for(t, unclean);
    for (auto& p : t.partitions) {
      bool changed = false;
      auto in_isr = std::find(p.isr.begin(), p.isr.end(), id);
      if (in_isr != p.isr.end() && p.isr.size() > 1) {
        p.isr.erase(in_isr);
        changed = true;
      }
      if (p.leader == id) {
        changed = true;
        auto next = std::find_if(p.isr.begin(), p.isr.end(), [&](node_id r) {
          return r != id && is_alive(md, r);
        });
        if (next != p.isr.end()) {
          set_leader(p, *next);
        } else if (auto r = std::find_if(p.replicas.begin(), p.replicas.end(),
                                         [&](node_id x) { return is_alive(md, x); });
                   unclean_here && r != p.replicas.end()) {
          set_leader(p, *r);
          p.isr = {*r};
          unclean_elected.push_back({topic_partition{t.name, p.id}, *r});
        } else {
          set_leader(p, no_node);
        }
      }
      if (changed)
        p.partition_epoch += 1;
      // Invariant: the leader (if any) is a live ISR member.
      assert(p.leader == no_node || (is_alive(md, p.leader) && contains(p.isr, p.leader)));
    }
  }
  return unclean_elected;
}

std::vector<elected_leader> on_broker_unfenced(cluster_metadata& md, node_id id,
                                               bool unclean) {
  // Requires: the broker is alive again.
  assert(is_alive(md, id));
  std::vector<elected_leader> unclean_elected;
  for (auto& t : md.topics)
    for (auto& p : t.partitions) {
      if (p.leader != no_node)
        continue;
      if (contains(p.isr, id)) {
        set_leader(p, id);
        p.partition_epoch += 1;
      } else if (unclean_for(t, unclean) && contains(p.replicas, id)) {
        set_leader(p, id);
        p.isr = {id};
        p.partition_epoch += 1;
        unclean_elected.push_back({topic_partition{t.name, p.id}, id});
      }
    }
  return unclean_elected;
}

bool has_preferred_leader_imbalance(const cluster_metadata& md) {
  for (auto& t : md.topics)
    for (auto& p : t.partitions)
      if (preferred_can_lead(md, p))
        return true;
  return false;
}

std::vector<elected_leader> elect_preferred_leaders(cluster_metadata& md) {
  std::vector<elected_leader> moved;
  for (auto& t : md.topics)
    for (auto& p : t.partitions)
      if (preferred_can_lead(md, p)) {
        set_leader(p, p.replicas.front());
        p.partition_epoch += 1;
        moved.push_back({topic_partition{t.name, p.id}, p.leader});
      }
  return moved;
}

} // namespace cafka
