// The read-side rules of a partition leader, each written once: how far a fetch may read,
// which record a timestamp lookup may answer, and when a fetch is answered rather than
// parked. The replica actor reads its log within them. Pure functions; any thread.
#pragma once

#include <cstddef>

#include "runtime/base/ids.hpp"
#include "runtime/protocol/messages.hpp"

namespace cafka {

// The end (exclusive) of what `req` may read: the high watermark, as a consumer sees only
// records every ISR member has (Kafka's READ_UNCOMMITTED isolation); the log end for the
// group coordinator loading its own partition (`to_log_end`, refused from other nodes).
log_offset read_end(const fetch_request& req, log_offset high_watermark, log_offset log_end);

// Whether a timestamp lookup (ListOffsets) may answer the record at `offset`: only a record
// below the high watermark, the same records a consumer fetch sees.
bool visible_to_consumers(log_offset offset, log_offset high_watermark);

// The bytes a fetch waits for: its min_bytes, at least one byte and at most its max_bytes
// (at least 1). A fetch whose min_bytes exceeds its max_bytes could never be answered before
// max_wait; clamped, it is answered once it read max_bytes, as Kafka clients expect.
size_t min_bytes_to_answer(int32_t min_bytes, int32_t max_bytes);

// Whether a fetch that read `bytes` is answered now: it holds min_bytes_to_answer(min_bytes,
// max_bytes), or it may not wait (max_wait_ms <= 0). Otherwise it is parked until the high
// watermark advances (then asked again) or max_wait_ms passes (then answered as it is).
bool fetch_answers_now(const fetch_request& req, size_t bytes);

// What a replica does with a fetch that fetch_answers_now() says must wait, given the long
// polls it has parked already and its cap (max-parked-fetches-per-partition).
enum class park_verdict { park, refuse };
park_verdict park_or_refuse(size_t parked, int32_t max_parked);

} // namespace cafka
