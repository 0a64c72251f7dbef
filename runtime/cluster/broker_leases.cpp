#include "runtime/cluster/broker_leases.hpp"

#include <cassert>

namespace cafka {

void broker_leases::renew(node_id id, uint64_t inc, clock::time_point now) {
  auto& l = leases_[id];
  l.incarnation = inc;
  l.last = now;
  l.reported = false;
  l.gone = false;
}

void broker_leases::drop(node_id id) {
  leases_.erase(id);
}

void broker_leases::gone(node_id id, uint64_t inc) {
  auto i = leases_.find(id);
  if (i == leases_.end() || i->second.incarnation != inc)
    return;
  i->second.gone = true;
}

void broker_leases::take_over(clock::time_point now, std::chrono::milliseconds grace) {
  assert(grace <= timeout_);
  auto floor = now - timeout_ + grace;
  for (auto& kv : leases_) {
    kv.second.reported = false;
    if (!kv.second.gone && kv.second.last < floor)
      kv.second.last = floor;
  }
}

std::vector<std::pair<node_id, uint64_t>> broker_leases::lapsed(clock::time_point now) {
  std::vector<std::pair<node_id, uint64_t>> out;
  for (auto& kv : leases_)
    if (!kv.second.reported && (kv.second.gone || now - kv.second.last > timeout_)) {
      kv.second.reported = true;
      out.emplace_back(kv.first, kv.second.incarnation);
    }
  return out;
}

bool broker_leases::holds(node_id id, clock::time_point now) const {
  auto i = leases_.find(id);
  return i != leases_.end() && !i->second.gone && now - i->second.last <= timeout_;
}

} // namespace cafka
