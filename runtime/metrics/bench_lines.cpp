#include "runtime/metrics/bench_lines.hpp"

#include <cstdio>

namespace cafka::metrics {

namespace {

double ms(int64_t us) {
  return static_cast<double>(us) / 1e3;
}

} // namespace

std::string produce_basis_line(double throughput) {
  if (throughput <= 0)
    return "latency: from the send() call to the acknowledgement";
  char buf[160];
  std::snprintf(buf, sizeof(buf),
                "latency: from each record's scheduled send time (%.1f records/s) to its "
                "acknowledgement",
                throughput);
  return buf;
}

std::string produce_summary_line(int64_t sent, double secs, int64_t record_size,
                                 const latency_histogram& h, int64_t failed) {
  auto n = static_cast<double>(sent);
  char buf[400];
  std::snprintf(buf, sizeof(buf),
                "%lld records sent, %.1f records/s (%.2f MB/s), %.3f ms avg latency, "
                "%.3f ms p50, %.3f ms p95, %.3f ms p99, %.3f ms p99.9, %.3f ms max, "
                "%lld failed",
                static_cast<long long>(sent), n / secs,
                n * static_cast<double>(record_size) / secs / 1e6, h.mean() / 1e3,
                ms(h.value_at(0.5)), ms(h.value_at(0.95)), ms(h.value_at(0.99)),
                ms(h.value_at(0.999)), ms(h.max()), static_cast<long long>(failed));
  return buf;
}

std::string e2e_basis_line(double throughput, int64_t warmup_records, double warmup_s) {
  char buf[300];
  std::snprintf(buf, sizeof(buf),
                "latency: from each record's scheduled send time (%.1f records/s, stamped in "
                "its value) to its receipt by the consumer; the first %lld records (%.1f s) "
                "are warm-up, not counted",
                throughput, static_cast<long long>(warmup_records), warmup_s);
  return buf;
}

std::string e2e_summary_lines(const e2e_outcome& x, const latency_histogram& h) {
  char buf[500];
  std::snprintf(buf, sizeof(buf),
                "%lld records sent (%.1f records/s), %lld received, %lld missing, "
                "%lld duplicated, %lld failed to send, %lld foreign\n"
                "end-to-end latency of %lld records after the warm-up: %s, %.3f ms avg",
                static_cast<long long>(x.sent), static_cast<double>(x.sent) / x.send_secs,
                static_cast<long long>(x.received), static_cast<long long>(x.missing),
                static_cast<long long>(x.duplicated), static_cast<long long>(x.failed),
                static_cast<long long>(x.foreign), static_cast<long long>(h.count()),
                describe_percentiles(h).c_str(), h.mean() / 1e3);
  return buf;
}

} // namespace cafka::metrics
