// replica_fsm as a leader: acks 0/1/all and when a parked acks=all produce is answered, the
// high watermark, follower fetches (fencing, long polls, deposing), idempotent retries and
// stops. The ISR rules are in replication_fsm_isr_test.cpp.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "tests/runtime/replica_cluster.hpp"

using namespace cafka;
using namespace cafka::replica_test;

TEST_CASE("an acks=1 produce is answered only after its append is reported, with the offset "
          "the log gave it",
          "[replication]") {
  replica_fsm_config cfg;
  cfg.tp = topic_partition{"t", partition_id{0}};
  cfg.self = node_id{1};
  replica_fsm fsm{cfg, log_offset{0}, log_offset{0}, {}, {}};
  fsm.update_partition(partition(1, 0, {1}, 0, {1}), 0);
  (void) fsm.take_output();
  auto batch = make_batch(no_producer_id, no_producer_epoch, -1, 3, "a");
  fsm.produce(7, describe_batch(batch, cfg, 0), 1, 1000, 0);
  auto out = fsm.take_output();
  REQUIRE(out.write);
  CHECK(out.write->what == log_write::kind::append);
  CHECK(out.write->produce_id == 7);
  CHECK(out.write->epoch == leader_epoch{0});
  // The epoch's start is saved before its first batch; nothing was lost from the history.
  CHECK(out.epochs_extended);
  CHECK_FALSE(out.persist_epochs);
  CHECK(out.produce_replies.empty());
  fsm.write_done(log_offset{3}, 0);
  out = fsm.take_output();
  REQUIRE(out.produce_replies.size() == 1);
  REQUIRE(out.produce_replies[0].result);
  CHECK(out.produce_replies[0].result->base_offset == log_offset{0});
  CHECK(fsm.log_end() == log_offset{3});
  CHECK(fsm.high_watermark() == log_offset{3});  // a lone ISR member
}

TEST_CASE("a parked acks=all produce is acknowledged when the last ISR follower fetches past it",
          "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 0, {1, 2, 3});
  c.start(1, pm);
  c.start(2, pm);
  c.start(3, pm);
  auto p = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 4, "a"), -1);
  CHECK(c.reply(1, p) == nullptr);
  c.settle(1, {2});
  CHECK(c.fsm(1).high_watermark() == log_offset{0});  // node 3 has nothing yet
  CHECK(c.reply(1, p) == nullptr);
  CHECK(c.fsm(1).parked_acks() == 1);
  c.settle(1, {3});
  CHECK(c.fsm(1).high_watermark() == log_offset{4});
  auto r = c.reply(1, p);
  REQUIRE(r);
  REQUIRE(r->result);
  CHECK(r->result->base_offset == log_offset{0});
  CHECK(c.out[1].high_watermark_advances > 0);  // consumer long polls are woken
}

TEST_CASE("a parked acks=all produce fails with request_timed_out at its deadline, not before",
          "[replication]") {
  replica_cluster c;
  c.start(1, partition(1, 0, {1, 2}));
  auto p = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), -1, 300);
  CHECK(c.fsm(1).next_deadline() == c.now + 300);
  c.now += 299;
  c.tick(1);
  CHECK(c.reply(1, p) == nullptr);
  c.now += 1;
  c.tick(1);
  auto r = c.reply(1, p);
  REQUIRE(r);
  REQUIRE_FALSE(r->result);
  CHECK(errc_of(r->result.error()) == errc::request_timed_out);
  CHECK(c.fsm(1).parked_acks() == 0);
}

TEST_CASE("acks=all with fewer ISR members than min.insync.replicas is refused and nothing is "
          "written",
          "[replication]") {
  replica_cluster c;
  c.base.min_insync_replicas = 2;
  c.start(1, partition(1, 0, {1}));
  auto p = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), -1);
  auto r = c.reply(1, p);
  REQUIRE(r);
  REQUIRE_FALSE(r->result);
  CHECK(errc_of(r->result.error()) == errc::not_enough_replicas);
  CHECK(c.out[1].writes.empty());
  CHECK(c.fsm(1).log_end() == log_offset{0});
  // acks=1 still works with a lone ISR member, as in Kafka.
  auto q = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "b"), 1);
  REQUIRE(c.reply(1, q));
  CHECK(c.reply(1, q)->result);
}

