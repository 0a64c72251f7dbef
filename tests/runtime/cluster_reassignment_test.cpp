// Partition moves in the metadata state machine (runtime/cluster/reassignment.hpp): start,
// completion through the ISR, cancel, replace, errors, decommission, the throttle's life and
// the snapshot's moves part.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_state.hpp"
#include "runtime/cluster/reassignment.hpp"
#include "tests/runtime/durable_test_util.hpp"

using namespace cafka;

namespace {

std::vector<node_id> nodes(std::initializer_list<int32_t> ids) {
  std::vector<node_id> out;
  for (auto i : ids)
    out.push_back(node_id{i});
  return out;
}

topic_partition tp(int32_t p) {
  return topic_partition{"t", partition_id{p}};
}

// Brokers 1..n, topic "t" with `partitions` partitions of replication factor 3; partition
// 0 is on {1,2,3} led by 1.
metadata_state cluster(int n, int32_t partitions = 1) {
  metadata_state st;
  for (int32_t i = 1; i <= n; ++i)
    REQUIRE_FALSE(st.apply(register_broker_cmd{broker_metadata{
                             node_id{i}, "127.0.0.1", static_cast<uint16_t>(9100 + i), true,
                             1}})
                    .error);
  REQUIRE_FALSE(st.apply(create_topic_cmd{create_topic_request{"t", partitions, 3}}).error);
  return st;
}

const partition_metadata& part(const metadata_state& st, int32_t p = 0) {
  return *st.current().find_partition(tp(p));
}

std::vector<reassignment_result> move(metadata_state& st,
                                      std::vector<partition_reassignment> moves,
                                      int64_t throttle = -1) {
  auto res = st.apply(alter_reassignments_cmd{alter_reassignments_request{moves, throttle}});
  REQUIRE_FALSE(res.error);
  REQUIRE(res.reassignments.size() == moves.size());
  return res.reassignments;
}

// The leader of partition p adds (or drops) ISR members: what its replica would propose.
apply_result set_isr(metadata_state& st, std::vector<node_id> isr, int32_t p = 0) {
  auto& pm = part(st, p);
  return st.apply(alter_isr_cmd{alter_isr_request{tp(p), pm.leader, pm.epoch,
                                                  pm.partition_epoch, std::move(isr)}});
}

std::string error_of(metadata_state& st, partition_reassignment r) {
  auto res = move(st, {std::move(r)});
  REQUIRE(res[0].error);
  return describe(res[0].error);
}

} // namespace

TEST_CASE("a move adds replicas, completes once they are in sync and moves the leadership",
          "[cluster][reassignment]") {
  auto st = cluster(4);
  REQUIRE(part(st).replicas == nodes({1, 2, 3}));
  REQUIRE(part(st).leader == node_id{1});
  auto before = part(st);
  auto version = st.current().version;
  auto res = move(st, {{tp(0), nodes({2, 3, 4}), false}});
  CHECK_FALSE(res[0].error);
  CHECK(st.current().version == version + 1);
  // The target first, then the leaving replica; nobody leaves before broker 4 is in sync.
  CHECK(part(st).replicas == nodes({2, 3, 4, 1}));
  CHECK(part(st).adding_replicas == nodes({4}));
  CHECK(part(st).removing_replicas == nodes({1}));
  CHECK(part(st).isr == nodes({2, 3, 1}));
  CHECK(part(st).leader == node_id{1});
  CHECK(part(st).epoch == before.epoch);
  CHECK(part(st).partition_epoch == before.partition_epoch + 1);
  CHECK(is_reassigning(part(st)));
  CHECK(target_replicas(part(st)) == nodes({2, 3, 4}));
  CHECK(original_replicas(part(st)) == nodes({2, 3, 1}));
  // The leader shrinking the ISR does not complete it.
  REQUIRE_FALSE(set_isr(st, nodes({1, 2})).error);
  CHECK(is_reassigning(part(st)));
  REQUIRE_FALSE(set_isr(st, nodes({1, 2, 3})).error);
  // Broker 4 caught up: the leader adds it, and the move completes in the same command.
  auto pe = part(st).partition_epoch;
  auto added = set_isr(st, nodes({1, 2, 3, 4}));
  REQUIRE_FALSE(added.error);
  CHECK(added.partition.replicas == nodes({2, 3, 4}));
  CHECK(part(st).replicas == nodes({2, 3, 4}));
  CHECK(part(st).isr == nodes({2, 3, 4}));
  CHECK(part(st).adding_replicas.empty());
  CHECK(part(st).removing_replicas.empty());
  CHECK(part(st).leader == node_id{2});
  CHECK(part(st).epoch == before.epoch + 1);
  CHECK(part(st).partition_epoch == pe + 2);  // the ISR change, then the completion
}

