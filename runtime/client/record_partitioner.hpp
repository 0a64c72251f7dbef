// Where a producer record goes: its explicit partition, its key's hash, or the sticky
// partition among those with a leader. Shared by the producer facade (user threads) and the
// producer actor; functions of their arguments, thread-safe as the accumulator is.
#pragma once

#include <cstdint>

#include <caf/expected.hpp>

#include "runtime/client/client_types.hpp"
#include "runtime/client/record_accumulator.hpp"
#include "runtime/cluster/metadata.hpp"

namespace cafka {

// The partition of r in a topic of num_partitions partitions: r.partition if set (an
// unknown_topic_or_partition error if the topic has no such partition), else the key's
// murmur2 partition, else acc's sticky partition. Requires: num_partitions > 0.
caf::expected<partition_id> partition_of(const producer_record& r, int32_t num_partitions,
                                         record_accumulator& acc);

// The partitions of each topic whose leader is a live broker of md.
record_accumulator::partition_availability available_partitions(const cluster_metadata& md);

} // namespace cafka
