// The deterministic whole-cluster simulation (actors/sim/cluster_sim) as CI runs it: 200
// seeds of a 3-node cluster with an idempotent producer and a consumer group under kills,
// partitions, lost, duplicated and delayed messages, checked for I1-I4 and I7; a failing
// seed is printed with its shortest failing schedule (`cafka chaos sim --seed S` replays it).
// Also: a seed replays exactly, and a given schedule is run as given.
#include <catch2/catch.hpp>

#include <cstdio>

#include "actors/sim/cluster_sim.hpp"

using namespace cafka;

namespace {

constexpr int ci_seeds = 200;

std::string explain(const sim_result& r) {
  std::string out = r.stuck.empty() ? "" : "stuck: " + r.stuck + "\n";
  for (auto& v : r.report.violations)
    out += v + "\n";
  for (auto& f : r.schedule)
    out += "  +" + std::to_string(f.at_ms) + " ms " + f.kind + " node "
           + to_string(f.node) + " for " + std::to_string(f.duration_ms) + " ms\n";
  return out;
}

} // namespace

TEST_CASE("200 seeds of the deterministic cluster simulation find no invariant violation",
          "[sim]") {
  int failed = 0;
  size_t faults = 0, acked = 0, leader_changes = 0;
  for (int seed = 1; seed <= ci_seeds; ++seed) {
    sim_options o;
    o.seed = static_cast<uint64_t>(seed);
    o.duration_ms = 15000;
    auto r = run_simulation(o);
    faults += r.schedule.size();
    acked += r.report.acked;
    leader_changes += r.report.leader_changes;
    if (r.ok())
      continue;
    ++failed;
    int runs = 0;
    auto shortest = shrink_schedule(o, r.schedule, runs);
    sim_result small;
    small.schedule = shortest;
    FAIL_CHECK("seed " << seed << " failed (replay: cafka chaos sim --seed " << seed
                       << " --duration 15s)\n"
                       << explain(r) << "shortest failing schedule:\n"
                       << explain(small));
  }
  std::printf("simulation: %d seeds, %zu faults, %zu records acknowledged, %zu leader "
              "changes, %d failed\n",
              ci_seeds, faults, acked, leader_changes, failed);
  CHECK(failed == 0);
  CHECK(faults >= static_cast<size_t>(ci_seeds));  // the schedules did inject faults
  CHECK(leader_changes > 0);                         // and kills moved leaderships
}

TEST_CASE("a simulation seed replays exactly", "[sim]") {
  sim_options o;
  o.seed = 42;
  o.duration_ms = 8000;
  auto a = run_simulation(o);
  auto b = run_simulation(o);
  INFO(explain(a));
  REQUIRE(a.ok());
  CHECK(a.report.acked > 0);
  CHECK(a.digest == b.digest);
  CHECK(a.steps == b.steps);
  CHECK(a.sim_ms == b.sim_ms);
  CHECK(a.schedule.size() == b.schedule.size());
  o.seed = 43;
  auto c = run_simulation(o);
  CHECK(c.steps != a.steps);  // another seed is another run
}

TEST_CASE("a given fault schedule is run as given: a killed leader's node comes back and "
          "nothing acknowledged is lost",
          "[sim]") {
  sim_options o;
  o.seed = 7;
  o.duration_ms = 8000;
  std::vector<nemesis_fault> s;
  s.push_back({1000, "kill", "", node_id{1}, 2000});
  s.push_back({3500, "partition", "", node_id{2}, 1500});
  s.push_back({5500, "duplicate", "", node_id{3}, 1000});
  o.schedule = s;
  auto r = run_simulation(o);
  INFO(explain(r));
  CHECK(r.ok());
  REQUIRE(r.schedule.size() == 3);
  CHECK(r.schedule[0].kind == "kill");
  CHECK(r.report.acked == r.sent - r.failed);
  CHECK(r.report.leader_changes > 0);
}

TEST_CASE("regression, simulation seed 1000777: while a follower's ISR join is in flight the "
          "high watermark waits for it, so the preferred-leader election that follows loses "
          "nothing",
          "[sim]") {
  // Found by bench/soak.sh: leader 2 proposed ISR {1,2,3} when follower 1 reached the high
  // watermark, then acknowledged records past follower 1's log end with ISR {2,3}; once the
  // change committed, the controller made follower 1 the leader without them (I1).
  sim_options o;
  o.seed = 1000777;
  o.duration_ms = 30000;
  auto r = run_simulation(o);
  INFO(explain(r));
  CHECK(r.ok());
  CHECK(r.report.lost == 0);
}
