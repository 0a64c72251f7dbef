// `cafka bench produce|consume`: throughput and latency tools in the manner of
// kafka-producer-perf-test / kafka-consumer-perf-test. Progress every second, then a summary.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "cafka/consumer.hpp"
#include "cafka/producer.hpp"
#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"

namespace cafka::app {

namespace {

using steady = std::chrono::steady_clock;

struct bench_options {
  connection_options conn;
  std::string topic = "bench";
  int64_t records = 1000000;
  int32_t record_size = 100;
  std::string acks = "1";
  bool acks_given = false;
  bool idempotence = false;
  int32_t partitions = 1;
  int32_t replication_factor = -1;  // -1: the cluster's default.replication.factor
  int32_t batch_size = 262144;
  int64_t linger_ms = 5;
  std::string compression_type = "none";
};

double seconds_since(steady::time_point t0) {
  return std::chrono::duration<double>(steady::now() - t0).count();
}

int bench_produce(const bench_options& o) {
  auto hp = resolve_bootstrap(o.conn);
  if (!hp)
    return 1;
  producer_config pc;
  pc.bootstrap = *hp;
  pc.acks = o.acks == "all" ? int16_t{-1} : static_cast<int16_t>(std::stoi(o.acks));
  if (o.idempotence) {
    if (o.acks_given && pc.acks != -1)
      return fail("--idempotence requires --acks all, got --acks " + o.acks);
    pc.acks = -1;
    pc.enable_idempotence = true;
  }
  pc.batch_size = o.batch_size;
  pc.linger_ms = o.linger_ms;
  pc.compression_type = *parse_compression_type(o.compression_type); // checked by CLI11
  pc.buffer_memory = 64ll << 20;
  if (auto err = validate(pc))
    return fail(describe(err));
  auto cs = open_client_system(o.conn.config);
  if (!cs)
    return 1;
  if (auto rc = ensure_topic(cs->sys(), o.conn,
                               {o.topic, o.partitions, o.replication_factor}))
    return rc;
  std::vector<int32_t> latency_us(static_cast<size_t>(o.records), 0);
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> failed{0};
  // The longest pause between two successful acknowledgements: during a leader failover
  // (kill -9 a leader's node mid-run) it is the time the producer stood still. Delivery
  // callbacks run one at a time on the producer actor.
  std::atomic<int64_t> last_ack_us{0};
  std::atomic<int64_t> max_pause_us{0};
  std::atomic<int64_t> max_pause_at_us{0};  // when that pause ended, since the start
  std::string value(static_cast<size_t>(o.record_size), 'x');
  auto t0 = steady::now();
  {
    producer prod{cs->sys(), pc};
    auto last_print = t0;
    int64_t last_count = 0;
    for (int64_t i = 0; i < o.records; ++i) {
      producer_record r;
      r.topic = o.topic;
      r.value = value;
      auto sent_at = steady::now();
      auto slot = &latency_us[static_cast<size_t>(i)];
      auto cb = [slot, sent_at, t0, &acked, &failed, &last_ack_us, &max_pause_us,
                 &max_pause_at_us](const delivery_report& rep) {
        auto now = steady::now();
        *slot = static_cast<int32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - sent_at).count());
        if (rep.error) {
          ++failed;
        } else {
          auto at =
            std::chrono::duration_cast<std::chrono::microseconds>(now - t0).count();
          auto prev = last_ack_us.exchange(at, std::memory_order_relaxed);
          if (prev > 0 && at - prev > max_pause_us.load(std::memory_order_relaxed)) {
            max_pause_us.store(at - prev, std::memory_order_relaxed);
            max_pause_at_us.store(at, std::memory_order_relaxed);
          }
        }
        ++acked;
      };
      if (auto err = prod.send(r, cb))
        return fail(describe(err));
      if ((i & 1023) == 0 && steady::now() - last_print >= std::chrono::seconds{1}) {
        auto now = steady::now();
        auto secs = std::chrono::duration<double>(now - last_print).count();
        auto n = acked.load();
        std::printf("%lld records acked, %.1f records/s (%.2f MB/s)\n",
                    static_cast<long long>(n), (n - last_count) / secs,
                    (n - last_count) * o.record_size / secs / 1e6);
        std::fflush(stdout);
        last_print = now;
        last_count = n;
      }
    }
    if (auto err = prod.flush())
      return fail("flush: " + describe(err));
  }
  auto secs = seconds_since(t0);
  std::sort(latency_us.begin(), latency_us.end());
  auto pct = [&](double p) {
    return latency_us[std::min(latency_us.size() - 1,
                               static_cast<size_t>(p * static_cast<double>(latency_us.size())))]
           / 1000.0;
  };
  std::printf("%lld records sent, %.1f records/s (%.2f MB/s), %.2f ms avg latency, "
              "%.2f ms p50, %.2f ms p95, %.2f ms p99, %.2f ms p99.9, %lld failed\n",
              static_cast<long long>(o.records), o.records / secs,
              o.records * static_cast<double>(o.record_size) / secs / 1e6,
              [&] {
                double sum = 0;
                for (auto x : latency_us)
                  sum += x;
                return sum / static_cast<double>(latency_us.size()) / 1000.0;
              }(),
              pct(0.5), pct(0.95), pct(0.99), pct(0.999),
              static_cast<long long>(failed.load()));
  std::printf("longest pause between acknowledgements: %.1f ms, ending %.2f s into the run\n",
              max_pause_us.load() / 1000.0, max_pause_at_us.load() / 1e6);
  return failed.load() > 0 ? 1 : 0;
}

