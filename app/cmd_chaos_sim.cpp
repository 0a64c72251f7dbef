// `cafka chaos sim --seed S [--seeds N] [--duration D] [--faults ...]`: the deterministic
// whole-cluster simulation (actors/sim/cluster_sim) for one seed or N seeds in a row. Prints a
// line per seed; for a failing seed the violations, the shortest fault schedule that still
// fails, and the command that replays it. Exit 1 if any seed failed.
#include <chrono>
#include <cstdio>
#include <map>

#include "actors/sim/cluster_sim.hpp"
#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"

namespace cafka::app {

namespace {

struct sim_cli_options {
  uint64_t seed = 1;
  int32_t seeds = 1;
  std::string duration = "10s";
  std::string faults = "kill,partition,drop,duplicate,delay";
  int32_t partitions = 3;
  int32_t rate = 100;
  bool verbose = false;
  bool shrink = true;
};

void print_schedule(const std::vector<nemesis_fault>& s) {
  for (auto& f : s)
    std::printf("    +%6.1f s  %-9s node %s for %lld ms\n", f.at_ms / 1000.0, f.kind.c_str(),
                to_string(f.node).c_str(), static_cast<long long>(f.duration_ms));
}

int run(const sim_cli_options& o) {
  auto duration = parse_duration_ms(o.duration);
  if (duration < 2000)
    return fail("--duration must be at least 2s (simulated time, e.g. 10s)");
  auto kinds = parse_fault_kinds(o.faults);
  if (!kinds)
    return fail(describe(kinds.error()));
  for (auto& k : *kinds) {
    auto& known = sim_fault_kinds();
    if (std::find(known.begin(), known.end(), k) == known.end())
      return fail("the simulation has no '" + k
                  + "' fault (it has kill, partition, drop, duplicate, delay)");
  }
  int failures = 0;
  std::map<std::string, int> by_kind;
  size_t acked = 0, lost = 0, duplicated = 0, split_brain = 0, leader_changes = 0;
  for (int32_t i = 0; i < o.seeds; ++i) {
    sim_options so;
    so.seed = o.seed + static_cast<uint64_t>(i);
    so.duration_ms = duration;
    so.faults = *kinds;
    so.partitions = o.partitions;
    so.rate = o.rate;
    so.verbose = o.verbose;
    auto t0 = std::chrono::steady_clock::now();
    auto r = run_simulation(so);
    auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("seed %llu: %s  faults %zu, records %zu sent %zu acked %zu failed, lost %zu, "
                "duplicated %zu, %zu leader changes, %zu processed; %.1f s simulated in "
                "%.2f s, %llu steps, digest %016llx\n",
                static_cast<unsigned long long>(so.seed), r.ok() ? "OK" : "FAILED",
                r.schedule.size(), r.sent, r.report.acked, r.failed, r.report.lost,
                r.report.duplicated, r.report.leader_changes, r.processed, r.sim_ms / 1000.0,
                wall, static_cast<unsigned long long>(r.steps),
                static_cast<unsigned long long>(r.digest));
    std::fflush(stdout);
    for (auto& f : r.schedule)
      ++by_kind[f.kind];
    acked += r.report.acked;
    lost += r.report.lost;
    duplicated += r.report.duplicated;
    split_brain += r.report.split_brain;
    leader_changes += r.report.leader_changes;
    if (r.ok())
      continue;
    ++failures;
    if (!r.stuck.empty())
      std::printf("  stuck: %s\n", r.stuck.c_str());
    for (auto& v : r.report.violations)
      std::printf("  %s\n", v.c_str());
    std::printf("  schedule:\n");
    print_schedule(r.schedule);
    if (o.shrink && !r.schedule.empty()) {
      int runs = 0;
      auto shortest = shrink_schedule(so, r.schedule, runs);
      std::printf("  shortest failing schedule (%zu of %zu faults, %d runs):\n",
                  shortest.size(), r.schedule.size(), runs);
      print_schedule(shortest);
    }
    std::printf("  replay: cafka chaos sim --seed %llu --duration %s --faults %s "
                "--partitions %d --rate %d\n",
                static_cast<unsigned long long>(so.seed), o.duration.c_str(),
                o.faults.c_str(), o.partitions, o.rate);
    std::fflush(stdout);
  }
  if (o.seeds > 1) {
    std::string kinds;
    for (auto& [k, n] : by_kind)
      kinds += (kinds.empty() ? "" : ", ") + k + " " + std::to_string(n);
    std::printf("faults: %s; records: %zu acknowledged, %zu lost, %zu duplicated; %zu leader "
                "changes, %zu epochs with two leaders\n",
                kinds.empty() ? "none" : kinds.c_str(), acked, lost, duplicated, leader_changes,
                split_brain);
    std::printf("%d of %d seed(s) failed\n", failures, o.seeds);
  }
  return failures == 0 ? 0 : 1;
}

} // namespace

void add_chaos_sim_command(CLI::App& chaos, command_fn& run_fn) {
  auto o = std::make_shared<sim_cli_options>();
  auto cmd = chaos.add_subcommand(
    "sim", "deterministic simulation of a whole cluster in one process, by seed");
  cmd->add_option("--seed", o->seed, "the (first) seed")->capture_default_str();
  cmd->add_option("--seeds", o->seeds, "how many seeds, from --seed on")
    ->capture_default_str()
    ->check(CLI::Range(1, 1000000));
  cmd->add_option("--duration", o->duration, "simulated time with faults (e.g. 10s)")
    ->capture_default_str();
  cmd->add_option("--faults", o->faults, "fault kinds: kill,partition,drop,duplicate,delay")
    ->capture_default_str();
  cmd->add_option("--partitions", o->partitions, "partitions of the topic")
    ->capture_default_str()
    ->check(CLI::Range(1, 100));
  cmd->add_option("--rate", o->rate, "records per simulated second")
    ->capture_default_str()
    ->check(CLI::Range(10, 100000));
  cmd->add_flag("--verbose", o->verbose, "keep the simulated nodes' log lines");
  cmd->add_flag("!--no-shrink", o->shrink, "do not search a shorter failing schedule");
  cmd->callback([o, &run_fn] { run_fn = [o] { return run(*o); }; });
}

} // namespace cafka::app
