// `cafka bench e2e`: end-to-end latency at a fixed rate, in the manner of Kafka's
// EndToEndLatency tool. The main thread produces on a schedule (record i is due at
// t0 + i / rate) and stamps each record's value with its due time (steady clock) and its
// sequence number; a consumer thread of the same process reads every partition of the topic
// from its end and records, per record, the time from that due time to the poll() that
// returned it. A record missing or read twice at the end fails the run.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "cafka/consumer.hpp"
#include "cafka/producer.hpp"
#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/metrics/e2e_tally.hpp"

namespace cafka::app {

namespace {

using steady = std::chrono::steady_clock;

struct e2e_options {
  connection_options conn;
  std::string topic = "bench-e2e";
  double throughput = 10000;
  std::string acks = "all";
  bool acks_given = false;
  bool idempotence = false;
  int32_t record_size = 100;
  int32_t partitions = 1;
  int32_t replication_factor = -1;  // -1: the cluster's default.replication.factor
  double duration_s = 10;
  int64_t records = -1;  // > 0: overrides duration_s
  double warmup_s = 1;
  int64_t linger_ms = 0;
};

int64_t steady_ns(steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// What the consumer thread shares with the main thread.
struct reader_shared {
  explicit reader_shared(metrics::e2e_tally& t) : tally(t) {
  }
  std::atomic<bool> positioned{false};  // assigned, each partition set to read from its end
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};  // error says why; the thread has ended
  std::string error;
  metrics::e2e_tally& tally;
};

void read_loop(caf::actor_system& sys, consumer_config cc, const std::string& topic,
               int32_t partitions, reader_shared& sh) {
  consumer cons{sys, std::move(cc), 8};
  std::vector<topic_partition> tps;
  for (int32_t p = 0; p < partitions; ++p)
    tps.push_back({topic, partition_id{p}});
  auto err = cons.assign(tps);
  if (!err)
    err = cons.seek_to_end(tps);
  if (err) {
    sh.error = describe(err);
    sh.failed = true;
    return;
  }
  sh.positioned = true;
  while (!sh.stop) {
    auto batches = cons.poll(std::chrono::milliseconds{50});
    auto now = steady_ns(steady::now());
    for (auto& b : batches)
      for (auto& r : b.records)
        sh.tally.receive(b.tp.partition.value, r.value.data(), r.value.size(), now);
  }
  cons.close();
}

// The consumer thread; stopped and joined on every way out of bench_e2e.
class reader_thread {
public:
  reader_thread(reader_shared& sh, std::thread t) : sh_(sh), t_(std::move(t)) {
  }
  ~reader_thread() {
    join();
  }
  void join() {
    sh_.stop = true;
    if (t_.joinable())
      t_.join();
  }

private:
  reader_shared& sh_;
  std::thread t_;
};

int bench_e2e(const e2e_options& o) {
  auto hp = resolve_bootstrap(o.conn);
  if (!hp)
    return 1;
  producer_config pc;
  pc.bootstrap = *hp;
  pc.acks = o.acks == "1" ? int16_t{1} : int16_t{-1};
  if (o.idempotence && o.acks_given && pc.acks != -1)
    return fail("--idempotence requires --acks all, got --acks " + o.acks);
  pc.enable_idempotence = o.idempotence;
  pc.linger_ms = o.linger_ms;
  if (auto err = validate(pc))
    return fail(describe(err));
  auto cs = open_client_system(o.conn.config);
  if (!cs)
    return 1;
  if (auto rc = ensure_topic(cs->sys(), o.conn,
                               {o.topic, o.partitions, o.replication_factor}))
    return rc;
  std::atomic<int64_t> failed{0};  // outlives prod, whose close() runs the last callbacks
  producer prod{cs->sys(), pc};
  auto parts = prod.partitions_for(o.topic);
  if (!parts)
    return fail(describe(parts.error()));
  auto warmup = static_cast<int64_t>(std::llround(o.warmup_s * o.throughput));
  auto measured = o.records > 0 ? o.records
                                : static_cast<int64_t>(std::llround(o.duration_s * o.throughput));
  auto total = warmup + measured;
  metrics::latency_recorder latencies{"received", o.record_size};
  metrics::e2e_tally tally{*parts, total, warmup, latencies};
  reader_shared sh{tally};
  consumer_config cc;
  cc.bootstrap = *hp;
  cc.auto_offset_reset = offset_reset::latest;
  reader_thread reader{sh, std::thread{[&] {
                         read_loop(cs->sys(), cc, o.topic, *parts, sh);
                       }}};
  if (!metrics::poll_until([&] { return sh.positioned || sh.failed; }, std::chrono::seconds{30}))
    return fail("the consumer was not assigned the topic's partitions within 30 s");
  if (sh.failed)
    return fail("consumer: " + sh.error);
  // The consumer learns each partition's end lazily: a probe per partition, sent again until
  // it arrives, shows that the consumer reads there, so no record of the run can be skipped.
  std::string value(static_cast<size_t>(o.record_size), 'x');
  metrics::e2e_tally::stamp(value, steady_ns(steady::now()), metrics::e2e_tally::probe_seq);
  auto probe_deadline = steady::now() + std::chrono::seconds{30};
  while (tally.probed() < *parts) {
    if (steady::now() >= probe_deadline)
      return fail("the consumer read " + std::to_string(tally.probed()) + " of "
                  + std::to_string(*parts) + " partitions' probes within 30 s");
    for (int32_t p = 0; p < *parts; ++p) {
      producer_record r;
      r.topic = o.topic;
      r.partition = partition_id{p};
      r.value = value;
      if (auto err = prod.send(r))
        return fail("probe: " + describe(err));
    }
    metrics::poll_until([&] { return tally.probed() == *parts; }, std::chrono::milliseconds{200});
  }
  std::printf("%s\n", metrics::e2e_basis_line(o.throughput, warmup, o.warmup_s).c_str());
  auto t0 = steady::now();
  latencies.start_printing();
  for (int64_t i = 0; i < total; ++i) {
    auto due = t0 + std::chrono::nanoseconds{
                      static_cast<int64_t>(static_cast<double>(i) * 1e9 / o.throughput)};
    std::this_thread::sleep_until(due);
    metrics::e2e_tally::stamp(value, steady_ns(due), static_cast<uint64_t>(i));
    producer_record r;
    r.topic = o.topic;
    r.value = value;
    if (auto err = prod.send(r, [&failed](const delivery_report& rep) {
          if (rep.error)
            ++failed;
        }))
      return fail(describe(err));
  }
  auto send_secs = std::chrono::duration<double>(steady::now() - t0).count();
  if (auto err = prod.flush())
    return fail("flush: " + describe(err));
  // Stragglers: records acknowledged but not yet read.
  metrics::poll_until([&] { return tally.unique() == total; }, std::chrono::seconds{10});
  reader.join();
  latencies.stop_printing();
  if (sh.failed)
    return fail("consumer: " + sh.error);
  auto x = tally.outcome(total, send_secs, failed.load());
  std::printf("%s\n", metrics::e2e_summary_lines(x, latencies.total()).c_str());
  return x.missing > 0 || x.duplicated > 0 || x.failed > 0 ? 1 : 0;
}

} // namespace

void add_bench_e2e_command(CLI::App& bench, command_fn& run) {
  auto o = std::make_shared<e2e_options>();
  auto cmd = bench.add_subcommand(
    "e2e", "end-to-end latency from send to a consumer's receipt at a fixed rate");
  add_connection_options(*cmd, o->conn);
  cmd->add_option("--topic", o->topic, "topic (created if missing)")->capture_default_str();
  cmd->add_option("--throughput", o->throughput, "records/s, sent on a schedule")
    ->capture_default_str()
    ->check(CLI::PositiveNumber);
  auto acks = cmd->add_option("--acks", o->acks, "1 or all")
                ->capture_default_str()
                ->check(CLI::IsMember({"1", "all", "-1"}));
  cmd->add_flag("--idempotence", o->idempotence, "idempotent producer (needs --acks all)");
  cmd->add_option("--record-size", o->record_size, "value bytes per record (>= 16)")
    ->capture_default_str()
    ->check(CLI::Range(static_cast<int32_t>(metrics::e2e_tally::stamp_size), 1 << 20));
  cmd->add_option("--partitions", o->partitions, "partitions if the topic is created")
    ->capture_default_str()
    ->check(CLI::Range(1, 10000));
  cmd->add_option("--replication-factor", o->replication_factor,
                  "replication factor if the topic is created (default: the cluster's)")
    ->check(CLI::Range(1, 100));
  auto duration = cmd->add_option("--duration-s", o->duration_s,
                                  "seconds measured after the warm-up")
                    ->capture_default_str()
                    ->check(CLI::PositiveNumber);
  cmd->add_option("--records", o->records, "records measured after the warm-up")
    ->check(CLI::Range(int64_t{1}, int64_t{1} << 32))
    ->excludes(duration);
  cmd->add_option("--warmup-s", o->warmup_s, "seconds sent first and not counted")
    ->capture_default_str()
    ->check(non_negative);
  cmd->add_option("--linger-ms", o->linger_ms, "linger.ms")
    ->capture_default_str()
    ->check(non_negative);
  cmd->callback([o, acks, &run] {
    o->acks_given = acks->count() > 0;
    run = [o] { return bench_e2e(*o); };
  });
}

} // namespace cafka::app