TEST_CASE("a parked acks=all produce fails with not_enough_replicas_after_append when the ISR "
          "shrank below the minimum before it was replicated",
          "[replication]") {
  replica_cluster c;
  c.base.min_insync_replicas = 2;
  c.start(1, partition(1, 0, {1, 2, 3}));
  auto p = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 2, "a"), -1);
  CHECK(c.reply(1, p) == nullptr);
  // The controller drops both followers (say they were fenced): the high watermark is now
  // the leader's log end, but only one replica holds the batch.
  c.update(1, partition(1, 0, {1}, 1));
  CHECK(c.fsm(1).high_watermark() == log_offset{2});
  auto r = c.reply(1, p);
  REQUIRE(r);
  REQUIRE_FALSE(r->result);
  CHECK(errc_of(r->result.error()) == errc::not_enough_replicas_after_append);
}

TEST_CASE("a fetch of a newer leader epoch deposes the leader: its parked requests fail and it "
          "takes no writes",
          "[replication]") {
  replica_cluster c;
  c.start(1, partition(1, 0, {1, 2}));
  auto p = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), -1);
  replica_fetch_request req;
  req.tp = c.base.tp;
  req.follower = node_id{2};
  req.epoch = leader_epoch{1};
  req.offset = log_offset{0};
  c.fsm(1).follower_fetch(99, req, c.now);
  c.drive(1);
  REQUIRE(c.out[1].fetch_replies.size() == 1);
  CHECK(errc_of(c.out[1].fetch_replies[0].error) == errc::unknown_leader_epoch);
  auto r = c.reply(1, p);
  REQUIRE(r);
  REQUIRE_FALSE(r->result);
  CHECK(errc_of(r->result.error()) == errc::not_leader_for_partition);
  REQUIRE(c.out[1].stopped_leading.size() == 1);
  CHECK_FALSE(c.fsm(1).leading());
  auto q = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "b"), 1);
  REQUIRE(c.reply(1, q));
  CHECK(errc_of(c.reply(1, q)->result.error()) == errc::not_leader_for_partition);
  // A newer view lets it lead again.
  c.update(1, partition(1, 2, {1, 2}));
  CHECK(c.fsm(1).leading());
}

TEST_CASE("a follower fetch of an older epoch is fenced and one from a position the leader's "
          "history does not have is told where to reconcile",
          "[replication]") {
  replica_cluster c;
  c.start(1, partition(1, 3, {1, 2}));
  replica_fetch_request req;
  req.tp = c.base.tp;
  req.follower = node_id{2};
  req.epoch = leader_epoch{2};
  c.fsm(1).follower_fetch(1, req, c.now);
  req.epoch = leader_epoch{3};
  req.offset = log_offset{5};
  c.fsm(1).follower_fetch(2, req, c.now);
  c.drive(1);
  REQUIRE(c.out[1].fetch_replies.size() == 2);
  CHECK(errc_of(c.out[1].fetch_replies[0].error) == errc::fenced_leader_epoch);
  // Offset 5 without an epoch, on an empty log: keep only what is committed (the log start).
  auto& d = c.out[1].fetch_replies[1];
  CHECK_FALSE(d.error);
  CHECK(d.resp.diverging_epoch == no_leader_epoch);
  CHECK(d.resp.diverging_end_offset == log_offset{0});
  CHECK_FALSE(d.read_from);
  CHECK(c.fsm(1).leading());
}

