// The fault schedule of a nemesis run, drawn from a seed: which fault, on which node, when,
// for how long. The same seed, duration, fault kinds and nodes give the same schedule.
// Plain C++; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/chaos/fault_table.hpp"

namespace cafka {

struct nemesis_fault {
  int64_t at_ms = 0;        // from the start of the run
  std::string kind;         // kill, pause, partition, drop, duplicate, delay, disk
  std::string variant;      // disk: write, fsync or slow; empty for the others
  node_id node;
  int64_t duration_ms = 0;  // then it is undone (restart, resume, heal)
};

inline const std::vector<std::string>& nemesis_kinds() {
  static const std::vector<std::string> kinds{"kill",      "pause", "partition", "drop",
                                              "duplicate", "delay", "disk"};
  return kinds;
}

// Parses "kill,pause" ("all": every kind); errc::invalid_request naming an unknown kind.
caf::expected<std::vector<std::string>> parse_fault_kinds(const std::string& list);

// Faults one after another (one at a time, with a recovery gap after each), none starting in
// the last 2 s of the run. Requires: kinds and nodes not empty.
std::vector<nemesis_fault> make_schedule(uint64_t seed, int64_t duration_ms,
                                         const std::vector<std::string>& kinds,
                                         const std::vector<node_id>& nodes);

// The fault-table rules of a network fault (partition, drop, duplicate, delay) on every link
// between f.node and `others`, both ways: a partition cuts them, drop loses 30% of the
// messages, duplicate delivers 30% twice, delay adds 20 ms plus up to 40 ms of jitter (which
// reorders). Empty for the other kinds.
std::vector<fault_rule> network_rules(const nemesis_fault& f, const std::set<node_id>& others);

// Shrinks a failing schedule: drops one fault at a time, keeping each removal after which
// `fails` still holds, until no single fault can go. Requires: fails(failing).
std::vector<nemesis_fault>
shrink_faults(std::vector<nemesis_fault> failing,
              const std::function<bool(const std::vector<nemesis_fault>&)>& fails);

} // namespace cafka
