// kafka_bench: the Kafka-protocol side of `cafka bench`, on librdkafka (a benchmark only, not
// a test). Produces, consumes or measures end-to-end latency through a cafka cluster's Kafka
// listener so the two paths can be compared on the same cluster, topic settings and record
// size, with the same output lines:
//   kafka_bench produce --bootstrap 127.0.0.1:9092 --topic t --records 1000000 --acks all
//   kafka_bench produce --topic t --records 10000 --max-in-flight 1 --linger-ms 0
//   kafka_bench consume --bootstrap 127.0.0.1:9092 --topic t --records 1000000
//   kafka_bench e2e --topic t --throughput 10000 --duration-s 10
// produce and e2e create the topic if it does not exist. Delivery reports run on a poll
// thread, the per-second lines on the latency recorder's thread.

#include "bench/kafka_bench.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/base/in_flight_gate.hpp"
#include "runtime/metrics/bench_lines.hpp"
#include "runtime/metrics/latency_recorder.hpp"

namespace kafka_bench {

rd_kafka_conf_t* base_conf(const options& o) {
  auto conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o.bootstrap);
  set(conf, "client.id", "kafka_bench");
  return conf;
}

void set(rd_kafka_conf_t* conf, const char* k, const std::string& v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "kafka_bench: %s\n", err);
    std::exit(2);
  }
}

rd_kafka_t* new_producer(const options& o, rd_kafka_conf_t* conf,
                         void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*, void*),
                         void* opaque) {
  set(conf, "acks", o.idempotence ? "all" : o.acks);
  set(conf, "enable.idempotence", o.idempotence ? "true" : "false");
  set(conf, "batch.size", std::to_string(o.batch_size));
  set(conf, "linger.ms", std::to_string(o.linger_ms));
  set(conf, "compression.type", o.compression);
  set(conf, "queue.buffering.max.messages", "1000000");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, opaque);
  char err[512];
  auto rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr)
    std::fprintf(stderr, "kafka_bench: %s\n", err);
  return rk;
}

int partition_count(rd_kafka_t* rk, const std::string& topic) {
  // All topics' metadata: asking for one topic by name would have the broker create it.
  const rd_kafka_metadata_t* md = nullptr;
  int n = 0;
  if (rd_kafka_metadata(rk, 1, nullptr, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < md->topic_cnt; ++i)
      if (topic == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
        n = md->topics[i].partition_cnt;
    rd_kafka_metadata_destroy(md);
  }
  return n;
}

int ensure_topic(rd_kafka_t* rk, const options& o) {
  if (auto n = partition_count(rk, o.topic); n > 0)
    return n;
  char err[512];
  auto nt = rd_kafka_NewTopic_new(o.topic.c_str(), o.partitions, o.replication_factor, err,
                                  sizeof(err));
  if (nt == nullptr) {
    std::fprintf(stderr, "kafka_bench: %s\n", err);
    return 0;
  }
  auto q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  auto ev = rd_kafka_queue_poll(q, 30000);
  std::string why;
  if (ev == nullptr) {
    why = "no answer within 30 s";
  } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    why = rd_kafka_event_error_string(ev);
  } else {
    size_t cnt = 0;
    auto topics = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev),
                                                      &cnt);
    auto e = cnt == 1 ? rd_kafka_topic_result_error(topics[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
      why = rd_kafka_err2str(e);
  }
  if (ev != nullptr)
    rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  if (!why.empty()) {
    std::fprintf(stderr, "kafka_bench: creating topic '%s': %s\n", o.topic.c_str(),
                 why.c_str());
    return 0;
  }
  // The metadata the brokers serve follows the controller shortly after.
  auto deadline = clock_type::now() + std::chrono::seconds{10};
  int n = 0;
  while ((n = partition_count(rk, o.topic)) == 0 && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  if (n == 0)
    std::fprintf(stderr, "kafka_bench: topic '%s' created but not in the metadata after 10 s\n",
                 o.topic.c_str());
  return n;
}

void* as_opaque(clock_type::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return reinterpret_cast<void*>(static_cast<uintptr_t>(ns));
}

clock_type::time_point from_opaque(void* p) {
  auto ns = static_cast<int64_t>(reinterpret_cast<uintptr_t>(p));
  return clock_type::time_point{std::chrono::nanoseconds{ns}};
}

poll_thread::poll_thread(rd_kafka_t* rk)
  : thread_([this, rk] {
      while (!stop_)
        rd_kafka_poll(rk, 100);
    }) {
}

poll_thread::~poll_thread() {
  stop();
}

void poll_thread::stop() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

namespace {

// What the delivery reports (on the poll thread) share with the sending thread.
struct produce_stats {
  produce_stats(int record_size, long long max_in_flight)
    : latencies("acked", record_size), gate(max_in_flight) {
  }
  cafka::metrics::latency_recorder latencies;
  cafka::in_flight_gate gate;
  std::atomic<long long> failed{0};
  std::mutex mtx;
  std::string first_error;  // guarded by mtx
};

// The record's latency from the time in its opaque (its scheduled or its send time).
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto now = clock_type::now();
  auto s = static_cast<produce_stats*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    auto lat = now - from_opaque(m->_private);
    s->latencies.record(std::chrono::duration_cast<std::chrono::microseconds>(lat).count());
  } else if (s->failed++ == 0) {
    std::lock_guard<std::mutex> guard{s->mtx};
    s->first_error = rd_kafka_err2str(m->err);
  }
  s->gate.release();
}

