// Randomized tests of raft::fsm: many seeds of a simulated quorum under message loss,
// reordering, duplication, partitions (one-way and both ways), crashes and restarts from
// disk, with random proposals and compactions. The simulation (raft_sim.hpp) checks election
// safety, log matching, leader completeness and state-machine safety after every step; at the
// end everything heals and a final proposal must commit everywhere (liveness).
// CAFKA_RAFT_SEEDS=N / CAFKA_RAFT_TICKS=T change the default 300 seeds x 4000 ticks (soak).

#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/runtime/raft_sim.hpp"

using namespace cafka;
using namespace cafka::raft;
using namespace cafka::raft::test;

namespace {

int env_or(const char* name, int fallback) {
  if (const char* s = std::getenv(name))
    return std::max(1, std::atoi(s));
  return fallback;
}

struct run_stats {
  int leader_changes = 0;
  size_t committed = 0;
  int restarts = 0;
  int64_t delivered = 0;
  raft_term max_term{0};
  int64_t snapshots = 0;  // install_snapshot messages delivered
};

// One randomized run; FAILs (throws) on any violation.
run_stats run_seed(uint64_t seed, int ticks) {
  std::mt19937_64 rng(seed * 7919 + 1);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };

  size_t n = seed % 3 == 0 ? 5 : 3;
  fsm_config cfg;
  cfg.max_entries_per_append = seed % 2 == 0 ? 1 : 1 + seed % 6;
  cfg.max_bytes_per_append = 16 + seed % 64;
  cfg.pre_vote = seed % 7 != 3;
  cfg.check_quorum = seed % 5 != 2;
  raft_sim sim(n, seed, cfg);
  sim.compact_every = seed % 4 == 0 ? 0 : 3 + seed % 17;
  auto& net = sim.net();
  auto ids = sim.ids();
  std::set<node_id> down;
  run_stats stats;
  auto set_faults = [&] {
    net.drop_rate = std::uniform_real_distribution<double>(0, 0.25)(rng);
    net.duplicate_rate = std::uniform_real_distribution<double>(0, 0.1)(rng);
    // Mostly short delays; sometimes long ones, so stale messages arrive after elections.
    static const int32_t delays[] = {0, 1, 2, 3, 8, 25};
    net.max_delay = delays[pick(6)];
  };
  set_faults();
  int proposals = 0;
  for (int t = 0; t < ticks; ++t) {
    if (chance(0.3)) {
      // Propose on whoever believes it leads (stale leaders included).
      auto ls = sim.leaders();
      if (!ls.empty())
        (void) sim.propose(ls[pick(ls.size())], "s" + std::to_string(seed) + "-"
                                                   + std::to_string(proposals++));
    }
    if (chance(0.04)) {
      switch (pick(9)) {
        case 0: {  // a random split, one way or both
          std::set<node_id> a, b;
          for (auto id : ids)
            (chance(0.5) ? a : b).insert(id);
          net.partition(a, b, chance(0.5));
          break;
        }
        case 1:
          net.heal();
          break;
        case 2:
          if (down.size() + 1 < n) {  // keep someone up
            auto id = ids[pick(n)];
            if (down.insert(id).second)
              sim.crash(id);
          }
          break;
        case 3:
          if (!down.empty()) {
            auto id = *std::next(down.begin(), static_cast<ptrdiff_t>(pick(down.size())));
            down.erase(id);
            sim.restart(id);
            ++stats.restarts;
          }
          break;
        case 4: {  // crash and come back at once (loses nothing it persisted)
          auto id = ids[pick(n)];
          if (down.count(id) == 0) {
            sim.crash(id);
            sim.restart(id);
            ++stats.restarts;
          }
          break;
        }
        case 5:
          set_faults();
          break;
        case 6:
          net.isolate(ids[pick(n)], ids);
          break;
        case 8: {  // crash in the middle of handling a message (its output is lost)
          auto id = ids[pick(n)];
          if (down.count(id) == 0 && down.size() + 1 < n) {
            down.insert(id);
            sim.crash_on_next_message(id);
          }
          break;
        }
        case 7: {  // crash a leader (it may come back later)
          auto ls = sim.leaders();
          if (!ls.empty() && down.size() + 1 < n) {
            auto id = ls[pick(ls.size())];
            down.insert(id);
            sim.crash(id);
          }
          break;
        }
      }
    }
    sim.tick();
    if (t % 250 == 0)
      sim.check_logs();
  }
  // Liveness: heal everything; a leader appears and a final proposal commits everywhere.
  net.heal();
  net.drop_rate = 0;
  net.duplicate_rate = 0;
  net.max_delay = 1;
  for (auto id : down)
    sim.restart(id);
  down.clear();
  bool committed = false;
  for (int attempt = 0; attempt < 5 && !committed; ++attempt) {
    auto p = sim.propose_somewhere("final", 60 * 10);
    if (!p)
      FAIL("seed " << seed << ": no leader after healing");
    auto idx = p->first;
    committed = sim.run_until([&] { return sim.applied_everywhere(idx); }, 100);
    if (committed) {
      auto& xs = sim.member(ids.front()).applied;
      committed = !xs.empty() && xs.back().second == "final";  // else another leader's entry
    }
  }
  if (!committed)
    FAIL("seed " << seed << ": the final proposal did not commit everywhere");
  sim.run(5);
  sim.check_converged();
  stats.leader_changes = sim.leader_changes();
  stats.committed = sim.committed_count();
  stats.delivered = sim.delivered();
  stats.max_term = sim.max_term_seen();
  for (auto id : ids)
    stats.snapshots += sim.member(id).received[4];
  return stats;
}

} // namespace

TEST_CASE("raft randomized: safety under faults and liveness after healing", "[raft]") {
  int seeds = env_or("CAFKA_RAFT_SEEDS", 300);
  int ticks = env_or("CAFKA_RAFT_TICKS", 4000);
  int leader_changes = 0;
  size_t committed = 0;
  int restarts = 0;
  int64_t delivered = 0;
  int64_t snapshots = 0;
  for (int s = 1; s <= seeds; ++s) {
    INFO("seed " << s);
    auto st = run_seed(static_cast<uint64_t>(s), ticks);
    leader_changes += st.leader_changes;
    committed += st.committed;
    restarts += st.restarts;
    delivered += st.delivered;
    snapshots += st.snapshots;
  }
  INFO("delivered " << delivered << " messages, " << snapshots << " snapshots");
  // The runs did exercise the protocol.
  CHECK(leader_changes > seeds);
  CHECK(committed > static_cast<size_t>(seeds) * 50);
  CHECK(restarts > seeds / 2);
  CHECK(delivered > seeds * 2000);
  CHECK(snapshots > seeds);
}
