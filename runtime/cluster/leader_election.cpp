#include "runtime/cluster/leader_election.hpp"

#include <algorithm>
#include <cassert>

namespace cafka {

namespace {

bool is_alive(const cluster_metadata& md, node_id id) {
  auto b = md.find_broker(id);
  return b != nullptr && b->alive;
}

} // namespace

void on_broker_fenced(cluster_metadata& md, node_id id) {
  for (auto& t : md.topics) {
    for (auto& p : t.partitions) {
      auto in_isr = std::find(p.isr.begin(), p.isr.end(), id);
      if (in_isr != p.isr.end() && p.isr.size() > 1)
        p.isr.erase(in_isr);
      if (p.leader != id)
        continue;
      auto next = std::find_if(p.isr.begin(), p.isr.end(), [&](node_id r) {
        return r != id && is_alive(md, r);
      });
      p.leader = next != p.isr.end() ? *next : no_leader;
      p.epoch += 1;
      // Invariant: the new leader (if any) is a live ISR member.
      assert(p.leader == no_leader || is_alive(md, p.leader));
    }
  }
}

void on_broker_unfenced(cluster_metadata& md, node_id id) {
  for (auto& t : md.topics)
    for (auto& p : t.partitions)
      if (p.leader == no_leader && std::find(p.isr.begin(), p.isr.end(), id) != p.isr.end()) {
        p.leader = id;
        p.epoch += 1;
      }
}

} // namespace cafka
