#include "runtime/replication/consumer_reads.hpp"

#include <algorithm>

namespace cafka {

log_offset read_end(const fetch_request& req, log_offset high_watermark, log_offset log_end) {
  return req.to_log_end ? log_end : high_watermark;
}

bool visible_to_consumers(log_offset offset, log_offset high_watermark) {
  return offset < high_watermark;
}

size_t min_bytes_to_answer(int32_t min_bytes, int32_t max_bytes) {
  return static_cast<size_t>(std::clamp(min_bytes, 1, std::max(1, max_bytes)));
}

bool fetch_answers_now(const fetch_request& req, size_t bytes) {
  return req.max_wait_ms <= 0 || bytes >= min_bytes_to_answer(req.min_bytes, req.max_bytes);
}

park_verdict park_or_refuse(size_t parked, int32_t max_parked) {
  return parked < static_cast<size_t>(std::max(0, max_parked)) ? park_verdict::park
                                                               : park_verdict::refuse;
}

} // namespace cafka