TEST_CASE("a leader that stays in the target keeps leading, and dropping replicas completes "
          "at once",
          "[cluster][reassignment]") {
  auto st = cluster(4);
  REQUIRE_FALSE(move(st, {{tp(0), nodes({1, 4})}})[0].error);
  CHECK(part(st).replicas == nodes({1, 4, 2, 3}));
  REQUIRE_FALSE(set_isr(st, nodes({1, 2, 3, 4})).error);
  CHECK(part(st).replicas == nodes({1, 4}));
  CHECK(part(st).isr == nodes({1, 4}));
  CHECK(part(st).leader == node_id{1});
  CHECK(part(st).epoch == leader_epoch{0});
  // Only dropping replicas: done in the command itself; the leader 1 leaves, 4 takes over.
  REQUIRE_FALSE(move(st, {{tp(0), nodes({4})}})[0].error);
  CHECK(part(st).replicas == nodes({4}));
  CHECK(part(st).isr == nodes({4}));
  CHECK(part(st).leader == node_id{4});
  CHECK_FALSE(is_reassigning(part(st)));
  // The same replicas in another order only reorder them (a new preferred leader).
  auto st2 = cluster(3);
  REQUIRE_FALSE(move(st2, {{tp(0), nodes({3, 1, 2})}})[0].error);
  CHECK(part(st2).replicas == nodes({3, 1, 2}));
  CHECK(part(st2).leader == node_id{1});
  CHECK_FALSE(is_reassigning(part(st2)));
}

TEST_CASE("cancelling a move goes back to the replicas before it", "[cluster][reassignment]") {
  auto st = cluster(5);
  REQUIRE_FALSE(move(st, {{tp(0), nodes({4, 5, 3})}})[0].error);
  CHECK(part(st).replicas == nodes({4, 5, 3, 1, 2}));
  REQUIRE_FALSE(set_isr(st, nodes({1, 2, 3, 4})).error);  // 4 in sync, 5 not yet
  CHECK(is_reassigning(part(st)));
  REQUIRE_FALSE(move(st, {{tp(0), {}, true}})[0].error);
  CHECK(part(st).replicas == nodes({3, 1, 2}));
  CHECK(part(st).isr == nodes({3, 1, 2}));
  CHECK(part(st).leader == node_id{1});
  CHECK_FALSE(is_reassigning(part(st)));
  CHECK(error_of(st, {tp(0), {}, true})
        == "no_reassignment_in_progress: no reassignment of t-0 is in progress");
}

TEST_CASE("a new move of a moving partition keeps the replicas it had before",
          "[cluster][reassignment]") {
  auto st = cluster(5);
  REQUIRE_FALSE(move(st, {{tp(0), nodes({2, 3, 4})}})[0].error);
  REQUIRE_FALSE(set_isr(st, nodes({1, 2, 3})).error);
  // 4 is not wanted any more; 5 is.
  REQUIRE_FALSE(move(st, {{tp(0), nodes({2, 3, 5})}})[0].error);
  CHECK(part(st).replicas == nodes({2, 3, 5, 1}));
  CHECK(part(st).adding_replicas == nodes({5}));
  CHECK(part(st).removing_replicas == nodes({1}));
  REQUIRE_FALSE(set_isr(st, nodes({1, 2, 3, 5})).error);
  CHECK(part(st).replicas == nodes({2, 3, 5}));
  CHECK(part(st).leader == node_id{2});
}

TEST_CASE("a move that cannot apply gets an exact error and leaves the others going",
          "[cluster][reassignment]") {
  auto st = cluster(4, 2);
  CHECK(error_of(st, {tp(0), {}})
        == "invalid_replica_assignment: the replicas of t-0 cannot be empty");
  CHECK(error_of(st, {tp(0), nodes({2, 4, 2})})
        == "invalid_replica_assignment: broker 2 is listed twice in the replicas of t-0");
  CHECK(error_of(st, {tp(0), nodes({2, 9})})
        == "invalid_replica_assignment: broker 9 in the replicas of t-0 is not a registered "
           "broker");
  CHECK(error_of(st, {tp(7), nodes({1})})
        == "unknown_topic_or_partition: topic partition t-7 does not exist");
  CHECK(error_of(st, {topic_partition{"nope", partition_id{0}}, nodes({1})})
        == "unknown_topic_or_partition: topic partition nope-0 does not exist");
  auto version = st.current().version;
  auto res = move(st, {{tp(0), nodes({9})}, {tp(1), nodes({1, 2, 4})}});
  CHECK(errc_of(res[0].error) == errc::invalid_replica_assignment);
  CHECK_FALSE(res[1].error);
  CHECK(res[1].tp == tp(1));
  CHECK(is_reassigning(part(st, 1)));
  CHECK_FALSE(is_reassigning(part(st, 0)));
  CHECK(st.current().version == version + 1);
  // Nothing applies: no version bump.
  move(st, {{tp(0), nodes({9})}});
  CHECK(st.current().version == version + 1);
}

