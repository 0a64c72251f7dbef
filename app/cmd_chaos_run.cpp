// `cafka chaos run --seed S --duration D [--faults kill,pause,partition,drop,...]`: a nemesis run
// against the local cluster of --config (started if it is down). An idempotent acks=all
// producer and a group of actor consumers run while faults from the seeded schedule come and
// go; then everything is healed, the logs are read back, and the histories are checked
// (runtime/chaos/history_checker). Prints a report; exit 1 on any violation.
#include <atomic>
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iterator>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "cafka/consumer.hpp"
#include "cafka/consumer_actor.hpp"
#include "cafka/producer.hpp"
#include "app/app_common.hpp"
#include "cafka/fault_injector.hpp"
#include "actors/chaos/local_nodes.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/chaos/history_checker.hpp"
#include "runtime/chaos/nemesis_schedule.hpp"
#include "runtime/storage/partition_log.hpp"

namespace cafka::app {

namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct run_options {
  connection_options conn;
  uint64_t seed = 1;
  std::string duration = "30s";
  std::string faults = "kill,pause,partition,drop";
  std::string topic;
  int32_t partitions = 6;
  int32_t rate = 500;      // records per second
  int32_t consumers = 3;
};

// Histories from several threads and actors.
struct recorder {
  std::mutex mtx;
  history_checker checker;
  size_t failed = 0;
  size_t processed = 0;
  size_t assignments = 0;  // partitions_assigned messages: rebalances seen by members
};

caf::behavior member_sink(caf::event_based_actor* self, std::shared_ptr<recorder> rec) {
  return {
    [=](consumer_records& batch) {
      {
        std::lock_guard<std::mutex> guard{rec->mtx};
        for (auto& r : batch.records)
          rec->checker.processed(r.value);
        rec->processed += batch.records.size();
      }
      self->send(caf::actor_cast<consumer_actor>(self->current_sender()), credit_atom::value,
                 int32_t{1});
    },
    [=](partitions_assigned&) {
      std::lock_guard<std::mutex> guard{rec->mtx};
      ++rec->assignments;
    },
    [=](partitions_revoked&) {},
    [=](consumer_failed& f) {
      std::fprintf(stderr, "consumer: %s\n", describe(f.error).c_str());
    },
    [=](consumer_error&) {},  // retried by the consumer; faults cause them on purpose
  };
}

// The error of an install, or none.
caf::error error_of(caf::expected<int> r) {
  return r ? caf::error{} : std::move(r.error());
}

// Applies the schedule's faults through the fault_injector.
class nemesis {
public:
  nemesis(caf::actor_system& sys, const cluster_config& cfg) : inj_(sys, cfg) {}

  void inject(const nemesis_fault& f) {
    milliseconds d{f.duration_ms};
    caf::error err;
    if (f.kind == "kill")
      err = inj_.kill(f.node);
    else if (f.kind == "pause")
      err = inj_.pause(f.node);
    else if (f.kind == "disk")
      err = error_of(inj_.disk(f.node,
                               f.variant == "write"   ? disk_fault::write_error
                               : f.variant == "fsync" ? disk_fault::fsync_error
                                                      : disk_fault::slow,
                               0.5, milliseconds{f.variant == "slow" ? 20 : 0},
                               milliseconds{f.variant == "slow" ? 30 : 0}, d));
    else  // partition, drop, duplicate, delay: every link of the node, both ways
      err = link_fault(f, d);
    if (err)
      std::fprintf(stderr, "nemesis: %s on node %d: %s\n", f.kind.c_str(), f.node.value,
                   describe(err).c_str());
  }

  void undo(const nemesis_fault& f) {
    if (f.kind == "pause")
      static_cast<void>(inj_.resume(f.node));
    else if (f.kind == "kill")
      static_cast<void>(inj_.restart(f.node));
    // rules heal by themselves
  }

  // Everything back: rules removed, paused nodes resumed, dead nodes started.
  void heal_all() {
    for (auto& n : inj_.config().nodes)
      static_cast<void>(inj_.restart(n.id));
    inj_.heal();
  }

  bool wait_until_all_answer(milliseconds timeout) {
    return inj_.wait_until_all_answer(timeout);
  }

private:
  caf::error link_fault(const nemesis_fault& f, milliseconds d) {
    std::set<node_id> others;
    for (auto& m : inj_.config().nodes)
      if (m.id != f.node)
        others.insert(m.id);
    return error_of(inj_.install(network_rules(f, others), d));
  }

