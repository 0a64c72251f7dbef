// `cafka bench produce|consume`: throughput and latency tools in the manner of
// kafka-producer-perf-test / kafka-consumer-perf-test. Progress every second, then a summary.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "cafka/consumer.hpp"
#include "cafka/producer.hpp"
#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/in_flight_gate.hpp"
#include "runtime/metrics/bench_lines.hpp"
#include "runtime/metrics/latency_recorder.hpp"

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
  double throughput = -1;     // records/s; -1: as fast as possible
  int64_t max_in_flight = -1; // records sent and not acknowledged; -1: no limit
};

// -1 (no limit) or a positive number.
const CLI::Validator unlimited_or_positive{
  [](std::string& s) -> std::string {
    char* end = nullptr;
    auto v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() && v != -1 && v <= 0)
      return "must be positive or -1 (no limit), got " + s;
    return {};
  },
  "-1|POSITIVE"};

double seconds_since(steady::time_point t0) {
  return std::chrono::duration<double>(steady::now() - t0).count();
}

int64_t micros(steady::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
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
  // Paced (--throughput): record i is due at t0 + i / rate, and its latency counts from then,
  // so a stall delays the records behind it and counts for each of them (no coordinated
  // omission). Unpaced: from the send() call.
  bool paced = o.throughput > 0;
  std::printf("%s\n", metrics::produce_basis_line(o.throughput).c_str());
  metrics::latency_recorder latencies{"acked", o.record_size};
  in_flight_gate gate{o.max_in_flight};
  std::atomic<int64_t> failed{0};
  // The longest pause between two successful acknowledgements: during a leader failover
  // (kill -9 a leader's node mid-run) it is the time the producer stood still. Delivery
  // callbacks run one at a time on the producer actor.
  std::atomic<int64_t> last_ack_us{0};
  std::atomic<int64_t> max_pause_us{0};
  std::atomic<int64_t> max_pause_at_us{0};  // when that pause ended, since the start
  std::string value(static_cast<size_t>(o.record_size), 'x');
  auto t0 = steady::now();
  latencies.start_printing();
  {
    producer prod{cs->sys(), pc};
    for (int64_t i = 0; i < o.records; ++i) {
      producer_record r;
      r.topic = o.topic;
      r.value = value;
      steady::time_point sent_at;
      if (paced) {
        sent_at = t0 + std::chrono::nanoseconds{
                         static_cast<int64_t>(static_cast<double>(i) * 1e9 / o.throughput)};
        std::this_thread::sleep_until(sent_at);
      }
      gate.acquire();
      if (!paced)
        sent_at = steady::now();
      auto cb = [sent_at, t0, &latencies, &gate, &failed, &last_ack_us, &max_pause_us,
                 &max_pause_at_us](const delivery_report& rep) {
        auto now = steady::now();
        if (rep.error) {
          ++failed;
        } else {
          latencies.record(micros(now - sent_at));
          auto at = micros(now - t0);
          auto prev = last_ack_us.exchange(at, std::memory_order_relaxed);
          if (prev > 0 && at - prev > max_pause_us.load(std::memory_order_relaxed)) {
            max_pause_us.store(at - prev, std::memory_order_relaxed);
            max_pause_at_us.store(at, std::memory_order_relaxed);
          }
        }
        gate.release();
      };
      if (auto err = prod.send(r, cb))
        return fail(describe(err));
    }
    if (auto err = prod.flush())
      return fail("flush: " + describe(err));
  }
  latencies.stop_printing();
  std::printf("%s\n", metrics::produce_summary_line(o.records, seconds_since(t0), o.record_size,
                                                  latencies.total(), failed.load())
                        .c_str());
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
  auto prod = cmd->add_subcommand("produce", "write N records, as fast as possible or paced");
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
  prod->add_option("--throughput", o->throughput,
                   "records/s, paced on a schedule (latency then counts from each record's "
                   "scheduled time); -1: as fast as possible")
    ->capture_default_str()
    ->check(unlimited_or_positive);
  prod->add_option("--max-in-flight", o->max_in_flight,
                   "records sent and not yet acknowledged at most; -1: no limit")
    ->capture_default_str()
    ->check(unlimited_or_positive);
  prod->callback([o, acks, &run] {
    o->acks_given = acks->count() > 0;
    run = [o] { return bench_produce(*o); };
  });
  cons->callback([o, &run] { run = [o] { return bench_consume(*o); }; });
  add_bench_rebalance_command(*cmd, run);
  add_bench_e2e_command(*cmd, run);
  add_bench_partitions_command(*cmd, run);
}

} // namespace cafka::app
