// Kafka's default partitioner hash: murmur2 with seed 0x9747b28c, byte-identical to
// org.apache.kafka.common.utils.Utils.murmur2, plus the keyed partition choice.
// Pure functions; safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cafka {

int32_t murmur2(const void* data, size_t n);

// Utils.toPositive(murmur2(key)) % num_partitions. Requires: num_partitions > 0.
int32_t partition_for_key(std::string_view key, int32_t num_partitions);

} // namespace cafka