TEST_CASE("a follower fetch at the log end is parked until the next append, or answered empty at "
          "its max wait",
          "[replication]") {
  replica_cluster c;
  c.start(1, partition(1, 0, {1, 2}, 0, {1, 2}));
  c.start(2, partition(1, 0, {1, 2}, 0, {1, 2}));
  c.send_fetches(2, 1);
  CHECK(c.out[1].fetch_replies.empty());
  CHECK(c.fsm(1).parked_fetches() == 1);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 2, "a"), 1);
  REQUIRE(c.out[1].fetch_replies.size() == 1);
  CHECK(c.out[1].fetch_replies[0].resp.records.size() > 0);
  c.send_answers(1);
  CHECK(c.fsm(2).log_end() == log_offset{2});
  // The next one finds nothing and expires after the follower's max wait (100 ms).
  c.send_fetches(2, 1);
  CHECK(c.fsm(1).parked_fetches() == 1);
  c.now += 99;
  c.tick(1);
  CHECK(c.out[1].fetch_replies.empty());
  c.now += 1;
  c.tick(1);
  REQUIRE(c.out[1].fetch_replies.size() == 1);
  CHECK(c.out[1].fetch_replies[0].resp.records.empty());
  CHECK(c.out[1].fetch_replies[0].resp.high_watermark == log_offset{2});
}

TEST_CASE("a retried idempotent batch is answered with its first offset and not written again",
          "[replication]") {
  replica_cluster c;
  c.start(1, partition(1, 0, {1}, 0, {1}));
  auto batch = make_batch(producer_id{7}, producer_epoch{0}, 0, 2, "a");
  auto p = c.produce(1, batch, -1);
  auto q = c.produce(1, batch, -1);
  REQUIRE(c.reply(1, p));
  REQUIRE(c.reply(1, q));
  CHECK(c.reply(1, q)->result->base_offset == log_offset{0});
  CHECK(c.out[1].writes.size() == 1);
  CHECK(c.fsm(1).log_end() == log_offset{2});
  // A gap in the sequence is refused.
  auto r = c.produce(1, make_batch(producer_id{7}, producer_epoch{0}, 5, 1, "b"), -1);
  REQUIRE(c.reply(1, r));
  CHECK(errc_of(c.reply(1, r)->result.error()) == errc::out_of_order_sequence);
}

TEST_CASE("a failed append fails only its produce and the leader goes on", "[replication]") {
  replica_cluster c;
  c.start(1, partition(1, 0, {1}));
  c.hosts[1]->fail_writes = 1;
  auto p = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), 1);
  REQUIRE(c.reply(1, p));
  CHECK(errc_of(c.reply(1, p)->result.error()) == errc::storage_error);
  CHECK(c.fsm(1).log_end() == log_offset{0});
  auto q = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "b"), 1);
  REQUIRE(c.reply(1, q));
  CHECK(c.reply(1, q)->result->base_offset == log_offset{0});
}

TEST_CASE("a stopped replica fails every parked request with the reason", "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 0, {1, 2, 3});
  c.start(1, pm);
  c.start(2, pm);
  auto p = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), -1);
  c.settle(1, {2});  // node 2's next fetch is parked at the log end; node 3 is silent
  CHECK(c.fsm(1).parked_fetches() == 1);
  CHECK(c.fsm(1).parked_acks() == 1);
  c.out[1].fetch_replies.clear();
  c.fsm(1).stop(make_error(errc::shutting_down, "stopped"));
  c.drive(1);
  REQUIRE(c.reply(1, p));
  CHECK(errc_of(c.reply(1, p)->result.error()) == errc::shutting_down);
  REQUIRE(c.out[1].fetch_replies.size() == 1);
  CHECK(errc_of(c.out[1].fetch_replies[0].error) == errc::shutting_down);
  REQUIRE(c.out[1].stopped_leading.size() == 1);
  CHECK_FALSE(c.fsm(1).leading());
}

