#include "runtime/client/sticky_partitioner.hpp"

namespace cafka {

int32_t choose_sticky_partition(int32_t candidate, int32_t num_partitions,
                                const std::vector<int32_t>& available) {
  auto start = candidate < 0 ? 0 : candidate % num_partitions;
  int32_t best = -1;
  int32_t best_distance = num_partitions;
  for (auto p : available) {
    if (p < 0 || p >= num_partitions)
      continue;
    auto distance = (p - start + num_partitions) % num_partitions;
    if (distance < best_distance) {
      best = p;
      best_distance = distance;
    }
  }
  return best >= 0 ? best : start;
}

} // namespace cafka
