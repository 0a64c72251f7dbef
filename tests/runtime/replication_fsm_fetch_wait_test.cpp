// replica_fsm's long polls between a leader and its followers: when a parked follower fetch
// is answered (an append, the high watermark news, its max wait, a newer fetch of the same
// follower) and when a follower gives up a fetch it knows is lost.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "tests/runtime/replica_cluster.hpp"

using namespace cafka;
using namespace cafka::replica_test;

namespace {

// A cluster whose followers' fetches park for 30 s, as the broker's default.
replica_cluster long_polls() {
  replica_cluster c;
  c.base.replica_fetch_wait_max_ms = 30000;
  c.base.hw_notify_ms = 500;
  c.base.lost_fetch_retry_ms = 2500;
  return c;
}

} // namespace

TEST_CASE("a parked fetch whose follower knows an older high watermark is answered within the "
          "notify delay of it moving, and one that knows the current one waits its max wait",
          "[replication]") {
  auto c = long_polls();
  auto pm = partition(1, 0, {1, 2, 3});
  c.start(1, pm);
  c.start(2, pm);
  c.start(3, pm);
  c.send_fetches(2, 1);
  c.send_fetches(3, 1);
  auto pid = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 2, "a"), -1, 60000);
  CHECK(c.send_answers(1) == 2);  // the append woke both
  // Follower 2 fetches past the batch first: the high watermark waits for follower 3.
  c.send_fetches(2, 1);
  CHECK(c.fsm(1).high_watermark() == log_offset{0});
  CHECK(c.fsm(1).next_deadline() == c.now + 30000);
  c.now += 10;
  c.send_fetches(3, 1);
  CHECK(c.fsm(1).high_watermark() == log_offset{2});
  REQUIRE(c.reply(1, pid) != nullptr);
  CHECK(c.fsm(1).parked_fetches() == 2);
  CHECK(c.out[1].fetch_replies.empty());
  // Both followers know high watermark 0: their fetches are due 500 ms after it moved.
  CHECK(c.fsm(1).next_deadline() == c.now + 500);
  c.now += 499;
  c.tick(1);
  CHECK(c.out[1].fetch_replies.empty());
  c.now += 1;
  c.tick(1);
  REQUIRE(c.out[1].fetch_replies.size() == 2);
  for (auto& r : c.out[1].fetch_replies) {
    CHECK(r.resp.records.empty());
    CHECK(r.resp.high_watermark == log_offset{2});
  }
  c.send_answers(1);
  CHECK(c.fsm(2).high_watermark() == log_offset{2});
  CHECK(c.fsm(3).high_watermark() == log_offset{2});
  // Now they know it: their next fetches wait the full 30 s.
  c.send_fetches(2, 1);
  c.send_fetches(3, 1);
  CHECK(c.fsm(1).parked_fetches() == 2);
  CHECK(c.fsm(1).next_deadline() == c.now + 30000);
}

TEST_CASE("a newer fetch of a follower answers its older parked one at once", "[replication]") {
  auto c = long_polls();
  auto pm = partition(1, 0, {1, 2}, 0, {1, 2});
  c.start(1, pm);
  c.start(2, pm);
  auto f = c.out[2].fetches.at(0);
  c.out[2].fetches.clear();
  c.fsm(1).follower_fetch(100, f.req, c.now);
  c.drive(1);
  CHECK(c.fsm(1).parked_fetches() == 1);
  // Its answer was lost, say, and the follower fetched again.
  c.fsm(1).follower_fetch(101, f.req, c.now);
  c.drive(1);
  REQUIRE(c.out[1].fetch_replies.size() == 1);
  CHECK(c.out[1].fetch_replies[0].id == 100);
  CHECK_FALSE(c.out[1].fetch_replies[0].error);
  CHECK(c.fsm(1).parked_fetches() == 1);
  c.out[1].fetch_replies.clear();
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), 1);
  REQUIRE(c.out[1].fetch_replies.size() == 1);
  CHECK(c.out[1].fetch_replies[0].id == 101);
  CHECK(c.fsm(1).parked_fetches() == 0);
}

TEST_CASE("a follower sends a fetch the fault table cut again after the lost-fetch delay, not "
          "after its 30 s wait",
          "[replication]") {
  auto c = long_polls();
  c.start(2, partition(1, 0, {1, 2}, 0, {1, 2}));
  auto f = c.out[2].fetches.at(0);
  c.out[2].fetches.clear();
  CHECK(c.fsm(2).next_deadline() == c.now + 30000 + 200);
  c.fsm(2).fetch_lost(f.id, c.now);
  c.drive(2);
  CHECK(c.fsm(2).next_deadline() == c.now + 2500);
  c.now += 2499;
  c.tick(2);
  CHECK(c.out[2].fetches.empty());
  c.now += 1;
  c.tick(2);
  REQUIRE(c.out[2].fetches.size() == 1);
  CHECK(c.out[2].fetches[0].id != f.id);
  // A stale id changes nothing.
  c.fsm(2).fetch_lost(f.id, c.now);
  CHECK(c.fsm(2).next_deadline() == c.now + 30000 + 200);
}