TEST_CASE("decommissioning a broker moves its replicas to the least loaded brokers and keeps "
          "new ones off it",
          "[cluster][reassignment]") {
  auto st = cluster(4, 4);  // 4 partitions x 3 replicas over 4 brokers: 3 each
  auto res = st.apply(decommission_broker_cmd{decommission_request{node_id{1}, false, 5000}});
  REQUIRE_FALSE(res.error);
  CHECK(st.current().draining == nodes({1}));
  CHECK(st.current().reassignment_throttle == 5000);
  std::map<node_id, int> targets;
  for (auto& p : st.current().topics[0].partitions) {
    auto target = target_replicas(p);
    CHECK(std::find(target.begin(), target.end(), node_id{1}) == target.end());
    for (auto r : target)
      ++targets[r];
  }
  // 12 replicas over brokers 2..4.
  CHECK(targets == std::map<node_id, int>{{node_id{2}, 4}, {node_id{3}, 4}, {node_id{4}, 4}});
  // New topics and moves leave broker 1 out.
  REQUIRE_FALSE(st.apply(create_topic_cmd{create_topic_request{"u", 3, 3}}).error);
  for (auto& p : st.current().find_topic("u")->partitions)
    CHECK(std::find(p.replicas.begin(), p.replicas.end(), node_id{1}) == p.replicas.end());
  auto four = st.apply(create_topic_cmd{create_topic_request{"v", 1, 4}});
  CHECK(describe(four.error)
        == "invalid_replication_factor: replication factor 4 is larger than the number of "
           "available brokers (3)");
  CHECK(error_of(st, {topic_partition{"u", partition_id{0}}, nodes({1, 2, 3})})
        == "invalid_replica_assignment: broker 1 in the replicas of u-0 is being "
           "decommissioned");
  // Every move completes as the new replicas join the ISRs: no replica is left on broker 1,
  // and the throttle goes with the last move.
  for (int32_t p = 0; p < 4; ++p)
    if (is_reassigning(part(st, p))) {
      auto all = part(st, p).replicas;
      REQUIRE_FALSE(set_isr(st, all, p).error);
    }
  for (auto& p : st.current().topics[0].partitions) {
    CHECK_FALSE(is_reassigning(p));
    CHECK(std::find(p.replicas.begin(), p.replicas.end(), node_id{1}) == p.replicas.end());
    CHECK(p.leader != node_id{1});
  }
  CHECK(st.current().reassignment_throttle == 0);
  // Back into placement.
  REQUIRE_FALSE(st.apply(decommission_broker_cmd{decommission_request{node_id{1}, true}}).error);
  CHECK(st.current().draining.empty());
  CHECK(describe(
          st.apply(decommission_broker_cmd{decommission_request{node_id{1}, true}}).error)
        == "invalid_request: broker 1 is not being decommissioned");
}

TEST_CASE("a decommission no broker can take is refused whole", "[cluster][reassignment]") {
  auto st = cluster(3);
  auto before = st.to_bytes();
  auto res = st.apply(decommission_broker_cmd{decommission_request{node_id{2}}});
  CHECK(describe(res.error)
        == "invalid_replication_factor: no live broker can take broker 2's replica of t-0");
  CHECK(st.to_bytes() == before);
  CHECK(describe(st.apply(decommission_broker_cmd{decommission_request{node_id{8}}}).error)
        == "invalid_request: broker 8 is not a registered broker");
}

