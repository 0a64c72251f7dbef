// Randomized tests of the group core (runtime/group/group_core.hpp) and the load of its
// partition (offsets_load.hpp): one group with several members (KIP-848 and classic) over
// a fake network and clock, a partition that acknowledges, loses or delays writes, and
// coordinator failover (group_core_sim.hpp). Every reply and every load is checked: a
// reply goes out only once the write holding its change is acknowledged; an acknowledged
// commit is on the ISR, shown by every later fetch and found by every later load, and a
// committed offset never goes back (I4); a partition is never handed to a member while
// another one owns it; a member's epoch never goes back and within one epoch its
// assignment only grows (I7-style). After healing, the group settles: every partition
// owned by exactly one live member.
// CAFKA_GROUP_SEEDS=N changes the default 1000 seeds; CAFKA_GROUP_SEED=S replays one seed.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "tests/runtime/group_core_sim.hpp"

using namespace cafka;
using namespace cafka::group;
using namespace cafka::group::test;

namespace {

int env_or(const char* name, int fallback) {
  if (const char* s = std::getenv(name))
    return std::max(1, std::atoi(s));
  return fallback;
}

sim_stats run_seed(uint64_t seed) {
  int members = 2 + static_cast<int>(seed % 4);
  int statics = static_cast<int>(seed % 3 == 0 ? 1 + seed % 2 : 0);
  int classics = static_cast<int>(seed % 4 == 1 ? 1 : seed % 8 == 3 ? 2 : 0);
  std::map<std::string, int32_t> topics{{"a", 1 + static_cast<int32_t>(seed % 4)}};
  if (seed % 2 == 0)
    topics["b"] = 2;
  group_sim sim(seed, members, statics, classics, topics);
  std::mt19937_64 rng(seed);
  auto pick = [&](double hi) { return std::uniform_real_distribution<double>(0, hi)(rng); };
  for (int phase = 0; phase < 4; ++phase) {
    sim_faults f;
    f.drop = pick(0.15);
    static const int32_t delays[] = {0, 1, 3, 10, 40};
    f.max_delay_ms = delays[rng() % 5];
    f.write_lost = pick(0.05);
    f.write_unacked = pick(0.05);
    f.max_ack_ms = static_cast<int32_t>(rng() % 30);
    f.member_crash = pick(0.0008);
    f.member_leave = pick(0.0004);
    f.member_restart = pick(0.01);
    f.coordinator_crash = pick(0.002);
    f.coordinator_move = pick(0.002);
    f.topic_grows = pick(0.0005);
    sim.faults = f;
    sim.run(500);
  }
  sim.settle(1500);
  return sim.stats();
}

} // namespace

TEST_CASE("group core randomized: replies wait for their writes, commits survive failover, "
          "no partition has two owners",
          "[group]") {
  if (const char* one = std::getenv("CAFKA_GROUP_SEED")) {
    auto seed = static_cast<uint64_t>(std::atoll(one));
    INFO("seed " << seed);
    run_seed(seed);
    return;
  }
  int seeds = env_or("CAFKA_GROUP_SEEDS", 1000);
  sim_stats total;
  for (int s = 1; s <= seeds; ++s) {
    INFO("seed " << s << " (replay: CAFKA_GROUP_SEED=" << s << ")");
    auto st = run_seed(static_cast<uint64_t>(s));
    total.replies += st.replies;
    total.heartbeats_ok += st.heartbeats_ok;
    total.commits_acked += st.commits_acked;
    total.fetches_ok += st.fetches_ok;
    total.writes += st.writes;
    total.writes_failed += st.writes_failed;
    total.loads += st.loads;
    total.loaded_offsets += st.loaded_offsets;
    total.member_crashes += st.member_crashes;
    total.self_expiries += st.self_expiries;
    total.moved += st.moved;
    total.classic_syncs += st.classic_syncs;
  }
  INFO(total.replies << " replies, " << total.commits_acked << " commits acknowledged, "
                     << total.writes << " writes (" << total.writes_failed << " failed), "
                     << total.loads << " loads, " << total.moved << " partitions moved, "
                     << total.classic_syncs << " classic syncs");
  // The runs did exercise the protocol.
  CHECK(total.heartbeats_ok > seeds * 100);
  CHECK(total.commits_acked > seeds * 20);
  CHECK(total.writes_failed > seeds / 4);
  CHECK(total.loads > seeds * 2);
  CHECK(total.loaded_offsets > seeds);
  CHECK(total.member_crashes > seeds / 4);
  CHECK(total.self_expiries > seeds / 10);
  CHECK(total.moved > seeds * 5);
  CHECK(total.classic_syncs > seeds / 2);
}