int run_produce(const options& o) {
  produce_stats stats{o.record_size, o.max_in_flight};
  auto rk = new_producer(o, base_conf(o), on_delivery, &stats);
  if (rk == nullptr)
    return 2;
  if (ensure_topic(rk, o) == 0) {
    rd_kafka_destroy(rk);
    return 2;
  }
  bool paced = o.throughput > 0;
  std::printf("%s\n", cafka::metrics::produce_basis_line(o.throughput).c_str());
  std::string payload(static_cast<size_t>(o.record_size), 'x');
  poll_thread poller{rk};
  auto start = clock_type::now();
  stats.latencies.start_printing();
  long long sent = 0;
  for (; sent < o.records; ++sent) {
    clock_type::time_point sent_at;
    if (paced) {
      sent_at = start + std::chrono::nanoseconds{static_cast<int64_t>(
                          static_cast<double>(sent) * 1e9 / o.throughput)};
      std::this_thread::sleep_until(sent_at);
    }
    stats.gate.acquire();
    if (!paced)
      sent_at = clock_type::now();
    rd_kafka_resp_err_t rc;
    while ((rc = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o.topic.c_str()),
                                   RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                   RD_KAFKA_V_OPAQUE(as_opaque(sent_at)), RD_KAFKA_V_END))
           == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      std::this_thread::sleep_for(std::chrono::milliseconds{1});  // the poller drains it
    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "kafka_bench: produce: %s\n", rd_kafka_err2str(rc));
      stats.gate.release();
      break;
    }
  }
  while (rd_kafka_outq_len(rk) > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  poller.stop();
  stats.latencies.stop_printing();
  double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("%s\n", cafka::metrics::produce_summary_line(sent, secs, o.record_size,
                                                         stats.latencies.total(),
                                                         stats.failed.load())
                        .c_str());
  if (stats.failed > 0)
    std::printf("first failure: %s\n", stats.first_error.c_str());
  rd_kafka_destroy(rk);
  return stats.failed == 0 && sent == o.records ? 0 : 1;
}

int run_consume(const options& o) {
  auto conf = base_conf(o);
  char err[512];
  rd_kafka_conf_set(conf, "group.id", "kafka_bench", err, sizeof(err));
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
  auto rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "kafka_bench: %s\n", err);
    return 2;
  }
  int parts = partition_count(rk, o.topic);
  if (parts == 0) {
    std::fprintf(stderr, "kafka_bench: topic '%s' not found\n", o.topic.c_str());
    rd_kafka_destroy(rk);
    return 2;
  }
  auto list = rd_kafka_topic_partition_list_new(parts);
  for (int p = 0; p < parts; ++p)
    rd_kafka_topic_partition_list_add(list, o.topic.c_str(), p)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  long long count = 0;
  long long bytes = 0;
  auto start = clock_type::now();
  auto last = start;
  while (count < o.records) {
    auto m = rd_kafka_consumer_poll(rk, 1000);
    if (m == nullptr) {
      if (clock_type::now() - last > std::chrono::seconds{10})
        break;  // nothing for 10 s: report what arrived
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++count;
      bytes += static_cast<long long>(m->len);
      last = clock_type::now();
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      std::fprintf(stderr, "kafka_bench: consume: %s\n", rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
  }
  double secs = std::chrono::duration<double>(last - start).count();
  std::printf("%lld records consumed in %.2f s, %.1f records/s (%.2f MB/s)\n", count, secs,
              static_cast<double>(count) / secs, static_cast<double>(bytes) / secs / 1e6);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return count == o.records ? 0 : 1;
}

} // namespace

} // namespace kafka_bench