TEST_CASE("a follower whose way to the leader went down gives up its fetch and sends the next "
          "one after the backoff",
          "[replication]") {
  auto c = long_polls();
  c.start(1, partition(1, 0, {1, 2}, 0, {1, 2}));
  c.start(2, partition(1, 0, {1, 2}, 0, {1, 2}));
  auto f = c.out[2].fetches.at(0);
  c.out[2].fetches.clear();
  c.fsm(2).leader_lost(c.now);
  c.drive(2);
  CHECK_FALSE(c.fsm(2).fetch_in_flight());
  CHECK(c.fsm(2).next_deadline() == c.now + 50);
  c.now += 50;
  c.tick(2);
  REQUIRE(c.out[2].fetches.size() == 1);
  auto g = c.out[2].fetches[0];
  CHECK(g.id != f.id);
  // The given-up fetch's answer arrives after all: dropped, and the new one stays in flight.
  c.fsm(1).follower_fetch(700, f.req, c.now);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), 1);
  REQUIRE(c.out[1].fetch_replies.size() == 1);
  c.fsm(2).fetch_answered(f.id, c.out[1].fetch_replies[0].resp, c.now);
  c.drive(2);
  CHECK(c.out[2].writes.empty());
  CHECK(c.fsm(2).fetch_in_flight());
}

TEST_CASE("a follower whose parked fetch ran out its 30 s wait counts as caught up until then, "
          "so an append before its next fetch does not shrink the ISR",
          "[replication]") {
  auto c = long_polls();  // replica-lag-time-max-ms 1000
  auto pm = partition(1, 0, {1, 2}, 0, {1, 2});
  c.start(1, pm);
  c.start(2, pm);
  c.send_fetches(2, 1);
  CHECK(c.fsm(1).parked_fetches() == 1);
  c.now += 30000;
  c.tick(1);
  REQUIRE(c.out[1].fetch_replies.size() == 1);  // answered empty at its wait
  // An append lands while the answer and the next fetch are on their way.
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), 1);
  c.tick(1);
  CHECK(c.out[1].proposals.empty());
  CHECK_FALSE(c.fsm(1).isr_change_pending());
  // Without a fetch for the lag limit it is lagging, and proposed out.
  c.now += 1001;
  c.tick(1);
  REQUIRE(c.out[1].proposals.size() == 1);
  CHECK(c.out[1].proposals[0].req.isr == ids({1}));
}

TEST_CASE("a follower that keeps up with a steady stream stays in the ISR although every fetch "
          "arrives behind the log end",
          "[replication]") {
  replica_cluster c;  // replica-lag-time-max-ms 1000
  auto pm = partition(1, 0, {1, 2}, 0, {1, 2});
  c.start(1, pm);
  c.start(2, pm);
  c.settle(1, {2});
  // For 5 s a record lands every 50 ms while the follower's next fetch is on its way: each
  // fetch reaches the log end of the leader's previous answer, never the current one.
  for (int i = 0; i < 100; ++i) {
    c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), 1);
    c.send_answers(1);
    c.now += 25;
    c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "b"), 1);
    c.send_fetches(2, 1);
    c.now += 25;
    c.tick(1);
    REQUIRE(c.out[1].proposals.empty());
  }
  CHECK(c.fsm(1).partition().isr == ids({1, 2}));
  // A follower that stops fetching is still proposed out after the lag limit.
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "c"), 1);
  c.out[2].fetches.clear();
  c.now += 1100;
  c.tick(1);
  REQUIRE(c.out[1].proposals.size() == 1);
  CHECK(c.out[1].proposals[0].req.isr == ids({1}));
}

TEST_CASE("a follower that caught up while another ISR change was pending is proposed when "
          "that change commits, not at its next fetch",
          "[replication]") {
  auto c = long_polls();
  auto pm = partition(1, 0, {1});  // replicas 1, 2, 3; ISR 1
  c.start(1, pm);
  c.start(2, pm);
  c.start(3, pm);
  c.confirm(1);  // a new leader first confirms the ISR it was given
  CHECK(c.out[1].proposals.empty());  // no follower has fetched yet
  c.send_fetches(2, 1);
  REQUIRE(c.out[1].proposals.size() == 1);
  CHECK(c.out[1].proposals[0].req.isr == ids({1, 2}));
  // Follower 3 is at the log end too, but a change is pending: its fetch parks for 30 s.
  c.send_fetches(3, 1);
  CHECK(c.out[1].proposals.size() == 1);
  CHECK(c.fsm(1).parked_fetches() == 2);
  c.confirm(1);
  REQUIRE(c.out[1].proposals.size() == 1);
  CHECK(c.out[1].proposals[0].req.isr == ids({1, 2, 3}));
  CHECK(c.fsm(1).parked_fetches() == 2);  // no fetch was needed
}
