#include "runtime/metrics/e2e_tally.hpp"

#include <cstring>

namespace cafka::metrics {

void e2e_tally::stamp(std::string& value, int64_t due_ns, uint64_t seq) {
  std::memcpy(value.data(), &due_ns, sizeof(due_ns));
  std::memcpy(value.data() + sizeof(due_ns), &seq, sizeof(seq));
}

e2e_tally::e2e_tally(int32_t partitions, int64_t records, int64_t warmup,
                     latency_recorder& latencies)
  : latencies_(latencies),
    warmup_(warmup),
    probed_partitions_(static_cast<size_t>(partitions), false),
    seen_(static_cast<size_t>(records), false) {
}

void e2e_tally::receive(int32_t partition, const char* data, size_t size, int64_t now_ns) {
  if (size < stamp_size) {
    ++foreign_;
    return;
  }
  int64_t due_ns = 0;
  uint64_t seq = 0;
  std::memcpy(&due_ns, data, sizeof(due_ns));
  std::memcpy(&seq, data + sizeof(due_ns), sizeof(seq));
  if (seq == probe_seq) {
    auto p = static_cast<size_t>(partition);
    if (partition >= 0 && p < probed_partitions_.size() && !probed_partitions_[p]) {
      probed_partitions_[p] = true;
      ++probed_;
    }
  } else if (seq >= seen_.size()) {
    ++foreign_;
  } else if (seen_[seq]) {
    ++duplicates_;
  } else {
    seen_[seq] = true;
    ++unique_;
    latencies_.record((now_ns - due_ns) / 1000, static_cast<int64_t>(seq) >= warmup_);
  }
}

e2e_outcome e2e_tally::outcome(int64_t sent, double send_secs, int64_t failed) const {
  e2e_outcome x;
  x.sent = sent;
  x.send_secs = send_secs;
  x.received = unique();
  x.missing = static_cast<int64_t>(seen_.size()) - x.received;
  x.duplicated = duplicates_;
  x.failed = failed;
  x.foreign = foreign_;
  return x;
}

} // namespace cafka::metrics
