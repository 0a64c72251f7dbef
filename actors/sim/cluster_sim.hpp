// Deterministic whole-cluster simulation: every node of a cluster (supervisor, controller,
// broker, replicas, group coordinator and managers) plus the clients (an idempotent
// producer actor, a group of consumer actors) in one process on CAF's test_coordinator, with
// simulated time, a simulated network (the fault table) and seeded randomness, under a
// seeded fault schedule. The same seed replays the same run, step by step. Runs on the
// calling thread; one simulation at a time per process (it owns process-wide seams: the
// fault table, the wall clock and the entropy source).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/chaos/history_checker.hpp"
#include "runtime/chaos/nemesis_schedule.hpp"

namespace cafka {

struct sim_options {
  uint64_t seed = 1;
  int32_t nodes = 3;
  int32_t partitions = 3;
  int64_t duration_ms = 10000;  // simulated time with faults and writes
  std::vector<std::string> faults{"kill", "partition", "drop", "duplicate", "delay"};
  int32_t rate = 100;           // records per simulated second
  int32_t consumers = 2;        // group members
  // Run this schedule instead of the seed's (shrinking); the seed still drives the rest.
  std::optional<std::vector<nemesis_fault>> schedule;
  std::string dir;              // scratch directory (empty: one under the temp directory)
  bool verbose = false;         // keep the nodes' log lines
};

struct sim_result {
  std::vector<nemesis_fault> schedule;
  history_checker::report report;
  size_t sent = 0;
  size_t failed = 0;             // sends that ended in an error (not acknowledged)
  size_t processed = 0;          // records the group's members processed
  size_t leader_changes = 0;
  int64_t sim_ms = 0;            // simulated time at the end
  uint64_t steps = 0;            // scheduler jobs run
  uint64_t digest = 0;           // hash of the recorded history: same seed, same digest
  std::string stuck;             // non-empty: the phase that missed its deadline

  bool ok() const { return report.ok() && stuck.empty(); }
};

// The nemesis kinds a simulation knows (pause is a process fault of real nodes only).
const std::vector<std::string>& sim_fault_kinds();

sim_result run_simulation(const sim_options& o);

// The shortest schedule found by removing faults from `failing` (one at a time, repeatedly)
// while the simulation still fails; `runs` counts the simulations it took.
std::vector<nemesis_fault> shrink_schedule(const sim_options& o,
                                           std::vector<nemesis_fault> failing, int& runs);

} // namespace cafka
