// The end-to-end latency benchmark's records (`cafka bench e2e`, kafka_bench e2e): how a
// value is stamped with its due time and sequence number, and the reading side's tally of
// what came back (first copies, duplicates, probes, records of someone else). Stamping is
// pure; a tally is fed by one reading thread, while probed() and unique() may be read from
// any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "runtime/metrics/bench_lines.hpp"
#include "runtime/metrics/latency_recorder.hpp"

namespace cafka::metrics {

class e2e_tally {
public:
  // A value starts with the due time (steady clock, ns since its epoch) and the sequence
  // number, 8 bytes each in the host's order (writer and reader share the process).
  static constexpr size_t stamp_size = 16;
  // The sequence number of a probe: a record sent to one partition before the run, to learn
  // that the consumer reads there.
  static constexpr uint64_t probe_seq = ~uint64_t{0};

  // Requires: value.size() >= stamp_size.
  static void stamp(std::string& value, int64_t due_ns, uint64_t seq);

  // records: the run's sequence numbers are 0 .. records - 1; those below warmup are
  // recorded as not counted.
  e2e_tally(int32_t partitions, int64_t records, int64_t warmup, latency_recorder& latencies);

  // One record read from `partition` at now_ns (steady clock): a first copy of the run
  // records now_ns - its due time; a probe marks its partition read; anything else counts as
  // a duplicate or as foreign.
  void receive(int32_t partition, const char* data, size_t size, int64_t now_ns);

  // Partitions whose probe arrived; records of the run received (first copies).
  int64_t probed() const { return probed_.load(); }
  int64_t unique() const { return unique_.load(); }
  // Read once the reading thread stopped.
  int64_t duplicates() const { return duplicates_; }
  int64_t foreign() const { return foreign_; }  // not stamped, or not of this run

  // The run's counts for its summary, once the reading thread stopped: `sent` records sent
  // in send_secs, `failed` of them with a failed delivery report.
  e2e_outcome outcome(int64_t sent, double send_secs, int64_t failed) const;

private:
  latency_recorder& latencies_;
  const int64_t warmup_;
  std::vector<bool> probed_partitions_;
  std::vector<bool> seen_;  // by sequence number
  std::atomic<int64_t> probed_{0};
  std::atomic<int64_t> unique_{0};
  int64_t duplicates_ = 0;
  int64_t foreign_ = 0;
};

// Checks pred() every 5 ms until it holds (true) or timeout passed (false): how the
// benchmark's main thread waits for the reading thread's counts.
template <class Pred>
bool poll_until(Pred pred, std::chrono::steady_clock::duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return true;
}

} // namespace cafka::metrics
