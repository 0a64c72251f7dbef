// A topic's compression.type applied to a produced batch: the leader rewrites a batch whose
// codec is not the topic's (Kafka's broker-side recompression). Pure; any thread.
#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "runtime/protocol/compression.hpp"

namespace cafka {

// `batch` with its records compressed with `codec` (none: uncompressed) and everything else
// kept: base offset, epochs, producer fields, timestamps, record_count, last_offset_delta;
// batch_length and the CRC recomputed. The same bytes if the batch has that codec already.
// Errors: for_each_stored_record's for a malformed batch (decompressing at most
// max_uncompressed bytes), errc::corrupt_message if compressing fails.
// Requires: batch is one whole batch that passed validate_batch.
caf::expected<std::string> recompress_batch(std::string_view batch, compression_codec codec,
                                            size_t max_uncompressed);

} // namespace cafka