TEST_CASE("a replica a move adds follows the leader in the same epoch, catches up and is "
          "proposed for the ISR, and a replica it drops no longer counts",
          "[replication][reassignment]") {
  replica_cluster c;
  auto pm = partition(1, 0, {1, 2, 3});
  c.start(1, pm);
  c.start(2, pm);
  c.start(3, pm);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 5, "a"), 1);
  c.settle(1, {2, 3});
  c.confirm(1);
  REQUIRE(c.fsm(1).high_watermark() == log_offset{5});
  // The controller starts moving {1,2,3} to {1,2,4}: same leader epoch, new partition epoch.
  auto moving = partition(1, 0, {1, 2, 3}, 2, {1, 2, 4, 3});
  moving.adding_replicas = ids({4});
  moving.removing_replicas = ids({3});
  c.fsm(1).update_partition(moving, c.now);
  c.drive(1);
  CHECK(c.fsm(1).followers().count(node_id{4}) == 1);
  c.start(4, moving);
  c.settle(1, {2, 3, 4});
  CHECK(c.fsm(4).log_end() == log_offset{5});
  REQUIRE(c.out[1].proposals.size() == 1);
  CHECK(c.out[1].proposals[0].req.isr == ids({1, 2, 4, 3}));
  // The move completes: 3 is gone from replicas and ISR; the leader stops counting it.
  auto done = partition(1, 0, {1, 2, 4}, 4, {1, 2, 4});
  c.fsm(1).isr_change_committed(c.out[1].proposals[0].id, done, c.now);
  c.out[1].proposals.clear();
  c.drive(1);
  CHECK(c.fsm(1).followers().count(node_id{3}) == 0);
  auto p = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "b"), -1);
  c.settle(1, {2, 4});
  REQUIRE(c.reply(1, p));
  CHECK(c.reply(1, p)->result);
  CHECK(c.fsm(1).high_watermark() == log_offset{6});
}

TEST_CASE("with LogAppendTime the leader answers with the append time it stamps, also to a "
          "retried batch, and its producer state holds that time",
          "[replication]") {
  replica_fsm_config cfg;
  cfg.tp = topic_partition{"t", partition_id{0}};
  cfg.self = node_id{1};
  cfg.log_append_time = true;
  replica_fsm fsm{cfg, log_offset{0}, log_offset{0}, {}, {}};
  fsm.update_partition(partition(1, 0, {1}, 0, {1}), 0);
  (void) fsm.take_output();
  // The producer's own timestamps are old; the append time is the broker's clock.
  auto batch = make_batch(producer_id{7}, producer_epoch{0}, 0, 2, "a");
  auto described = describe_batch(batch, cfg, 1'700'000'000'000);
  CHECK(described.header.max_timestamp == 1'700'000'000'000);
  fsm.produce(1, described, 1, 1000, 0);
  (void) fsm.take_output();
  fsm.write_done(log_offset{2}, 0);
  auto out = fsm.take_output();
  REQUIRE(out.produce_replies.size() == 1);
  REQUIRE(out.produce_replies[0].result);
  CHECK(out.produce_replies[0].result->log_append_time_ms == 1'700'000'000'000);
  // The retry arrives later; it is answered with the first append's time.
  fsm.produce(2, describe_batch(batch, cfg, 1'700'000'009'000), 1, 1000, 0);
  out = fsm.take_output();
  REQUIRE(out.produce_replies.size() == 1);
  REQUIRE(out.produce_replies[0].result);
  CHECK(out.produce_replies[0].result->base_offset == log_offset{0});
  CHECK(out.produce_replies[0].result->log_append_time_ms == 1'700'000'000'000);
  // CreateTime topics answer -1.
  cfg.log_append_time = false;
  replica_fsm plain{cfg, log_offset{0}, log_offset{0}, {}, {}};
  plain.update_partition(partition(1, 0, {1}, 0, {1}), 0);
  (void) plain.take_output();
  plain.produce(3, describe_batch(make_batch(no_producer_id, no_producer_epoch, -1, 1, "b"),
                                  cfg, 0),
                1, 1000, 0);
  (void) plain.take_output();
  plain.write_done(log_offset{1}, 0);
  out = plain.take_output();
  REQUIRE(out.produce_replies.size() == 1);
  REQUIRE(out.produce_replies[0].result);
  CHECK(out.produce_replies[0].result->log_append_time_ms == -1);
}
