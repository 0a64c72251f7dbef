// `cafka chaos run --seed S --duration D [--faults kill,pause,partition,drop,...]`: a nemesis run
// against the local cluster of --config (started if it is down; network and disk faults need
// chaos-enable=true in that config's [cluster] section). An idempotent acks=all
// producer and a group of actor consumers run while faults from the seeded schedule come and
// go; then everything is healed, the logs are read back, and the histories are checked
// (runtime/chaos/history_checker). Prints a report; exit 1 on any violation. run() reads as
// those steps; the workload is in chaos_run_workload.*. Main thread.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "actors/chaos/local_nodes.hpp"
#include "app/app_common.hpp"
#include "app/chaos_run_workload.hpp"
#include "cafka/consumer.hpp"
#include "cafka/fault_injector.hpp"
#include "runtime/base/errc.hpp"
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
      std::fprintf(stderr, "nemesis: %s on node %s: %s\n", f.kind.c_str(),
                   to_string(f.node).c_str(), describe(err).c_str());
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
            rec.checker.leader({topic, pm.id}, pm.epoch, pm.leader);
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
    auto who = "broker " + to_string(n.id);
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
              out.push_back(who + " sees broker " + to_string(bm.id) + " fenced");
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
          if (po.offset >= log_offset{0})
            rec.checker.committed(po.tp, po.offset);
      },
      [](caf::error&) {});
}

// What a run works from: the cluster, how long faults come and go, and their schedule.
struct run_plan {
  cluster_config cfg;
  int64_t duration_ms = 0;
  std::vector<nemesis_fault> schedule;
};

// Validates the options and draws the seed's schedule; nullopt after printing why not.
std::optional<run_plan> plan_run(const run_options& o) {
  auto cfg = load_cluster_config(o.conn.config);
  if (!cfg) {
    fail(describe(cfg.error()));
    return std::nullopt;
  }
  auto duration = parse_duration_ms(o.duration);
  if (duration < 5000) {
    fail("--duration must be at least 5s (e.g. 30s, 2m)");
    return std::nullopt;
  }
  auto kinds = parse_fault_kinds(o.faults);
  if (!kinds) {
    fail(describe(kinds.error()));
    return std::nullopt;
  }
  auto needs_agents = std::any_of(kinds->begin(), kinds->end(), [](const std::string& k) {
    return k != "kill" && k != "pause";
  });
  if (needs_agents && !cfg->chaos.enable) {
    fail(o.conn.config + ": chaos run injects network and disk faults through the nodes' "
         "chaos agents: set chaos-enable=true in its [cluster] section (or use --faults "
         "kill,pause)");
    return std::nullopt;
  }
  std::vector<node_id> nodes;
  for (auto& n : cfg->nodes) {
    if (!is_local(n.host)) {
      fail("node " + to_string(n.id)
           + " is not on this machine: chaos run needs every node local");
      return std::nullopt;
    }
    nodes.push_back(n.id);
  }
  auto schedule = make_schedule(o.seed, duration, *kinds, nodes);
  return run_plan{std::move(*cfg), duration, std::move(schedule)};
}

// Starts the nodes that are down, waits for every one to answer and creates the topic; prints
// the run's first line. The topic, or nullopt after printing why not.
std::optional<std::string> prepare_cluster(caf::actor_system& sys, nemesis& nem,
                                           const run_options& o, const run_plan& plan) {
  nem.heal_all(); // starts nodes that are down
  if (!nem.wait_until_all_answer(milliseconds{60000})) {
    fail("the cluster did not come up");
    return std::nullopt;
  }
  auto topic = o.topic.empty() ? "chaos-" + std::to_string(o.seed) + "-"
                                   + std::to_string(std::time(nullptr))
                               : o.topic;
  int32_t rf = std::min<int32_t>(3, static_cast<int32_t>(plan.cfg.nodes.size()));
  if (ensure_topic(sys, o.conn, {topic, o.partitions, rf}) != 0)
    return std::nullopt;
  std::printf("chaos run: seed %llu, %lld ms, faults %s, topic %s, %zu fault(s) scheduled\n",
              static_cast<unsigned long long>(o.seed), static_cast<long long>(plan.duration_ms),
              o.faults.c_str(), topic.c_str(), plan.schedule.size());
  std::fflush(stdout);
  return topic;
}

