#include "runtime/cluster/broker_leases.hpp"

namespace cafka {

void broker_leases::renew(node_id id, uint64_t inc, clock::time_point now) {
  auto& l = leases_[id];
  l.incarnation = inc;
  l.last = now;
  l.reported = false;
}

void broker_leases::drop(node_id id) {
  leases_.erase(id);
}

void broker_leases::reset_all(clock::time_point now) {
  for (auto& kv : leases_) {
    kv.second.last = now;
    kv.second.reported = false;
  }
}

std::vector<std::pair<node_id, uint64_t>> broker_leases::lapsed(clock::time_point now) {
  std::vector<std::pair<node_id, uint64_t>> out;
  for (auto& kv : leases_)
    if (!kv.second.reported && now - kv.second.last > timeout_) {
      kv.second.reported = true;
      out.emplace_back(kv.first, kv.second.incarnation);
    }
  return out;
}

bool broker_leases::holds(node_id id, clock::time_point now) const {
  auto i = leases_.find(id);
  return i != leases_.end() && now - i->second.last <= timeout_;
}

} // namespace cafka
