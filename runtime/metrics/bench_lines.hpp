// The benchmarks' fixed output lines, shared by `cafka bench` and kafka_bench so that both
// protocols print alike (the per-second lines come from latency_recorder). Each is one line
// without its newline, except where said. Pure; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/metrics/latency_histogram.hpp"

namespace cafka::metrics {

// What a produce run's latency counts from: each record's scheduled send time when paced
// (throughput > 0), else the send() call.
std::string produce_basis_line(double throughput);

// "<sent> records sent, <r> records/s (<m> MB/s), <avg> ms avg latency, <p50> ms p50, ...
// p95, p99, p99.9, max, <failed> failed".
std::string produce_summary_line(int64_t sent, double secs, int64_t record_size,
                                 const latency_histogram& h, int64_t failed);

// What an end-to-end run's latency counts from, and how many records are warm-up.
std::string e2e_basis_line(double throughput, int64_t warmup_records, double warmup_s);

struct e2e_outcome {
  int64_t sent = 0;
  double send_secs = 0;
  int64_t received = 0;  // first copies
  int64_t missing = 0;
  int64_t duplicated = 0;
  int64_t failed = 0;    // delivery reports with an error
  int64_t foreign = 0;   // records not of the run
};

// Two lines (a newline between them): the counts, then the counted records' latency.
std::string e2e_summary_lines(const e2e_outcome& x, const latency_histogram& h);

} // namespace cafka::metrics
