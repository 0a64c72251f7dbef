// Counting the records and bytes of a log read (whole record batches, concatenated) for the
// node's metrics: what a replica appends and serves, what a Kafka session answers. Pure; any
// thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace cafka {

struct batch_totals {
  uint64_t records = 0;
  uint64_t bytes = 0;
};

// The records and bytes of the whole batches at the front of `records`; a torn tail (a read
// cut at its size limit) counts nothing.
batch_totals count_batches(std::string_view records);

} // namespace cafka
