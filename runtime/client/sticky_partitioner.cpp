#include "runtime/client/sticky_partitioner.hpp"

#include <optional>

namespace cafka {

partition_id choose_sticky_partition(partition_id candidate, int32_t num_partitions,
                                     const std::vector<partition_id>& available) {
  const partition_id first{0};
  const partition_id end{num_partitions};
  auto start = candidate < first ? first : partition_id{(candidate - first) % num_partitions};
  std::optional<partition_id> best;
  int32_t best_distance = num_partitions;
  for (auto p : available) {
    if (p < first || p >= end)
      continue;
    auto distance = (p - start + num_partitions) % num_partitions;
    if (distance < best_distance) {
      best = p;
      best_distance = distance;
    }
  }
  return best.value_or(start);
}

} // namespace cafka
