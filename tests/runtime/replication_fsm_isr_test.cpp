// replica_fsm as a leader, its ISR: who joins (caught up past the epoch start), who is
// proposed out (behind for longer than the lag limit, counted from the last fetch at the log
// end or the append that woke a waiting one), and what the high watermark counts while a
// change is in flight or its outcome unknown.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "tests/runtime/replica_cluster.hpp"

using namespace cafka;
using namespace cafka::replica_test;

TEST_CASE("a caught-up follower is proposed for the ISR and holds the high watermark back while "
          "the change is in flight",
          "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 0, {1, 2});
  c.start(1, pm);
  c.confirm(1);  // the new leader's confirmation of the ISR (see the next test)
  pm.partition_epoch = partition_epoch{1};
  c.start(2, pm);
  c.start(3, pm);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), 1);
  c.settle(1, {2});
  CHECK(c.fsm(1).high_watermark() == log_offset{1});
  CHECK(c.out[1].proposals.empty());
  c.settle(1, {3});
  REQUIRE(c.out[1].proposals.size() == 1);
  auto prop = c.out[1].proposals[0];
  CHECK(prop.req.isr == ids({1, 2, 3}));
  CHECK(prop.req.partition_epoch == partition_epoch{1});
  CHECK(c.fsm(1).maximal_isr() == ids({1, 2, 3}));
  // Node 3 might be an ISR member already: nothing past its log end is acknowledged.
  auto p = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "b"), -1);
  c.settle(1, {2});
  CHECK(c.fsm(1).high_watermark() == log_offset{1});
  CHECK(c.reply(1, p) == nullptr);
  c.fsm(1).isr_change_committed(prop.id, partition(1, 0, {1, 2, 3}, 2), c.now);
  c.drive(1);
  CHECK_FALSE(c.fsm(1).isr_change_pending());
  c.settle(1, {3});
  CHECK(c.fsm(1).high_watermark() == log_offset{2});
  REQUIRE(c.reply(1, p));
  CHECK(c.reply(1, p)->result);
}

TEST_CASE("a new leader counts every replica for the high watermark until the partition epoch "
          "moves, and proposes the ISR as it is to move it",
          "[replication]") {
  // A previous incarnation of the leader's broker may have led this epoch and proposed adding
  // node 3; that change could still commit at partition epoch 0.
  replica_cluster c;
  auto pm = partition(1, 0, {1, 2});
  c.start(1, pm);
  c.start(2, pm);
  REQUIRE(c.out[1].proposals.size() == 1);
  CHECK(c.out[1].proposals[0].req.isr == ids({1, 2}));
  CHECK(c.out[1].proposals[0].req.partition_epoch == partition_epoch{0});
  CHECK(c.fsm(1).maximal_isr() == ids({1, 2, 3}));
  auto p = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), -1);
  c.settle(1, {2});
  CHECK(c.fsm(1).high_watermark() == log_offset{0});
  CHECK(c.reply(1, p) == nullptr);
  c.confirm(1);
  CHECK(c.fsm(1).maximal_isr() == ids({1, 2}));
  CHECK(c.fsm(1).high_watermark() == log_offset{1});
  REQUIRE(c.reply(1, p));
  CHECK(c.reply(1, p)->result);
  // A leader whose ISR holds every replica has nothing to confirm.
  replica_cluster d;
  d.start(1, partition(1, 0, {1, 2, 3}));
  CHECK(d.out[1].proposals.empty());
}

TEST_CASE("a follower at the high watermark but before the start of the leader's epoch is not "
          "proposed for the ISR",
          "[replication]") {
  replica_cluster c;
  c.start(1, partition(1, 0, {1}));
  for (int i = 0; i < 3; ++i)
    c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), 1);
  // Node 1 restarts (high watermark 0) and leads epoch 1 with node 3, which is gone, in its
  // ISR: the high watermark stays at 0; the new epoch wrote nothing, so it starts at 3.
  c.start(1, partition(1, 1, {1, 3}));
  c.confirm(1);
  CHECK(c.fsm(1).high_watermark() == log_offset{0});
  c.start(2, partition(1, 1, {1, 3}, 2));
  c.send_fetches(2, 1);  // node 2 at offset 0: at the high watermark, before the epoch start
  CHECK(c.out[1].proposals.empty());
  c.settle(1, {2});
  REQUIRE(c.out[1].proposals.size() == 1);
  CHECK(c.out[1].proposals[0].req.isr == ids({1, 2, 3}));
}

