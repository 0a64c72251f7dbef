// Randomized tests of replica_fsm: 1000 seeds of one partition on 3 replicas with a model
// controller, idempotent and plain producers, and faults (loss, duplication, delay and
// reordering, partitions, crashes, leader crashes, pauses, failed writes, preferred-leader
// moves), checked for I1, I2, I3, I7 and the high-watermark rules after every step
// (replication_sim_check.cpp); after healing, every write must be acknowledged and the
// replicas must converge. A failing seed is printed; CAFKA_REPLICA_SEED=S replays it alone
// with a trace of faults and log lines; CAFKA_REPLICA_SEEDS=N runs more (soak).
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>

#include "tests/runtime/replication_sim.hpp"

using namespace cafka;
using namespace cafka::replica_test;

namespace {

int env_or(const char* name, int fallback) {
  if (const char* s = std::getenv(name))
    return std::max(1, std::atoi(s));
  return fallback;
}

} // namespace

TEST_CASE("1000 seeds of three replica state machines under faults lose no acknowledged write "
          "and converge after healing",
          "[replication][sim]") {
  int first = 1;
  int seeds = env_or("CAFKA_REPLICA_SEEDS", 1000);
  bool verbose = false;
  if (const char* one = std::getenv("CAFKA_REPLICA_SEED")) {
    first = std::atoi(one);
    seeds = 1;
    verbose = true;
  }
  repl_sim_stats total;
  int failed = 0;
  for (int s = first; s < first + seeds; ++s) {
    repl_sim_options o;
    o.seed = static_cast<uint64_t>(s);
    o.verbose = verbose;
    replication_sim sim{o};
    auto failure = sim.run();
    if (!failure.empty()) {
      ++failed;
      FAIL_CHECK("seed " << s << ": " << failure << "\n(replay: CAFKA_REPLICA_SEED=" << s
                         << " runtime_tests \"[replication][sim]\")");
    }
    auto& st = sim.stats();
    total.produced += st.produced;
    total.acked += st.acked;
    total.leader_changes += st.leader_changes;
    total.crashes += st.crashes;
    total.truncations += st.truncations;
    total.isr_changes += st.isr_changes;
    total.deposed += st.deposed;
    total.delivered += st.delivered;
  }
  std::printf("replica simulation: %d seeds, %d failed, %zu batches, %zu acks=all acknowledged, "
              "%zu leader changes, %zu crashes, %zu truncations, %zu ISR changes, %zu leaders "
              "deposed, %lld messages\n",
              seeds, failed, total.produced, total.acked, total.leader_changes, total.crashes,
              total.truncations, total.isr_changes, total.deposed,
              static_cast<long long>(total.delivered));
  CHECK(failed == 0);
  if (seeds < 100)
    return;
  // The runs did exercise the protocol.
  CHECK(total.acked > static_cast<size_t>(seeds) * 30);
  CHECK(total.leader_changes > static_cast<size_t>(seeds));
  CHECK(total.truncations > static_cast<size_t>(seeds) / 10);
  CHECK(total.isr_changes > static_cast<size_t>(seeds));
  CHECK(total.deposed > 0);
}

TEST_CASE("a replica simulation seed replays exactly", "[replication][sim]") {
  repl_sim_options o;
  o.seed = 17;
  replication_sim a{o};
  replication_sim b{o};
  CHECK(a.run() == b.run());
  CHECK(a.stats().delivered == b.stats().delivered);
  CHECK(a.stats().acked == b.stats().acked);
  CHECK(a.stats().leader_changes == b.stats().leader_changes);
}