// Samples what the checker needs while faults come and go: leaderships (I7) and the group's
// committed offsets (I4). Times count from its construction. Main thread.
class sampler {
public:
  sampler(caf::actor_system& sys, const cluster_config& cfg, const std::string& topic,
          const consumer_actor& member, recorder& rec)
    : sys_{sys}, cfg_{cfg}, topic_{topic}, member_{member}, rec_{rec}, t0_{steady::now()} {}

  int64_t elapsed_ms() const {
    return std::chrono::duration_cast<milliseconds>(steady::now() - t0_).count();
  }

  // Samples both every 100 ms until `until_ms` after the start.
  void sample_until(int64_t until_ms) {
    while (elapsed_ms() < until_ms) {
      leaders();
      commits();
      std::this_thread::sleep_for(milliseconds{100}); // sampling interval
    }
  }

  void leaders() { sample_leaders(sys_, cfg_, topic_, rec_); }
  void commits() { sample_commits(sys_, member_, rec_); }

private:
  caf::actor_system& sys_;
  const cluster_config& cfg_;
  const std::string& topic_;
  consumer_actor member_;
  recorder& rec_;
  steady::time_point t0_;
};

std::string fault_label(const nemesis_fault& f) {
  return f.variant.empty() ? f.kind : f.kind + " " + f.variant;
}

// Runs the schedule: each fault announced, injected, sampled through and undone in turn.
// How many faults of each kind (and variant) were injected.
std::map<std::string, int> run_schedule(nemesis& nem, const std::vector<nemesis_fault>& schedule,
                                        sampler& s) {
  std::map<std::string, int> injected;
  for (auto& f : schedule) {
    s.sample_until(f.at_ms);
    std::printf("  +%6.1f s  %-11s node %s for %lld ms\n", f.at_ms / 1000.0,
                fault_label(f).c_str(), to_string(f.node).c_str(),
                static_cast<long long>(f.duration_ms));
    std::fflush(stdout);
    nem.inject(f);
    ++injected[fault_label(f)];
    s.sample_until(f.at_ms + f.duration_ms);
    nem.undo(f);
  }
  return injected;
}

// Recovery: heal everything, let every write finish, let the group catch up, take a last
// leadership sample. The producer's flush error, if its writes did not all finish.
caf::error heal(nemesis& nem, writer& w, sampler& s, recorder& rec) {
  nem.heal_all();
  nem.wait_until_all_answer(milliseconds{60000});
  auto flush_err = w.flush(std::chrono::seconds{150});
  wait_for(milliseconds{60000}, [&] {
    s.commits();
    std::lock_guard<std::mutex> guard{rec.mtx};
    return rec.checker.check().unprocessed == 0;
  });
  s.leaders();
  return flush_err;
}

// Reads every partition back from the beginning into the checker (I1, I2, I3 offsets); stops
// 3 s after the last new record, or after 60 s.
void read_back(caf::actor_system& sys, const std::string& bootstrap, const std::string& topic,
               int32_t partitions, recorder& rec) {
  consumer_config rc;
  rc.bootstrap = bootstrap;
  rc.auto_offset_reset = offset_reset::earliest;
  consumer reader{sys, rc};
  std::vector<topic_partition> tps;
  for (int32_t p = 0; p < partitions; ++p)
    tps.push_back({topic, partition_id{p}});
  reader.assign(tps);
  reader.seek_to_beginning(tps);
  auto last_new = steady::now();
  auto deadline = steady::now() + std::chrono::seconds{60};
  while (steady::now() < deadline && steady::now() - last_new < std::chrono::seconds{3}) {
    for (auto& b : reader.poll(milliseconds{200})) {
      std::lock_guard<std::mutex> guard{rec.mtx};
      for (auto& r : b.records)
        rec.checker.logged(b.tp, r.offset, r.value);
      last_new = steady::now();
    }
  }
}