int bench_consume(const bench_options& o) {
  auto hp = resolve_bootstrap(o.conn);
  if (!hp)
    return 1;
  auto cs = open_client_system(o.conn.config);
  if (!cs)
    return 1;
  consumer_config cc;
  cc.bootstrap = *hp;
  cc.auto_offset_reset = offset_reset::earliest;
  consumer cons{cs->sys(), cc, 8};
  auto n = cons.partitions_for(o.topic);
  if (!n)
    return fail(describe(n.error()));
  std::vector<topic_partition> tps;
  for (int32_t p = 0; p < *n; ++p)
    tps.push_back({o.topic, partition_id{p}});
  cons.assign(tps);
  if (auto err = cons.seek_to_beginning(tps))
    return fail(describe(err));
  int64_t count = 0;
  int64_t bytes = 0;
  auto t0 = steady::now();
  auto last_print = t0;
  int64_t last_count = 0;
  auto idle_since = t0;
  while (count < o.records) {
    auto batches = cons.poll(std::chrono::milliseconds{100});
    auto now = steady::now();
    if (batches.empty() && now - idle_since > std::chrono::seconds{10})
      return fail("no records for 10 s after " + std::to_string(count) + " of "
                  + std::to_string(o.records));
    if (!batches.empty())
      idle_since = now;
    for (auto& b : batches) {
      count += static_cast<int64_t>(b.records.size());
      for (auto& r : b.records)
        bytes += static_cast<int64_t>(r.value.size() + r.key.size());
    }
    if (now - last_print >= std::chrono::seconds{1}) {
      auto secs = std::chrono::duration<double>(now - last_print).count();
      std::printf("%lld records consumed, %.1f records/s\n", static_cast<long long>(count),
                  (count - last_count) / secs);
      std::fflush(stdout);
      last_print = now;
      last_count = count;
    }
  }
  auto secs = seconds_since(t0);
  std::printf("%lld records consumed in %.2f s, %.1f records/s (%.2f MB/s)\n",
              static_cast<long long>(count), secs, count / secs, bytes / secs / 1e6);
  return 0;
}

} // namespace

void add_bench_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<bench_options>();
  auto cmd = app.add_subcommand("bench", "produce/consume/rebalance benchmarks");
  cmd->require_subcommand(1);
  auto prod = cmd->add_subcommand("produce", "write N records as fast as possible");
  auto cons = cmd->add_subcommand("consume", "read N records from the beginning");
  for (auto sub : {prod, cons}) {
    add_connection_options(*sub, o->conn);
    sub->add_option("--topic", o->topic, "topic")->capture_default_str();
    sub->add_option("--records", o->records, "number of records")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  }
  prod->add_option("--record-size", o->record_size, "value bytes per record")
    ->capture_default_str()
    ->check(CLI::Range(0, 1 << 20));
  auto acks = prod->add_option("--acks", o->acks, "0, 1 or all")
                ->capture_default_str()
                ->check(CLI::IsMember({"0", "1", "all", "-1"}));
  prod->add_flag("--idempotence", o->idempotence,
                 "idempotent producer (enable.idempotence); implies --acks all");
  prod->add_option("--partitions", o->partitions, "partitions if the topic is created")
    ->capture_default_str()
    ->check(CLI::Range(1, 10000));
  prod->add_option("--replication-factor", o->replication_factor,
                   "replication factor if the topic is created (default: the cluster's)")
    ->check(CLI::Range(1, 100));
  prod->add_option("--batch-size", o->batch_size, "batch.size in bytes")
    ->capture_default_str()
    ->check(non_negative);
  prod->add_option("--linger-ms", o->linger_ms, "linger.ms")
    ->capture_default_str()
    ->check(non_negative);
  prod->add_option("--compression-type", o->compression_type, "compression.type")
    ->capture_default_str()
    ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
  prod->callback([o, acks, &run] {
    o->acks_given = acks->count() > 0;
    run = [o] { return bench_produce(*o); };
  });
  cons->callback([o, &run] { run = [o] { return bench_consume(*o); }; });
  add_bench_rebalance_command(*cmd, run);
  add_bench_partitions_command(*cmd, run);
}

} // namespace cafka::app
