#include "runtime/replication/isr_tracker.hpp"

#include <algorithm>
#include <cassert>

namespace cafka {

namespace {

bool contains(const std::vector<node_id>& xs, node_id x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

} // namespace

isr_tracker::isr_tracker(node_id leader, std::vector<node_id> replicas,
                         std::vector<node_id> isr, log_offset leader_end,
                         log_offset high_watermark, clock::time_point now)
  : leader_(leader),
    replicas_(std::move(replicas)),
    isr_(std::move(isr)),
    leader_end_(leader_end),
    hw_(high_watermark) {
  assert(contains(replicas_, leader_) && contains(isr_, leader_));
  for (auto r : replicas_)
    if (r != leader_)
      // A new leader gives every ISR follower a full lag window to show up.
      followers_[r] = follower{log_offset{0}, now};
  recompute_hw();
}

void isr_tracker::leader_appended(log_offset end) {
  assert(end >= leader_end_);
  leader_end_ = end;
  recompute_hw();
}

void isr_tracker::follower_fetched(node_id f, log_offset offset, clock::time_point now) {
  auto i = followers_.find(f);
  if (i == followers_.end())
    return; // not a replica of this partition
  i->second.end = std::min(offset, leader_end_);
  if (offset >= leader_end_)
    i->second.last_caught_up = now;
  recompute_hw();
}

std::vector<node_id> isr_tracker::lagging(clock::time_point now,
                                          std::chrono::milliseconds lag_max) const {
  std::vector<node_id> out;
  for (auto& [id, f] : followers_)
    if (contains(isr_, id) && f.end < leader_end_ && now - f.last_caught_up > lag_max)
      out.push_back(id);
  return out;
}

std::vector<node_id> isr_tracker::caught_up() const {
  std::vector<node_id> out;
  for (auto& [id, f] : followers_)
    if (!contains(isr_, id) && f.end >= hw_)
      out.push_back(id);
  return out;
}

void isr_tracker::set_isr(std::vector<node_id> isr) {
  assert(contains(isr, leader_));
  isr_ = std::move(isr);
  recompute_hw();
}

log_offset isr_tracker::log_end(node_id replica) const {
  if (replica == leader_)
    return leader_end_;
  auto i = followers_.find(replica);
  return i == followers_.end() ? log_offset{-1} : i->second.end;
}

void isr_tracker::recompute_hw() {
  auto low = leader_end_;
  for (auto r : isr_)
    if (r != leader_) {
      auto i = followers_.find(r);
      low = std::min(low, i == followers_.end() ? log_offset{0} : i->second.end);
    }
  // Invariant: the high watermark never moves back on the leader.
  hw_ = std::max(hw_, low);
}

} // namespace cafka
