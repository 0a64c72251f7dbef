// The log settings of cluster.conf (Kafka's log.* names) that every partition log is opened
// with: segment size, retention, index interval, flush policy. A plain value; any thread.
#pragma once

#include <cstdint>
#include <limits>

namespace cafka {

struct log_config {
  uint64_t segment_bytes = 1ull << 30;           // log.segment.bytes
  int64_t retention_ms = 7ll * 24 * 3600 * 1000;  // log.retention.ms; -1 = keep forever
  int64_t retention_bytes = -1;                   // log.retention.bytes; -1 = no size limit
  uint32_t index_interval_bytes = 4096;           // log.index.interval.bytes
  int64_t flush_messages = std::numeric_limits<int64_t>::max(); // flush.messages
  int64_t flush_ms = std::numeric_limits<int64_t>::max();       // flush.ms

  // A flush policy is set: the log fsyncs itself as it is written.
  bool has_flush_policy() const {
    return flush_messages != std::numeric_limits<int64_t>::max()
           || flush_ms != std::numeric_limits<int64_t>::max();
  }
};

} // namespace cafka
