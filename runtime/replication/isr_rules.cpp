#include "runtime/replication/isr_rules.hpp"

#include <algorithm>

namespace cafka {

log_offset next_high_watermark(log_offset hw, log_offset leader_end,
                               const std::vector<log_offset>& follower_ends) {
  auto low = leader_end;
  for (auto end : follower_ends)
    low = std::min(low, end);
  // Invariant: the high watermark never moves back.
  return std::max(hw, low);
}

log_offset recovered_high_watermark(std::optional<log_offset> checkpointed,
                                    log_offset log_end) {
  return std::min(checkpointed.value_or(log_offset{0}), log_end);
}

bool may_join_isr(log_offset follower_end, log_offset hw, log_offset epoch_start) {
  return follower_end >= hw && follower_end >= epoch_start;
}

bool is_lagging(log_offset follower_end, int64_t last_caught_up_ms, log_offset leader_end,
                int64_t now_ms, int64_t lag_max_ms) {
  return follower_end < leader_end && now_ms - last_caught_up_ms > lag_max_ms;
}

ack_verdict acks_all_verdict(log_offset end, log_offset hw, size_t committed_isr_size,
                             int32_t min_insync_replicas) {
  if (hw < end)
    return ack_verdict::wait;
  if (static_cast<int64_t>(committed_isr_size) < min_insync_replicas)
    return ack_verdict::too_few_replicas;
  return ack_verdict::acknowledge;
}

} // namespace cafka
