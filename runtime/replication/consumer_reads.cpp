#include "runtime/replication/consumer_reads.hpp"

#include <algorithm>

namespace cafka {

log_offset read_end(const fetch_request& req, log_offset high_watermark, log_offset log_end) {
  return req.to_log_end ? log_end : high_watermark;
}

bool visible_to_consumers(log_offset offset, log_offset high_watermark) {
  return offset < high_watermark;
}

bool fetch_answers_now(const fetch_request& req, size_t bytes) {
  return req.max_wait_ms <= 0 || bytes >= static_cast<size_t>(std::max(1, req.min_bytes));
}

} // namespace cafka