int main(int argc, char** argv) {
  using namespace kafka_bench;
  CLI::App app{"Kafka-protocol benchmark on librdkafka, to compare with `cafka bench`"};
  app.require_subcommand(1);
  options o;
  auto common = [&](CLI::App* c) {
    c->add_option("--bootstrap", o.bootstrap, "bootstrap.servers")->capture_default_str();
    c->add_option("--topic", o.topic, "topic")->capture_default_str();
  };
  auto records = [&](CLI::App* c) {
    return c->add_option("--records", o.records, "number of records")
      ->capture_default_str()
      ->check(CLI::Range(1LL, 1LL << 40));
  };
  auto producing = [&](CLI::App* c) {
    c->add_option("--record-size", o.record_size, "value bytes per record")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20));
    c->add_option("--acks", o.acks, "0, 1 or all")->capture_default_str()
      ->check(CLI::IsMember({"0", "1", "all", "-1"}));
    c->add_flag("--idempotence", o.idempotence, "enable.idempotence (implies acks=all)");
    c->add_option("--linger-ms", o.linger_ms, "linger.ms")->capture_default_str();
    c->add_option("--partitions", o.partitions, "partitions if the topic is created")
      ->capture_default_str()->check(CLI::Range(1, 10000));
    c->add_option("--replication-factor", o.replication_factor,
                  "replication factor if the topic is created (default: the cluster's)")
      ->check(CLI::Range(1, 100));
  };
  auto produce = app.add_subcommand("produce", "write N records, as fast as possible or paced");
  common(produce);
  records(produce);
  producing(produce);
  produce->add_option("--batch-size", o.batch_size, "batch.size")->capture_default_str();
  produce->add_option("--compression-type", o.compression, "compression.type")
    ->capture_default_str()->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
  produce->add_option("--throughput", o.throughput,
                      "records/s, paced on a schedule (latency then counts from each "
                      "record's scheduled time); -1: as fast as possible")
    ->capture_default_str();
  produce->add_option("--max-in-flight", o.max_in_flight,
                      "records sent and not yet acknowledged at most; -1: no limit")
    ->capture_default_str();
  auto consume = app.add_subcommand("consume", "read N records from the beginning");
  common(consume);
  records(consume);
  auto e2e = app.add_subcommand("e2e", "end-to-end latency from send to a consumer's receipt "
                                       "at a fixed rate");
  common(e2e);
  producing(e2e);
  e2e->add_option("--throughput", o.throughput, "records/s, sent on a schedule (default 10000)")
    ->check(CLI::PositiveNumber);
  auto duration = e2e->add_option("--duration-s", o.duration_s,
                                  "seconds measured after the warm-up")
                    ->capture_default_str()->check(CLI::PositiveNumber);
  e2e->add_option("--records", o.records, "records measured after the warm-up")
    ->check(CLI::Range(1LL, 1LL << 32))->excludes(duration);
  e2e->add_option("--warmup-s", o.warmup_s, "seconds sent first and not counted")
    ->capture_default_str()->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);
  if (e2e->parsed()) {  // EndToEndLatency's setting: a fixed rate, no linger
    if (e2e->count("--throughput") == 0)
      o.throughput = 10000;
    if (e2e->count("--linger-ms") == 0)
      o.linger_ms = 0;
    if (e2e->count("--topic") == 0)
      o.topic = "bench-e2e";
    if (e2e->count("--records") == 0)
      o.records = -1;  // --duration-s decides
    if (o.record_size < 16) {
      std::fprintf(stderr, "kafka_bench: e2e needs --record-size 16 or more\n");
      return 2;
    }
  }
  if ((o.throughput != -1 && o.throughput <= 0) || o.max_in_flight == 0
      || o.max_in_flight < -1) {
    std::fprintf(stderr, "kafka_bench: --throughput and --max-in-flight take -1 (no limit) or "
                         "a positive number\n");
    return 2;
  }
  if (produce->parsed())
    return run_produce(o);
  if (consume->parsed())
    return run_consume(o);
  return run_e2e(o);
}
