// Committed offsets across failures of the __consumer_offsets partition, on real processes:
// after a write that failed, the group coordinator reloads the partition and serves no
// offset that is not on the ISR yet, so a committed offset never goes backwards (I4).
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>

#include "actors/client/consumer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/group/group_records.hpp"
#include "tests/integration/client_config.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::testing::client_config;
using cafka::testing::cluster_process;
using namespace std::chrono_literals;

namespace {

// The group's committed offset of tp, -1 for none, or -2 when the coordinator did not answer
// with offsets (loading, moving, timed out).
int64_t committed_offset(cafka::consumer& c, const cafka::topic_partition& tp) {
  auto r = c.committed({tp});
  if (!r || r->size() != 1)
    return -2;
  return r->front().offset;
}

} // namespace

TEST_CASE("regression, chaos run seed 11: after a failed offsets write the coordinator serves "
          "no committed offset that is not on the ISR, so committed offsets never go back",
          "[integration][group]") {
  // Node 1 is the controller only, so cutting two brokers apart leaves both alive for it; a
  // follower that is cut off stays in the ISR for the whole (long) lag window.
  cluster_process c{{{1, true, false}, {2, false, true}, {3, false, true}, {4, false, true}},
                    "group-consumer-session-timeout-ms=6000\n"
                    "offsets-topic-num-partitions=1\n"
                    "min-insync-replicas=2\n"
                    "flush-messages=1\n"
                    "replica-lag-time-max-ms=60000\n"};
  c.start_all();
  REQUIRE(cluster_process::eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "t", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  c.cli({"groups", "describe", "--group", "warm-up"});  // creates __consumer_offsets
  int32_t leader = -1;
  REQUIRE(cluster_process::eventually([&] {
    auto l = c.leaders(cafka::group::offsets_topic);
    leader = l.count(0) != 0 ? l[0] : -1;
    return leader > 0;
  }, 30s));
  int32_t cut = leader == 2 ? 3 : 2;             // the follower cut off from the leader
  int32_t other = 9 - leader - cut;              // the follower that keeps up
  INFO("leader " << leader << ", cut-off follower " << cut << ", follower " << other);

  caf::actor_system_config cfg;
  caf::actor_system sys{client_config(cfg)};
  cafka::consumer_config cc;
  cc.bootstrap = c.address(other);
  cc.group_id = "g";
  cc.request_timeout_ms = 2000;
  cafka::consumer cons{sys, cc};
  cafka::topic_partition tp{"t", cafka::partition_id{0}};
  REQUIRE(cluster_process::eventually([&] { return !cons.commit_sync({{tp, 5}}); }, 30s));
  REQUIRE(committed_offset(cons, tp) == 5);

  // The cut-off follower stays in the ISR but fetches nothing: the high watermark stays.
  REQUIRE(c.cli({"chaos", "partition", "--side", std::to_string(cut), "--other",
                 std::to_string(leader)})
            .exit_code
          == 0);
  // The leader's fsync fails once: the commit's record is in its log but on no ISR, the
  // commit is not acknowledged, and the group's manager stops; its coordinator reloads.
  REQUIRE(c.cli({"chaos", "disk", "--node", std::to_string(leader), "--fault", "fsync",
                 "--duration", "1s"})
            .exit_code
          == 0);
  CHECK(cons.commit_sync({{tp, 20}}));
  // The disk heals, the leader's replica comes back with offset 20 in its log. Until the
  // cut-off follower has it too, the coordinator must not serve it: were the leader to die
  // now, that follower could lead without it, and the committed offset would go back to 5.
  CHECK(cafka::test::stays_false([&] { return committed_offset(cons, tp) == 20; }, 6s));
  // Once the follower has caught up, the offset is on the ISR: it may be served, and stays.
  REQUIRE(c.cli({"chaos", "heal"}).exit_code == 0);
  REQUIRE(cluster_process::eventually([&] { return committed_offset(cons, tp) == 20; }, 30s));
  REQUIRE(cluster_process::eventually([&] { return !cons.commit_sync({{tp, 30}}); }, 30s));
  CHECK(committed_offset(cons, tp) == 30);
}