  fault_injector inj_;
};

// (partition, epoch, leader) of every partition of the topic, from any broker that answers.
void sample_leaders(caf::actor_system& sys, const cluster_config& cfg, const std::string& topic,
                    recorder& rec) {
  caf::scoped_actor self{sys};
  for (auto& n : cfg.nodes) {
    if (!n.broker || running_pid(cfg, n.id) <= 0)
      continue;
    auto b = connect_broker(sys, n.host, n.port, milliseconds{300});
    if (!b)
      continue;
    bool done = false;
    self->request(*b, milliseconds{300}, metadata_atom::value, metadata_request{{topic}})
      .receive(
        [&](cluster_metadata& md) {
          auto t = md.find_topic(topic);
          if (t == nullptr)
            return;
          std::lock_guard<std::mutex> guard{rec.mtx};
          for (auto& pm : t->partitions)
            rec.checker.leader({topic, pm.id}, pm.epoch.value, pm.leader.value);
          done = true;
        },
        [](caf::error&) {});
    if (done)
      return;
  }
}

// Liveness once every fault has healed: what each broker's metadata still shows broken (a
// broker not alive, a partition of the topic whose ISR lacks a replica, a broker that does not
// answer). Empty when the whole cluster is back.
std::vector<std::string> still_broken(caf::actor_system& sys, const cluster_config& cfg,
                                      const std::string& topic) {
  std::vector<std::string> out;
  caf::scoped_actor self{sys};
  for (auto& n : cfg.nodes) {
    if (!n.broker)
      continue;
    auto who = "broker " + std::to_string(n.id.value);
    auto b = connect_broker(sys, n.host, n.port, milliseconds{500});
    if (!b) {
      out.push_back(who + " does not answer");
      continue;
    }
    self->request(*b, milliseconds{500}, metadata_atom::value, metadata_request{{topic}})
      .receive(
        [&](cluster_metadata& md) {
          for (auto& bm : md.brokers)
            if (!bm.alive)
              out.push_back(who + " sees broker " + std::to_string(bm.id.value) + " fenced");
          if (auto t = md.find_topic(topic))
            for (auto& pm : t->partitions)
              if (pm.isr.size() < pm.replicas.size())
                out.push_back(who + " sees " + to_string(topic_partition{topic, pm.id})
                              + " with ISR " + std::to_string(pm.isr.size()) + " of "
                              + std::to_string(pm.replicas.size()) + " replicas");
        },
        [&](caf::error& err) { out.push_back(who + ": " + describe(err)); });
  }
  return out;
}

void sample_commits(caf::actor_system& sys, const consumer_actor& c, recorder& rec) {
  caf::scoped_actor self{sys};
  self->request(c, milliseconds{500}, offset_fetch_atom::value, std::vector<topic_partition>{})
    .receive(
      [&](std::vector<partition_offset>& offs) {
        std::lock_guard<std::mutex> guard{rec.mtx};
        for (auto& po : offs)
          if (po.offset >= 0)
            rec.checker.committed(po.tp, po.offset);
      },
      [](caf::error&) {});
}

int run(const run_options& o) {
  auto cfg = load_cluster_config(o.conn.config);
  if (!cfg)
    return fail(describe(cfg.error()));
  auto duration = parse_duration_ms(o.duration);
  if (duration < 5000)
    return fail("--duration must be at least 5s (e.g. 30s, 2m)");
  auto kinds = parse_fault_kinds(o.faults);
  if (!kinds)
    return fail(describe(kinds.error()));
  std::vector<node_id> nodes;
  for (auto& n : cfg->nodes) {
    if (!is_local(n.host))
      return fail("node " + std::to_string(n.id.value)
                  + " is not on this machine: chaos run needs every node local");
    nodes.push_back(n.id);
  }
  auto schedule = make_schedule(o.seed, duration, *kinds, nodes);
  client_system cs{o.conn.config};
  auto& sys = cs.sys();
  nemesis nem{sys, *cfg};
  nem.heal_all(); // starts nodes that are down
  if (!nem.wait_until_all_answer(milliseconds{60000}))
    return fail("the cluster did not come up");
  auto topic = o.topic.empty() ? "chaos-" + std::to_string(o.seed) + "-"
                                   + std::to_string(std::time(nullptr))
                               : o.topic;
  int32_t rf = std::min<int32_t>(3, static_cast<int32_t>(cfg->nodes.size()));
  if (auto rc = ensure_topic(sys, o.conn, {topic, o.partitions, rf}))
    return rc;
  std::printf("chaos run: seed %llu, %lld ms, faults %s, topic %s, %zu fault(s) scheduled\n",
              static_cast<unsigned long long>(o.seed), static_cast<long long>(duration),
              o.faults.c_str(), topic.c_str(), schedule.size());
  std::fflush(stdout);
  auto rec = std::make_shared<recorder>();
  // The group.
  auto hp = resolve_bootstrap(o.conn);
  if (!hp)
    return 1;
  auto bootstrap = *hp;
  consumer_config cc;
  cc.bootstrap = bootstrap;
  cc.group_id = topic + "-group";
  cc.auto_offset_reset = offset_reset::earliest;
  cc.auto_commit_interval_ms = 500;
  std::vector<caf::actor> sinks;
  std::vector<consumer_actor> members;
  for (int i = 0; i < o.consumers; ++i) {
    sinks.push_back(sys.spawn(member_sink, rec));
    members.push_back(spawn_consumer(sys, cc, sinks.back(), 4));
    caf::anon_send(members.back(), subscribe_atom::value, std::vector<std::string>{topic});
  }
  // The producer, in its own thread.
  std::atomic<bool> stop{false};
  producer_config pc;
  pc.bootstrap = bootstrap;
  pc.enable_idempotence = true;
  producer prod{sys, pc};
  std::atomic<int64_t> sent{0};
  std::thread writer{[&] {
    auto t0 = steady::now();
    while (!stop) {
      auto due = std::chrono::duration_cast<milliseconds>(steady::now() - t0).count()
                 * o.rate / 1000;
      for (; sent < due && !stop; ++sent) {
        producer_record r;
        r.topic = topic;
        r.key = "k" + std::to_string(sent % 97);
        auto value = "s" + std::to_string(o.seed) + "-" + std::to_string(sent.load());
        r.value = value;
        auto err = prod.send(r, [rec, value](const delivery_report& rep) {
          std::lock_guard<std::mutex> guard{rec->mtx};
          if (rep.error)
            ++rec->failed;
          else
            rec->checker.acked(value, rep.tp, rep.offset.value);
        });
        if (err) {
          std::lock_guard<std::mutex> guard{rec->mtx};
          ++rec->failed;
        }
      }
      std::this_thread::sleep_for(milliseconds{20}); // pacing
    }
  }};
  // The nemesis, in this thread.
  std::map<std::string, int> injected;
  auto t0 = steady::now();
  auto elapsed = [&] {
    return std::chrono::duration_cast<milliseconds>(steady::now() - t0).count();
  };
  for (auto& f : schedule) {
    while (elapsed() < f.at_ms) {
      sample_leaders(sys, *cfg, topic, *rec);
      sample_commits(sys, members.front(), *rec);
      std::this_thread::sleep_for(milliseconds{100}); // sampling interval
    }
    auto what = f.variant.empty() ? f.kind : f.kind + " " + f.variant;
    std::printf("  +%6.1f s  %-11s node %d for %lld ms\n", f.at_ms / 1000.0, what.c_str(),
                f.node.value, static_cast<long long>(f.duration_ms));
    std::fflush(stdout);
    nem.inject(f);
    ++injected[f.variant.empty() ? f.kind : f.kind + " " + f.variant];
    while (elapsed() < f.at_ms + f.duration_ms) {
      sample_leaders(sys, *cfg, topic, *rec);
      sample_commits(sys, members.front(), *rec);
      std::this_thread::sleep_for(milliseconds{100}); // sampling interval
    }
    nem.undo(f);
  }
  while (elapsed() < duration) {
    sample_leaders(sys, *cfg, topic, *rec);
    sample_commits(sys, members.front(), *rec);
    std::this_thread::sleep_for(milliseconds{100}); // sampling interval
  }
  stop = true;
  writer.join();
  // Recovery: heal everything, let every write finish, let the group catch up.
  nem.heal_all();
  nem.wait_until_all_answer(milliseconds{60000});
  auto flush_err = prod.flush(std::chrono::seconds{150});
  size_t acked = 0;
  {
    std::lock_guard<std::mutex> guard{rec->mtx};
    acked = rec->checker.check().acked;
  }
  wait_for(milliseconds{60000}, [&] {
    sample_commits(sys, members.front(), *rec);
    std::lock_guard<std::mutex> guard{rec->mtx};
    return rec->checker.check().unprocessed == 0;
  });
  sample_leaders(sys, *cfg, topic, *rec);
  // Read every partition back from the beginning.
  {
    consumer_config rc;
    rc.bootstrap = bootstrap;
    rc.auto_offset_reset = offset_reset::earliest;
    consumer reader{sys, rc};
    std::vector<topic_partition> tps;
    for (int32_t p = 0; p < o.partitions; ++p)
      tps.push_back({topic, partition_id{p}});
    reader.assign(tps);
    reader.seek_to_beginning(tps);
    auto last_new = steady::now();
    auto deadline = steady::now() + std::chrono::seconds{60};
    size_t got = 0;
    while (steady::now() < deadline && steady::now() - last_new < std::chrono::seconds{3}) {
      for (auto& b : reader.poll(milliseconds{200})) {
        std::lock_guard<std::mutex> guard{rec->mtx};
        for (auto& r : b.records)
          rec->checker.logged(b.tp, r.offset.value, r.value);
        got += b.records.size();
        last_new = steady::now();
      }
    }
    (void) got;
  }
  // I3, one lineage: every replica's log files, once the followers have caught up.
  auto replica_bytes = [&](node_id id, int32_t p) {
    return segment_bytes(cfg->node_dir(id) + "/" + topic + "-" + std::to_string(p));
  };
  for (int32_t p = 0; p < o.partitions; ++p) {
    std::map<node_id, std::string> logs;
    wait_for(milliseconds{20000}, [&] {
      logs.clear();
      size_t lo = SIZE_MAX, hi = 0;
      for (auto& n : cfg->nodes) {
        if (!std::filesystem::exists(cfg->node_dir(n.id) + "/" + topic + "-"
                                     + std::to_string(p)))
          continue;
        auto bytes = replica_bytes(n.id, p);
        lo = std::min(lo, bytes.size());
        hi = std::max(hi, bytes.size());
        logs.emplace(n.id, std::move(bytes));
      }
      return lo == hi;
    });
    std::lock_guard<std::mutex> guard{rec->mtx};
    for (auto& [id, bytes] : logs)
      rec->checker.replica_log({topic, partition_id{p}}, id, std::move(bytes));
  }
  // Liveness: every broker back and alive in every broker's view, every ISR full.
  std::vector<std::string> broken;
  wait_for(milliseconds{60000}, [&] {
    broken = still_broken(sys, *cfg, topic);
    return broken.empty();
  });
  {
    std::lock_guard<std::mutex> guard{rec->mtx};
    for (auto& what : broken)
      rec->checker.unrecovered(what);
  }
  for (auto& m : members)
    caf::anon_send_exit(m, caf::exit_reason::user_shutdown);
  for (auto& s : sinks)
    caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  std::lock_guard<std::mutex> guard{rec->mtx};
  auto r = rec->checker.check();
  std::string kinds_line;
  for (auto& [k, n] : injected)
    kinds_line += (kinds_line.empty() ? "" : ", ") + k + " " + std::to_string(n);
  std::printf("faults injected: %zu (%s)\n", schedule.size(), kinds_line.c_str());
  std::printf("records: %lld sent, %zu acknowledged, %zu failed, %zu in the logs; lost %zu, "
              "duplicated %zu, offset gaps %zu%s\n",
              static_cast<long long>(sent.load()), r.acked, rec->failed, r.logged, r.lost,
              r.duplicated, r.gaps, flush_err ? " (producer flush timed out)" : "");
  std::printf("group: %zu records processed, %zu acknowledged ones never processed, %zu "
              "partition assignments, committed offsets going backwards %zu\n",
              rec->processed, r.unprocessed, rec->assignments, r.commits_backwards);
  std::printf("leaders: %zu leader changes seen, %zu epochs with two leaders; replicas of "
              "%zu partition(s) diverged; %zu thing(s) still broken after healing\n",
              r.leader_changes, r.split_brain, r.diverged, r.unrecovered);
  (void) acked;
  if (r.ok()) {
    std::printf("result: OK (seed %llu)\n", static_cast<unsigned long long>(o.seed));
    return 0;
  }
  std::printf("result: %zu VIOLATION(S) (seed %llu)\n", r.violations.size(),
              static_cast<unsigned long long>(o.seed));
  for (auto& v : r.violations)
    std::printf("  %s\n", v.c_str());
  return 1;
}

} // namespace

