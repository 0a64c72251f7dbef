// A benchmark's latencies as they arrive, from any thread (delivery callbacks, a consumer
// thread): the current second's histogram and the run's, and a thread that prints one line
// per second. `cafka bench` and kafka_bench both use it, so both protocols print alike.
// Thread-safe; owned by the benchmark's main thread, which starts and stops the printing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/metrics/latency_histogram.hpp"

namespace cafka::metrics {

class latency_recorder {
public:
  // noun: what happened to a recorded record ("acked", "received"); record_size: bytes per
  // record, for the MB/s figure.
  latency_recorder(std::string noun, int64_t record_size);
  ~latency_recorder();  // stop_printing()

  latency_recorder(const latency_recorder&) = delete;
  latency_recorder& operator=(const latency_recorder&) = delete;

  // One record's latency. counted = false for a warm-up record: the per-second lines show it,
  // total() does not.
  void record(int64_t us, bool counted = true);

  // Starts a thread that prints to stdout, at each whole second after now,
  //   "<n> records <noun>, <r> records/s (<m> MB/s), p50 .. ms, p99 .., p99.9 .., max .."
  // with n the records recorded so far and the rest about those of that second (take_interval).
  // Requires: not printing.
  void start_printing();
  // Stops and joins that thread (no more lines); nothing to do if it is not running.
  void stop_printing();

  // The records recorded since the previous call (or the start), which then count anew.
  latency_histogram take_interval();
  // The counted records of the whole run.
  latency_histogram total() const;
  // Every record recorded, counted or not.
  int64_t recorded() const;

private:
  void print_loop(std::chrono::steady_clock::time_point start);

  const std::string noun_;
  const int64_t record_size_;
  mutable std::mutex mtx_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  latency_histogram interval_;  // guarded by mtx_
  latency_histogram total_;     // guarded by mtx_
  int64_t recorded_ = 0;        // guarded by mtx_
  std::thread printer_;
};

} // namespace cafka::metrics
