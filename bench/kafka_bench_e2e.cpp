// kafka_bench e2e: `cafka bench e2e` through the Kafka listener with librdkafka. The main
// thread produces on a schedule (record i due at t0 + i / rate, its value stamped with that
// time and i); a consumer thread reads every partition from its end; a record's latency runs
// from its due time to the consumer_poll() that returned it. Same lines as `cafka bench e2e`.

#include <cmath>
#include <cstdio>
#include <string>

#include "bench/kafka_bench.hpp"
#include "runtime/metrics/e2e_tally.hpp"

namespace kafka_bench {

namespace {

using cafka::metrics::e2e_tally;

int64_t steady_ns(clock_type::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

void count_failures(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR)
    ++*static_cast<std::atomic<long long>*>(opaque);
}

// The consumer, assigned every partition from its end, read on its own thread into a tally.
class reader {
public:
  reader(rd_kafka_t* rk, e2e_tally& tally) : rk_(rk), tally_(tally), thread_([this] { run(); }) {
  }
  ~reader() {
    stop();
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }

private:
  void run() {
    while (!stop_) {
      auto m = rd_kafka_consumer_poll(rk_, 50);
      if (m == nullptr)
        continue;
      auto now = steady_ns(clock_type::now());
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        tally_.receive(m->partition, static_cast<const char*>(m->payload), m->len, now);
      else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        std::fprintf(stderr, "kafka_bench: consume: %s\n", rd_kafka_message_errstr(m));
      rd_kafka_message_destroy(m);
    }
  }

  rd_kafka_t* rk_;
  e2e_tally& tally_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

rd_kafka_t* new_consumer(const options& o, int parts) {
  auto conf = base_conf(o);
  set(conf, "group.id", "kafka_bench_e2e");
  set(conf, "enable.auto.commit", "false");
  char err[512];
  auto rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "kafka_bench: %s\n", err);
    return nullptr;
  }
  auto list = rd_kafka_topic_partition_list_new(parts);
  for (int p = 0; p < parts; ++p)
    rd_kafka_topic_partition_list_add(list, o.topic.c_str(), p)->offset = RD_KAFKA_OFFSET_END;
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  return rk;
}

bool produce(rd_kafka_t* rk, const options& o, const std::string& value, int partition) {
  rd_kafka_resp_err_t rc;
  while ((rc = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o.topic.c_str()),
                                 RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END))
         == RD_KAFKA_RESP_ERR__QUEUE_FULL)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
    std::fprintf(stderr, "kafka_bench: produce: %s\n", rd_kafka_err2str(rc));
  return rc == RD_KAFKA_RESP_ERR_NO_ERROR;
}

// Sends each partition a probe until the consumer has read one from every partition: then
// it reads from the end everywhere and no record of the run can be skipped.
bool probe(rd_kafka_t* rk, const options& o, const e2e_tally& tally, int parts) {
  std::string value(static_cast<size_t>(o.record_size), 'x');
  e2e_tally::stamp(value, steady_ns(clock_type::now()), e2e_tally::probe_seq);
  auto deadline = clock_type::now() + std::chrono::seconds{30};
  while (tally.probed() < parts) {
    if (clock_type::now() >= deadline) {
      std::fprintf(stderr, "kafka_bench: the consumer read %lld of %d partitions' probes "
                           "within 30 s\n", static_cast<long long>(tally.probed()), parts);
      return false;
    }
    for (int p = 0; p < parts; ++p)
      if (!produce(rk, o, value, p))
        return false;
    cafka::metrics::poll_until([&] { return tally.probed() == parts; }, std::chrono::milliseconds{200});
  }
  return true;
}

} // namespace

int run_e2e(const options& o) {
  std::atomic<long long> failed{0};
  auto rk = new_producer(o, base_conf(o), count_failures, &failed);
  if (rk == nullptr)
    return 2;
  int parts = ensure_topic(rk, o);
  auto consumer = parts > 0 ? new_consumer(o, parts) : nullptr;
  if (consumer == nullptr) {
    rd_kafka_destroy(rk);
    return 2;
  }
  auto warmup = static_cast<long long>(std::llround(o.warmup_s * o.throughput));
  auto measured = o.records > 0
                    ? o.records
                    : static_cast<long long>(std::llround(o.duration_s * o.throughput));
  auto total = warmup + measured;
  cafka::metrics::latency_recorder latencies{"received", o.record_size};
  e2e_tally tally{parts, total, warmup, latencies};
  int rc = 1;
  {
    reader rd{consumer, tally};
    poll_thread poller{rk};
    if (probe(rk, o, tally, parts)) {
      std::printf("%s\n", cafka::metrics::e2e_basis_line(o.throughput, warmup, o.warmup_s)
                            .c_str());
      std::string value(static_cast<size_t>(o.record_size), 'x');
      auto t0 = clock_type::now();
      latencies.start_printing();
      long long sent = 0;
      for (; sent < total; ++sent) {
        auto due = t0 + std::chrono::nanoseconds{static_cast<int64_t>(
                          static_cast<double>(sent) * 1e9 / o.throughput)};
        std::this_thread::sleep_until(due);
        e2e_tally::stamp(value, steady_ns(due), static_cast<uint64_t>(sent));
        if (!produce(rk, o, value, RD_KAFKA_PARTITION_UA))
          break;
      }
      auto send_secs = std::chrono::duration<double>(clock_type::now() - t0).count();
      while (rd_kafka_outq_len(rk) > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
      // Stragglers: records acknowledged but not yet read.
      cafka::metrics::poll_until([&] { return tally.unique() == total; }, std::chrono::seconds{10});
      rd.stop();
      latencies.stop_printing();
      auto x = tally.outcome(sent, send_secs, failed.load());
      std::printf("%s\n", cafka::metrics::e2e_summary_lines(x, latencies.total()).c_str());
      rc = x.missing > 0 || x.duplicated > 0 || x.failed > 0 ? 1 : 0;
    }
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_destroy(rk);
  return rc;
}

} // namespace kafka_bench
