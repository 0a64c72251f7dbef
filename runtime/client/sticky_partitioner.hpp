// The choice of the sticky partition for keyless records (Kafka's sticky partitioner,
// KIP-480): only partitions with a leader, unless none has one. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/base/ids.hpp"

namespace cafka {

// The partition a keyless record of a topic with `num_partitions` partitions goes to, given
// `candidate` (the sticky partition, or the next one after its batch was closed) and the
// partitions that have a leader (`available`, sorted or not). Returns the first available
// partition at or after candidate, wrapping around; if none of available is below
// num_partitions, candidate modulo num_partitions. Requires: num_partitions > 0.
partition_id choose_sticky_partition(partition_id candidate, int32_t num_partitions,
                                     const std::vector<partition_id>& available);

} // namespace cafka
