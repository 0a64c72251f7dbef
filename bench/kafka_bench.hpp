// kafka_bench's shared pieces (a benchmark on librdkafka, not a test): the options, the
// client configuration, topic creation and the thread that serves a handle's callbacks.
// kafka_bench.cpp has produce and consume, kafka_bench_e2e.cpp the end-to-end mode.
// Main thread, except where a comment says otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <librdkafka/rdkafka.h>

namespace kafka_bench {

using clock_type = std::chrono::steady_clock;

struct options {
  std::string bootstrap = "127.0.0.1:9092";
  std::string topic = "bench";
  long long records = 1000000;  // e2e: measured after the warm-up; <= 0: from duration_s
  int record_size = 100;
  std::string acks = "all";
  bool idempotence = false;
  int batch_size = 262144;
  int linger_ms = 5;
  std::string compression = "none";
  int partitions = 1;           // if the topic is created
  int replication_factor = -1;  // if the topic is created; -1: the cluster's default
  double throughput = -1;       // records/s on a schedule; -1: as fast as possible
  long long max_in_flight = -1; // records sent and not acknowledged; -1: no limit
  double duration_s = 10;       // e2e
  double warmup_s = 1;          // e2e
};

// A client configuration with bootstrap.servers and client.id; exits with 2 on a bad key.
rd_kafka_conf_t* base_conf(const options& o);
// Sets k=v in conf; exits with 2 (after printing why) if librdkafka refuses it.
void set(rd_kafka_conf_t* conf, const char* k, const std::string& v);

// A producer configured from o (acks, idempotence, batch.size, linger.ms, compression) with
// on_delivery as its delivery report callback and `opaque` as its opaque; null after
// printing why not.
rd_kafka_t* new_producer(const options& o, rd_kafka_conf_t* conf,
                         void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*, void*),
                         void* opaque);

// The partitions of `topic` (0 if it does not exist).
int partition_count(rd_kafka_t* rk, const std::string& topic);

// Creates o.topic (o.partitions, o.replication_factor) unless it exists; returns its
// partition count, or 0 after printing why it could not.
int ensure_topic(rd_kafka_t* rk, const options& o);

// The steady clock in ns, carried in a message's opaque pointer.
void* as_opaque(clock_type::time_point t);
clock_type::time_point from_opaque(void* p);

// Serves a handle's callbacks (delivery reports) on its own thread, so each runs as soon as
// its event comes rather than when the sending thread gets to poll.
class poll_thread {
public:
  explicit poll_thread(rd_kafka_t* rk);
  ~poll_thread();
  poll_thread(const poll_thread&) = delete;
  poll_thread& operator=(const poll_thread&) = delete;
  void stop();

private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int run_e2e(const options& o);

} // namespace kafka_bench