TEST_CASE("moves, decommissions and the throttle survive a snapshot", "[cluster][durable]") {
  auto st = cluster(5, 2);
  move(st, {{tp(0), nodes({2, 3, 4})}}, 1 << 20);
  REQUIRE_FALSE(st.apply(decommission_broker_cmd{decommission_request{node_id{5}}}).error);
  metadata_state back;
  REQUIRE_FALSE(back.from_bytes(st.to_bytes()));
  CHECK(back.to_bytes() == st.to_bytes());
  CHECK(part(back).adding_replicas == nodes({4}));
  CHECK(part(back).removing_replicas == nodes({1}));
  CHECK(back.current().draining == nodes({5}));
  CHECK(back.current().reassignment_throttle == 1 << 20);
  // Every member applying the same commands reaches the same state.
  REQUIRE_FALSE(set_isr(st, nodes({1, 2, 3, 4})).error);
  REQUIRE_FALSE(set_isr(back, nodes({1, 2, 3, 4})).error);
  CHECK(back.to_bytes() == st.to_bytes());
}

TEST_CASE("a snapshot's moves part that no command could have written is refused",
          "[cluster][durable]") {
  using cafka::test::unhex;
  auto st = cluster(5, 2);
  move(st, {{tp(0), nodes({2, 3, 4})}});
  auto good = st.to_bytes();
  // The moves part: 1 move of t-0 (adding [4], removing [1]), no broker decommissioned,
  // throttle 0: 26 bytes at the end.
  auto entry = std::string{"0174 00000000 01 00000004 01 00000001"};
  auto base = good.substr(0, good.size() - 26);
  REQUIRE(base + unhex("01" + entry + "00 0000000000000000") == good);
  auto error_of = [&](const std::string& moves) {
    metadata_state back;
    auto err = back.from_bytes(base + unhex(moves));
    REQUIRE(err);
    return describe(err);
  };
  auto prefix = std::string{"storage_error: malformed metadata snapshot: "};
  CHECK(error_of("01" + entry + "00 ffffffffffffffff") == prefix + "a negative throttle: -1");
  CHECK(error_of("02" + entry + entry + "00 0000000000000000")
        == prefix + "two moves of t-0");
  CHECK(error_of("01 0174 00000000 01 00000001 01 00000001 00 0000000000000000")
        == prefix + "the move of t-0: adding broker 1 is not a staying replica");
  CHECK(error_of("01 0174 00000000 01 00000004 01 00000002 00 0000000000000000")
        == prefix + "the move of t-0: the removing brokers are not the last replicas");
  CHECK(error_of("01 0174 00000000 00 00 00 0000000000000000")
        == prefix + "the move of t-0: it adds and removes nothing");
  CHECK(error_of("01 0174 00000007 01 00000004 01 00000001 00 0000000000000000")
        == prefix + "a move of t-7, a partition it does not have");
  CHECK(error_of("01" + entry + "02 00000005 00000004 0000000000000000")
        == prefix + "the decommissioned brokers are not sorted and distinct");
  CHECK(error_of("01" + entry + "01 00000009 0000000000000000")
        == prefix + "decommissioned broker 9 is not registered");
}

TEST_CASE("a move whose target is all in the ISR after an unclean election completes",
          "[cluster][reassignment]") {
  auto st = cluster(4);
  // {1,2,3} -> {4}, while 4 is down: it cannot catch up.
  REQUIRE_FALSE(st.apply(fence_broker_cmd{node_id{4}}).error);
  REQUIRE_FALSE(move(st, {{tp(0), nodes({4})}})[0].error);
  for (int32_t id : {1, 2, 3})
    REQUIRE_FALSE(st.apply(fence_broker_cmd{node_id{id}}).error);
  CHECK(part(st).leader == no_node);
  // 4 returns with unclean election on: it leads with an ISR of itself, the whole target.
  auto back = st.apply(unfence_broker_cmd{node_id{4}, 1, true});
  REQUIRE_FALSE(back.error);
  CHECK(part(st).leader == node_id{4});
  CHECK(part(st).replicas == nodes({4}));
  CHECK(part(st).isr == nodes({4}));
  CHECK_FALSE(is_reassigning(part(st)));
}

TEST_CASE("a cancel that would leave no live in-sync original replica is refused",
          "[cluster][reassignment]") {
  auto st = cluster(4);
  REQUIRE_FALSE(move(st, {{tp(0), nodes({4, 2, 3})}})[0].error);
  REQUIRE_FALSE(set_isr(st, nodes({1, 4})).error);  // 2 and 3 fell behind; 4 caught up
  REQUIRE(is_reassigning(part(st)));  // 2 and 3 are targets too
  REQUIRE_FALSE(st.apply(fence_broker_cmd{node_id{1}}).error);  // 4 leads now
  REQUIRE(part(st).leader == node_id{4});
  CHECK(error_of(st, {tp(0), {}, true})
        == "invalid_replica_assignment: cancelling the move of t-0 would leave it no live "
           "in-sync replica");
  CHECK(part(st).leader == node_id{4});
}