void add_chaos_run_command(CLI::App& chaos, command_fn& run_fn) {
  auto o = std::make_shared<run_options>();
  auto cmd = chaos.add_subcommand(
    "run", "a seeded nemesis run with a workload and a checker of the invariants");
  add_connection_options(*cmd, o->conn);
  cmd->add_option("--seed", o->seed, "the schedule's seed (the same seed, the same faults)")
    ->capture_default_str();
  cmd->add_option("--duration", o->duration, "how long faults are injected (e.g. 30s, 2m)")
    ->capture_default_str();
  cmd->add_option("--faults", o->faults, "fault kinds: kill,pause,partition,drop,duplicate,delay,disk or all")
    ->capture_default_str();
  cmd->add_option("--topic", o->topic, "topic (default: a new chaos-<seed>-<time>)");
  cmd->add_option("--partitions", o->partitions, "partitions of a new topic")
    ->capture_default_str()
    ->check(CLI::Range(1, 1000));
  cmd->add_option("--rate", o->rate, "records per second")
    ->capture_default_str()
    ->check(CLI::Range(1, 1000000));
  cmd->add_option("--consumers", o->consumers, "group members")
    ->capture_default_str()
    ->check(CLI::Range(1, 100));
  cmd->callback([o, &run_fn] { run_fn = [o] { return run(*o); }; });
}

} // namespace cafka::app
