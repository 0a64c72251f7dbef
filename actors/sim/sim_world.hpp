// The deterministic cluster simulation's shared state (the world) and its workload: what
// run_simulation's driver actor and the workload functions share. Private to actors/sim;
// every function runs on the simulation's one thread (CAF's test_coordinator).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/detail/test_actor_clock.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/broker/broker_interface.hpp"
#include "actors/controller/controller_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "actors/sim/cluster_sim.hpp"
#include "cafka/client_messages.hpp"
#include "runtime/chaos/fault_table.hpp"
#include "runtime/config/cluster_config.hpp"

namespace cafka::sim_detail {

using std::chrono::milliseconds;
using caf::scheduler::test_coordinator;

constexpr int64_t epoch_base_ms = 1'800'000'000'000;  // the simulated wall clock's start
constexpr auto sample_every = milliseconds{100};
constexpr auto ask_timeout = milliseconds{1000};
constexpr int64_t recovery_deadline_ms = 60000;       // after the faults end
inline const std::string topic = "sim";

// The simulated wall clock: now_ms() of every actor during a simulation.
inline const caf::detail::test_actor_clock* sim_clock = nullptr;
inline int64_t sim_now_ms() {
  auto since = sim_clock->current_time.time_since_epoch();
  return epoch_base_ms + std::chrono::duration_cast<milliseconds>(since).count();
}

inline uint64_t fnv(uint64_t h, const std::string& s) {
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// One simulated node: its actors while it runs.
struct sim_node {
  node_config cfg;
  node_actor supervisor;
  controller_member_actor controller;
  broker_actor broker;
  bool up = false;
};

enum class phase { starting, running, recovering, reading, lineage, done };

// Everything the driver actor and the loop share (one thread).
struct world {
  sim_options opts;
  cluster_config cfg;
  std::vector<nemesis_fault> schedule;
  std::map<node_id, sim_node> nodes;
  std::map<std::string, caf::strong_actor_ptr> network;  // "host:port" -> supervisor
  history_checker checker;
  std::set<std::pair<topic_partition, leader_epoch>> epochs_seen;
  // The simulated network's rules: one table that every simulated node consults.
  std::shared_ptr<fault_table> faults;
  std::map<size_t, std::vector<uint64_t>> fault_rules;  // fault index -> fault table ids
  producer_actor producer;
  std::vector<consumer_actor> members;
  std::vector<caf::actor> sinks;
  consumer_actor reader;
  caf::actor reader_sink;
  phase ph = phase::starting;
  int64_t phase_deadline = 0;  // sim ms
  int64_t t0 = 0;              // sim ms when the workload started
  size_t sent = 0, acked = 0, failed = 0, outstanding = 0, processed = 0, logged = 0;
  size_t logged_last = 0;
  int64_t logged_stable_since = 0;
  uint64_t digest = 0xcbf29ce484222325ull;
  std::string stuck;  // a phase that missed its deadline: the run is a failure
};

using world_ptr = std::shared_ptr<world>;

inline std::string address(const node_config& n) {
  return n.host + ":" + std::to_string(n.port);
}


inline std::string bootstrap(const world& w) {
  return address(w.cfg.nodes.front());
}

// -- the workload (sim_workload.cpp) ----------------------------------------------------------

// A consumer's sink: counts what it processed (reader: the final read of every partition).
caf::behavior sink_behavior(caf::event_based_actor* self, world_ptr w, bool reader);
// Spawns the producer and the group members, and schedules the faults.
void start_workload(caf::event_based_actor* self, world_ptr w);
// Sends n records, checked by the history checker when their reports come.
void send_records(caf::event_based_actor* self, world_ptr w, int n);
// Samples every partition's leader and epoch (I7), and the group's committed offsets (I4).
void sample_leaders(caf::event_based_actor* self, world_ptr w);
void sample_commits(caf::event_based_actor* self, world_ptr w);
// True once every replica's segment bytes are a prefix of the longest one's.
bool replicas_agree(world& w);
// Records the replicas' final state in the checker and the digest.
void record_replicas(world& w);

} // namespace cafka::sim_detail
