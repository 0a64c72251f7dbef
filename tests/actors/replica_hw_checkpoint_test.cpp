// Tests of the partition replica actor's high-watermark checkpoint
// (replication-offset-checkpoint): written on its timer and at a clean stop when the high
// watermark moved, read at open, so that a leader restarted while its followers are down
// serves consumers its committed records at once; a damaged file is ignored.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include <caf/all.hpp>

#include "actors/broker/partition_replica.hpp"
#include "runtime/replication/hw_checkpoint.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/replica_fixture.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

constexpr int64_t one_hour_ms = 3600000;

broker_defaults checkpoint_every(int64_t ms) {
  broker_defaults d;
  d.replica_hw_checkpoint_interval_ms = ms;
  return d;
}

// The high watermark in the replica's checkpoint file; nullopt if there is none or it does
// not parse.
std::optional<int64_t> checkpointed(const replica_fixture& f) {
  std::ifstream in{f.log_dir() + "/" + hw_checkpoint_file, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::string bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  auto hw = parse_hw_checkpoint(bytes);
  if (!hw)
    return std::nullopt;
  return hw->value;
}

// t-0 on brokers 1-3, led by 1 in `epoch` with every replica in the ISR, as the controller
// has it while the followers' processes are down and their leases have not lapsed.
replica_actor spawn_rf3_leader(replica_fixture& f, leader_epoch epoch) {
  partition_metadata pm;
  pm.id = f.tp.partition;
  pm.leader = node_id{1};
  pm.epoch = epoch;
  pm.replicas = {node_id{1}, node_id{2}, node_id{3}};
  pm.isr = pm.replicas;
  replica_config rc{f.tp, f.log_dir(), checkpoint_every(one_hour_ms), {}, node_id{1}, pm,
                    f.io};
  auto r = spawn_partition_replica(f.sys, std::move(rc));
  f.spawned.push_back(r);
  return r;
}

} // namespace

TEST_CASE_METHOD(replica_fixture,
                 "a replica checkpoints its high watermark on its timer once it moved",
                 "[actors][replica]") {
  auto r = spawn(checkpoint_every(20));
  REQUIRE(produce(r, make_batch("a", 3)));
  CHECK(eventually([&] { return checkpointed(*this) == 3; }, 10s));
  REQUIRE(produce(r, make_batch("b", 2)));
  CHECK(eventually([&] { return checkpointed(*this) == 5; }, 10s));
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture,
                 "a new replica writes no high-watermark checkpoint until its high watermark "
                 "moves",
                 "[actors][replica]") {
  auto path = log_dir() + "/" + hw_checkpoint_file;
  // A clean stop writes the checkpoint unless it holds the high watermark already: an empty
  // log's can only be 0, which counts as held, so nothing is written.
  auto r = spawn(checkpoint_every(20));
  REQUIRE(list(r, latest_timestamp));
  REQUIRE(stop(r, false));
  CHECK_FALSE(std::filesystem::exists(path));
  auto again = spawn(checkpoint_every(20));
  REQUIRE(produce(again, make_batch("a", 2)));
  CHECK(eventually([&] { return checkpointed(*this) == 2; }, 10s));
  REQUIRE(stop(again, false));
}

TEST_CASE_METHOD(replica_fixture,
                 "a clean stop checkpoints the high watermark unless the file holds it already",
                 "[actors][replica]") {
  auto path = log_dir() + "/" + hw_checkpoint_file;
  auto r = spawn(checkpoint_every(one_hour_ms));
  REQUIRE(produce(r, make_batch("a", 3)));
  CHECK_FALSE(std::filesystem::exists(path));  // the timer is an hour away
  REQUIRE(stop(r, false));
  CHECK(checkpointed(*this) == 3);
  // Reopened, it holds what the file says: a stop without a new write writes nothing.
  auto again = spawn(checkpoint_every(one_hour_ms));
  REQUIRE(list(again, latest_timestamp));
  std::filesystem::remove(path);
  REQUIRE(stop(again, false));
  CHECK_FALSE(std::filesystem::exists(path));
  // A deleted partition's replica writes nothing either.
  auto deleted = spawn(checkpoint_every(one_hour_ms));
  REQUIRE(produce(deleted, make_batch("b", 1)));
  REQUIRE(stop(deleted, true));
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE_METHOD(replica_fixture,
                 "a leader restarted while its followers are down serves its checkpointed "
                 "records to consumers at once",
                 "[actors][replica]") {
  // First life: the records are committed (a single-replica ISR) and checkpointed at stop.
  auto first = spawn(checkpoint_every(one_hour_ms), {}, leader_epoch{2});
  REQUIRE(produce(first, make_batch("a", 5)));
  REQUIRE(stop(first, false));
  REQUIRE(checkpointed(*this) == 5);
  SECTION("with the checkpoint: every committed record at once") {
    auto r = spawn_rf3_leader(*this, leader_epoch{3});
    auto f = fetch(r, 0);
    REQUIRE(f);
    CHECK(f->high_watermark == log_offset{5});
    CHECK(decode(f->records) == expected_values("a", 5, 0));
    auto latest = list(r, latest_timestamp);
    REQUIRE(latest);
    CHECK(latest->offset == log_offset{5});
    // A write after the restart waits for the followers: consumers do not see it.
    produce_request req;
    req.tp = tp;
    req.acks = 1;
    req.batch = make_batch("b", 1);
    REQUIRE(ask<produce_response>(sys, r, produce_atom::value, std::move(req)));
    auto after = fetch(r, 0);
    REQUIRE(after);
    CHECK(after->high_watermark == log_offset{5});
    CHECK(decode(after->records) == expected_values("a", 5, 0));
  }
  auto path = log_dir() + "/" + hw_checkpoint_file;
  auto without = [&] {
    auto r = spawn_rf3_leader(*this, leader_epoch{3});
    auto f = fetch(r, 0);
    REQUIRE(f);
    CHECK(f->high_watermark == log_offset{0});
    CHECK(f->records.empty());
  };
  SECTION("without a checkpoint: nothing until the followers fetch") {
    std::filesystem::remove(path);
    without();
  }
  SECTION("a damaged checkpoint is ignored: nothing until the followers fetch") {
    std::ofstream{path, std::ios::binary | std::ios::trunc} << "garbage";
    without();
  }
}
