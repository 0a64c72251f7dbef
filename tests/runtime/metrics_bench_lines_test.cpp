// The benchmarks' fixed output lines, which `cafka bench` and kafka_bench share.
#include <catch2/catch.hpp>

#include "runtime/metrics/bench_lines.hpp"

using namespace cafka::metrics;

TEST_CASE("a produce run says what its latency counts from", "[metrics]") {
  CHECK(produce_basis_line(-1) == "latency: from the send() call to the acknowledgement");
  CHECK(produce_basis_line(2500)
        == "latency: from each record's scheduled send time (2500.0 records/s) to its "
           "acknowledgement");
}

TEST_CASE("the produce summary gives rate, latency percentiles, max and failures",
          "[metrics]") {
  latency_histogram h;
  for (int64_t us = 1; us <= 100; ++us)
    h.record(us * 10);  // 10 .. 1000 us
  CHECK(produce_summary_line(1000, 2.0, 100, h, 3)
        == "1000 records sent, 500.0 records/s (0.05 MB/s), 0.505 ms avg latency, "
           "0.501 ms p50, 0.951 ms p95, 0.991 ms p99, 1.000 ms p99.9, 1.000 ms max, "
           "3 failed");
}

TEST_CASE("the e2e summary counts the records and gives the counted ones' latency",
          "[metrics]") {
  latency_histogram h;
  h.record(100);
  h.record(200);
  e2e_outcome x;
  x.sent = 20;
  x.send_secs = 2.0;
  x.received = 19;
  x.missing = 1;
  x.duplicated = 2;
  x.failed = 0;
  x.foreign = 4;
  CHECK(e2e_summary_lines(x, h)
        == "20 records sent (10.0 records/s), 19 received, 1 missing, 2 duplicated, "
           "0 failed to send, 4 foreign\n"
           "end-to-end latency of 2 records after the warm-up: p50 0.100 ms, p99 0.200 ms, "
           "p99.9 0.200 ms, max 0.200 ms, 0.150 ms avg");
  CHECK(e2e_basis_line(1000, 500, 0.5)
        == "latency: from each record's scheduled send time (1000.0 records/s, stamped in "
           "its value) to its receipt by the consumer; the first 500 records (0.5 s) are "
           "warm-up, not counted");
}