TEST_CASE("a follower behind the log end for longer than the lag limit is proposed out of the ISR",
          "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 0, {1, 2, 3});
  c.start(1, pm);
  c.start(2, pm);
  c.start(3, pm);
  auto p = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), -1);
  c.settle(1, {2});
  c.now += 1000;  // exactly the limit: not over it
  c.tick(1);
  CHECK(c.out[1].proposals.empty());
  c.now += 1;
  c.settle(1, {2});  // node 2 keeps fetching; node 3 is silent
  c.tick(1);
  REQUIRE(c.out[1].proposals.size() == 1);
  auto prop = c.out[1].proposals[0];
  CHECK(prop.req.isr == ids({1, 2}));
  CHECK(logged(c.out[1], "follower(s) 3 behind for more than 1000 ms; shrinking the ISR"));
  // Until the controller commits it, node 3 still counts.
  CHECK(c.fsm(1).high_watermark() == log_offset{0});
  c.fsm(1).isr_change_committed(prop.id, partition(1, 0, {1, 2}, 1), c.now);
  c.drive(1);
  CHECK(c.fsm(1).high_watermark() == log_offset{1});
  REQUIRE(c.reply(1, p));
  CHECK(c.reply(1, p)->result);
}

TEST_CASE("a follower whose fetch waited at the log end longer than the lag limit is not "
          "proposed out when an append wakes it",
          "[replication]") {
  replica_cluster c;
  c.base.replica_fetch_wait_max_ms = 5000;  // longer than the lag limit (1000 ms)
  auto pm = partition(1, 0, {1, 2}, 0, {1, 2});
  c.start(1, pm);
  c.start(2, pm);
  c.send_fetches(2, 1);
  REQUIRE(c.fsm(1).parked_fetches() == 1);
  c.now += 3000;  // nothing new: the fetch stays parked
  c.tick(1);
  CHECK(c.out[1].fetch_replies.empty());
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), 1);
  REQUIRE(c.out[1].fetch_replies.size() == 1);  // woken by the append
  // The follower is behind until its answer arrives; it was caught up until the append.
  c.now += 1;
  c.tick(1);
  CHECK(c.out[1].proposals.empty());
  CHECK(c.fsm(1).followers().at(node_id{2}).last_caught_up_ms == c.now - 1);
  // Silent from then on, it is proposed out once the limit passes.
  c.out[1].fetch_replies.clear();
  c.now += 1000;
  c.tick(1);
  REQUIRE(c.out[1].proposals.size() == 1);
  CHECK(c.out[1].proposals[0].req.isr == ids({1}));
}

TEST_CASE("an ISR change the controller refuses returns to the committed ISR, and one of unknown "
          "outcome keeps the maximal ISR until a newer view",
          "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 0, {1, 2});
  c.start(1, pm);
  c.confirm(1);
  pm.partition_epoch = partition_epoch{1};
  c.start(2, pm);
  c.start(3, pm);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), 1);
  c.settle(1, {2, 3});
  REQUIRE(c.out[1].proposals.size() == 1);
  auto id = c.out[1].proposals[0].id;
  c.out[1].proposals.clear();

  SECTION("refused") {
    c.fsm(1).isr_change_failed(id, make_error(errc::invalid_request, "no"), c.now);
    c.drive(1);
    CHECK_FALSE(c.fsm(1).isr_change_pending());
    CHECK(c.fsm(1).maximal_isr() == ids({1, 2}));
  }
  SECTION("lost: node 3 counts until the ISR, proposed unchanged, moves the partition epoch") {
    c.fsm(1).isr_change_failed(id, make_error(errc::request_timed_out, "lost"), c.now);
    c.drive(1);
    CHECK_FALSE(c.fsm(1).isr_change_pending());
    CHECK(c.fsm(1).maximal_isr() == ids({1, 2, 3}));
    c.now += 50;
    c.tick(1);
    REQUIRE(c.out[1].proposals.size() == 1);
    CHECK(c.out[1].proposals[0].id != id);
    CHECK(c.out[1].proposals[0].req.isr == ids({1, 2}));
    CHECK(c.fsm(1).maximal_isr() == ids({1, 2, 3}));
    c.confirm(1);
    // Node 3 is still caught up: once the confirmation commits it is proposed again.
    REQUIRE(c.out[1].proposals.size() == 1);
    CHECK(c.out[1].proposals[0].req.isr == ids({1, 2, 3}));
    c.fsm(1).isr_change_failed(c.out[1].proposals[0].id,
                               make_error(errc::invalid_request, "no"), c.now);
    c.drive(1);
    CHECK(c.fsm(1).maximal_isr() == ids({1, 2}));
  }
  SECTION("unanswered: the same at the timeout") {
    c.now += 500;
    c.tick(1);
    REQUIRE(c.out[1].proposals.size() == 1);
    CHECK(c.out[1].proposals[0].req.isr == ids({1, 2}));
    CHECK(c.fsm(1).maximal_isr() == ids({1, 2, 3}));
  }
  SECTION("stale: wait for the newer view, which decides") {
    c.fsm(1).isr_change_failed(id, make_error(errc::stale_epoch, "moved"), c.now);
    c.now += 10000;
    c.tick(1);
    CHECK(c.out[1].proposals.empty());
    CHECK(c.fsm(1).isr_change_pending());
    CHECK(c.fsm(1).maximal_isr() == ids({1, 2, 3}));
    c.update(1, partition(1, 0, {1, 2}, 2));  // the change did not make it
    CHECK_FALSE(c.fsm(1).isr_change_pending());
    CHECK(c.fsm(1).maximal_isr() == ids({1, 2}));
  }
}
