// kafka_bench: the Kafka-protocol side of `cafka bench`, on librdkafka (a benchmark only, not
// a test). Produces or consumes N records through a cafka cluster's Kafka listener so the two
// paths can be compared on the same cluster, topic settings and record size:
//   kafka_bench produce --bootstrap 127.0.0.1:9092 --topic t --records 1000000 --acks all
//   kafka_bench consume --bootstrap 127.0.0.1:9092 --topic t --records 1000000
// One thread; prints one summary line in the format of `cafka bench`.

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <librdkafka/rdkafka.h>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::string bootstrap = "127.0.0.1:9092";
  std::string topic = "bench";
  long long records = 1000000;
  int record_size = 100;
  std::string acks = "all";
  bool idempotence = false;
  int batch_size = 262144;
  int linger_ms = 5;
  std::string compression = "none";
};

struct produce_stats {
  long long acked = 0;
  long long failed = 0;
  std::string first_error;
};

rd_kafka_conf_t* base_conf(const options& o) {
  auto conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const char* k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "kafka_bench: %s\n", err);
      std::exit(2);
    }
  };
  set("bootstrap.servers", o.bootstrap);
  set("client.id", "kafka_bench");
  return conf;
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto s = static_cast<produce_stats*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++s->acked;
  } else {
    if (s->failed++ == 0)
      s->first_error = rd_kafka_err2str(m->err);
  }
}

int run_produce(const options& o) {
  auto conf = base_conf(o);
  char err[512];
  produce_stats stats;
  auto set = [&](const char* k, const std::string& v) {
    rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof(err));
  };
  set("acks", o.idempotence ? "all" : o.acks);
  set("enable.idempotence", o.idempotence ? "true" : "false");
  set("batch.size", std::to_string(o.batch_size));
  set("linger.ms", std::to_string(o.linger_ms));
  set("compression.type", o.compression);
  set("queue.buffering.max.messages", "1000000");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &stats);
  auto rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "kafka_bench: %s\n", err);
    return 2;
  }
  std::string payload(static_cast<size_t>(o.record_size), 'x');
  auto start = clock_type::now();
  for (long long i = 0; i < o.records;) {
    auto rc = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o.topic.c_str()),
                                RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                                RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_END);
    if (rc == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 10);
      continue;
    }
    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "kafka_bench: produce: %s\n", rd_kafka_err2str(rc));
      break;
    }
    ++i;
    if ((i & 1023) == 0)
      rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0)
    rd_kafka_poll(rk, 50);
  double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("%lld records acked, %.1f records/s (%.2f MB/s)\n", stats.acked,
              static_cast<double>(stats.acked) / secs,
              static_cast<double>(stats.acked) * o.record_size / secs / 1e6);
  if (stats.failed > 0)
    std::printf("%lld records failed (first: %s)\n", stats.failed, stats.first_error.c_str());
  rd_kafka_destroy(rk);
  return stats.failed == 0 ? 0 : 1;
}

// The partitions of `topic` (0 if it does not exist).
int partition_count(rd_kafka_t* rk, const std::string& topic) {
  auto t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  int n = 0;
  if (rd_kafka_metadata(rk, 0, t, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
      n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(t);
  return n;
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

int main(int argc, char** argv) {
  CLI::App app{"Kafka-protocol benchmark on librdkafka, to compare with `cafka bench`"};
  app.require_subcommand(1);
  options o;
  auto common = [&](CLI::App* c) {
    c->add_option("--bootstrap", o.bootstrap, "bootstrap.servers")->capture_default_str();
    c->add_option("--topic", o.topic, "topic (must exist)")->capture_default_str();
    c->add_option("--records", o.records, "number of records")->capture_default_str()
      ->check(CLI::Range(1LL, 1LL << 40));
  };
  auto produce = app.add_subcommand("produce", "write N records as fast as possible");
  common(produce);
  produce->add_option("--record-size", o.record_size, "value bytes per record")
    ->capture_default_str()->check(CLI::Range(0, 1 << 20));
  produce->add_option("--acks", o.acks, "0, 1 or all")->capture_default_str()
    ->check(CLI::IsMember({"0", "1", "all", "-1"}));
  produce->add_flag("--idempotence", o.idempotence, "enable.idempotence (implies acks=all)");
  produce->add_option("--batch-size", o.batch_size, "batch.size")->capture_default_str();
  produce->add_option("--linger-ms", o.linger_ms, "linger.ms")->capture_default_str();
  produce->add_option("--compression-type", o.compression, "compression.type")
    ->capture_default_str()->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
  auto consume = app.add_subcommand("consume", "read N records from the beginning");
  common(consume);
  CLI11_PARSE(app, argc, argv);
  return produce->parsed() ? run_produce(o) : run_consume(o);
}