// Every replica's log bytes of partition p, once all are the same length (the followers have
// caught up) or 20 s have passed.
std::map<node_id, std::string> replica_logs(const cluster_config& cfg, const std::string& topic,
                                            int32_t p) {
  std::map<node_id, std::string> logs;
  wait_for(milliseconds{20000}, [&] {
    logs.clear();
    size_t lo = SIZE_MAX, hi = 0;
    for (auto& n : cfg.nodes) {
      auto dir = cfg.node_dir(n.id) + "/" + topic + "-" + std::to_string(p);
      if (!std::filesystem::exists(dir))
        continue;
      auto bytes = segment_bytes(dir);
      lo = std::min(lo, bytes.size());
      hi = std::max(hi, bytes.size());
      logs.emplace(n.id, std::move(bytes));
    }
    return lo == hi;
  });
  return logs;
}

// I3, one lineage: every replica's log files into the checker.
void check_replica_logs(const cluster_config& cfg, const std::string& topic, int32_t partitions,
                        recorder& rec) {
  for (int32_t p = 0; p < partitions; ++p) {
    auto logs = replica_logs(cfg, topic, p);
    std::lock_guard<std::mutex> guard{rec.mtx};
    for (auto& [id, bytes] : logs)
      rec.checker.replica_log({topic, partition_id{p}}, id, std::move(bytes));
  }
}

// Liveness: every broker back and alive in every broker's view, every ISR full, within 60 s.
void check_recovered(caf::actor_system& sys, const cluster_config& cfg, const std::string& topic,
                     recorder& rec) {
  std::vector<std::string> broken;
  wait_for(milliseconds{60000}, [&] {
    broken = still_broken(sys, cfg, topic);
    return broken.empty();
  });
  std::lock_guard<std::mutex> guard{rec.mtx};
  for (auto& what : broken)
    rec.checker.unrecovered(what);
}

// Prints the report; the exit code: 0 if no invariant was violated, else 1.
int report(const run_options& o, const run_plan& plan, const std::map<std::string, int>& injected,
           int64_t sent, const caf::error& flush_err, recorder& rec) {
  std::lock_guard<std::mutex> guard{rec.mtx};
  auto r = rec.checker.check();
  std::string kinds_line;
  for (auto& [k, n] : injected)
    kinds_line += (kinds_line.empty() ? "" : ", ") + k + " " + std::to_string(n);
  std::printf("faults injected: %zu (%s)\n", plan.schedule.size(), kinds_line.c_str());
  std::printf("records: %lld sent, %zu acknowledged, %zu failed, %zu in the logs; lost %zu, "
              "duplicated %zu, offset gaps %zu%s\n",
              static_cast<long long>(sent), r.acked, rec.failed, r.logged, r.lost, r.duplicated,
              r.gaps, flush_err ? " (producer flush timed out)" : "");
  std::printf("group: %zu records processed, %zu acknowledged ones never processed, %zu "
              "partition assignments, committed offsets going backwards %zu\n",
              rec.processed, r.unprocessed, rec.assignments, r.commits_backwards);
  std::printf("leaders: %zu leader changes seen, %zu epochs with two leaders; replicas of "
              "%zu partition(s) diverged; %zu thing(s) still broken after healing\n",
              r.leader_changes, r.split_brain, r.diverged, r.unrecovered);
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

// Set up, workload, nemesis, heal, check, report.
int run(const run_options& o) {
  auto plan = plan_run(o);
  if (!plan)
    return 1;
  auto cs = open_client_system(o.conn.config);
  if (!cs)
    return 1;
  auto& sys = cs->sys();
  nemesis nem{sys, plan->cfg};
  auto topic = prepare_cluster(sys, nem, o, *plan);
  if (!topic)
    return 1;
  auto rec = std::make_shared<recorder>();
  auto bootstrap = resolve_bootstrap(o.conn);
  if (!bootstrap)
    return 1;
  consumer_group group{sys, *bootstrap, *topic, o.consumers, rec};
  writer w{sys, *bootstrap, *topic, o.seed, o.rate, rec};
  sampler s{sys, plan->cfg, *topic, group.first(), *rec};
  auto injected = run_schedule(nem, plan->schedule, s);
  s.sample_until(plan->duration_ms);
  w.stop();
  auto flush_err = heal(nem, w, s, *rec);
  read_back(sys, *bootstrap, *topic, o.partitions, *rec);
  check_replica_logs(plan->cfg, *topic, o.partitions, *rec);
  check_recovered(sys, plan->cfg, *topic, *rec);
  group.stop();
  return report(o, *plan, injected, w.sent(), flush_err, *rec);
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
