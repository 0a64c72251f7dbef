// replica_fsm as a follower: the copy of the leader's batches, truncation of a divergent tail
// after a leader-epoch change, a restart at the leader's log start, and the fetch loop's
// timeouts and retries.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"
#include "tests/runtime/replica_cluster.hpp"

using namespace cafka;
using namespace cafka::replica_test;

namespace {

// The entries of a leader-epoch-checkpoint file's bytes, one "epoch start" line each.
std::string checkpoint_entries(const std::string& bytes) {
  auto parsed = leader_epoch_cache::parse(bytes);
  if (!parsed)
    return describe(parsed.error());
  std::string out;
  for (auto& e : parsed->entries())
    out += to_string(e.epoch) + " " + to_string(e.start_offset) + "\n";
  return out;
}

} // namespace

TEST_CASE("a follower copies the leader's batches byte for byte, with their epochs and the "
          "leader's high watermark",
          "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 4, {1, 2}, 4, {1, 2});
  c.start(1, pm);
  c.start(2, pm);
  CHECK(c.out[2].fetches.size() == 1);
  CHECK(logged(c.out[2], "following leader 1 in epoch 4 from offset 0"));
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 3, "a"), 1);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 2, "b"), 1);
  c.settle(1, {2});
  CHECK(same_batches(c.disks[1]->log, c.disks[2]->log));
  CHECK(c.fsm(2).log_end() == log_offset{5});
  CHECK(c.disks[2]->checkpoint == c.disks[1]->checkpoint);
  CHECK(checkpoint_entries(c.disks[2]->checkpoint) == "4 0\n");
  // The follower learns the high watermark from the answer after the one that moved it.
  CHECK(c.fsm(1).high_watermark() == log_offset{5});
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "c"), 1);
  c.settle(1, {2});
  CHECK(c.fsm(2).high_watermark() == log_offset{5});
  CHECK(c.fsm(2).log_end() == log_offset{6});
}

TEST_CASE("a returning old leader truncates its divergent tail at the new leader's epoch end and "
          "copies the new epoch",
          "[replication]") {
  replica_cluster c;
  auto e0 = partition(1, 0, {1, 2}, 0, {1, 2});
  c.start(1, e0);
  c.start(2, e0);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 5, "a"), -1);
  c.settle(1, {2});
  CHECK(c.fsm(1).high_watermark() == log_offset{5});
  // Node 1 writes offsets 5-7 that never reach node 2.
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 3, "x"), 1);
  // Epoch 1: node 2 leads and writes offsets 5-6.
  auto e1 = partition(2, 1, {2}, 1, {1, 2});
  c.update(2, e1);
  c.produce(2, make_batch(no_producer_id, no_producer_epoch, -1, 2, "b"), 1);
  // Node 1 learns of epoch 1, follows node 2, drops its tail and copies.
  c.out[1].clear();
  c.update(1, e1);
  REQUIRE(c.out[1].fetches.size() == 1);
  CHECK(c.out[1].fetches[0].req.offset == log_offset{8});
  CHECK(c.out[1].fetches[0].req.last_fetched_epoch == leader_epoch{0});
  REQUIRE(c.out[1].stopped_leading.size() == 1);
  c.settle(2, {1});
  CHECK(logged(c.out[1], "truncating the divergent tail [5, 8) to follow leader 2 (epoch 1)"));
  CHECK(c.out[1].writes
        == std::vector<log_write::kind>{log_write::kind::truncate, log_write::kind::replicate});
  CHECK(same_batches(c.disks[1]->log, c.disks[2]->log));
  CHECK(checkpoint_entries(c.disks[1]->checkpoint) == "0 0\n1 5\n");
  // The committed records were never touched: the high watermark stayed.
  CHECK(c.fsm(1).high_watermark() >= log_offset{5});
}

TEST_CASE("a follower truncates no record below its high watermark, whatever the leader says",
          "[replication]") {
  replica_cluster c;
  auto e0 = partition(1, 0, {1, 2}, 0, {1, 2});
  c.start(1, e0);
  c.start(2, e0);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 4, "a"), 1);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "b"), 1);
  c.settle(1, {2});
  c.now += 100;  // the parked fetch is answered empty, with the high watermark
  c.tick(1);
  c.settle(1, {2});
  CHECK(c.fsm(2).high_watermark() == log_offset{5});
  // An answer that claims epoch 0 ends at 2 (no leader of a valid history sends it).
  REQUIRE(c.out[2].fetches.empty());  // parked on node 1
  c.out[1].fetch_replies.clear();
  c.now += 300;  // the follower's fetch times out and it sends another
  c.tick(2);
  REQUIRE(c.out[2].fetches.size() == 1);
  replica_fetch_response resp;
  resp.tp = c.base.tp;
  resp.epoch = leader_epoch{0};
  resp.diverging_epoch = leader_epoch{0};
  resp.diverging_end_offset = log_offset{2};
  c.fsm(2).fetch_answered(c.out[2].fetches[0].id, resp, c.now);
  c.drive(2);
  CHECK(c.out[2].writes.back() == log_write::kind::replicate);  // no truncation was done
  CHECK(c.fsm(2).log_end() == log_offset{5});
  CHECK(logged(c.out[2], "that truncation cannot resolve"));
}

TEST_CASE("a follower whose leader's log starts past its log end restarts its log there",
          "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 0, {1, 2}, 0, {1, 2});
  c.disks[1] = std::make_shared<replica_disk>();
  c.disks[1]->log.restart_at(log_offset{10});
  c.start(1, pm);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 2, "a"), 1);
  c.start(2, pm);
  c.settle(1, {2});
  CHECK(c.out[2].writes
        == std::vector<log_write::kind>{log_write::kind::restart, log_write::kind::replicate});
  CHECK(c.fsm(2).log_start() == log_offset{10});
  CHECK(c.disks[2]->log.start() == log_offset{10});
  CHECK(same_batches(c.disks[1]->log, c.disks[2]->log));
  CHECK(c.fsm(2).producers().next_offset() == log_offset{12});
}

TEST_CASE("a fetch unanswered for the wait plus the slack is sent again and its late answer is "
          "dropped",
          "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 0, {1, 2}, 0, {1, 2});
  c.start(1, pm);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 1, "a"), 1);
  c.start(2, pm);
  auto lost = c.out[2].fetches.at(0);
  c.out[2].fetches.clear();
  CHECK(c.fsm(2).next_deadline() == c.now + 100 + 200);
  c.now += 299;
  c.tick(2);
  CHECK(c.out[2].fetches.empty());
  c.now += 1;
  c.tick(2);
  REQUIRE(c.out[2].fetches.size() == 1);
  CHECK(c.out[2].fetches[0].id != lost.id);
  // The first one's answer arrives after all: dropped.
  c.fsm(1).follower_fetch(500, lost.req, c.now);
  c.drive(1);
  REQUIRE(c.out[1].fetch_replies.size() == 1);
  c.fsm(2).fetch_answered(lost.id, c.out[1].fetch_replies[0].resp, c.now);
  c.drive(2);
  CHECK(c.out[2].writes.empty());
}

TEST_CASE("a failed fetch is retried after the backoff, and one that could not be sent waits for "
          "the leader to be reachable",
          "[replication]") {
  replica_cluster c;
  c.start(2, partition(1, 0, {1, 2}, 0, {1, 2}));
  auto f = c.out[2].fetches.at(0);
  c.out[2].fetches.clear();
  c.fsm(2).fetch_failed(f.id, make_error(errc::fenced_leader_epoch, "old"), c.now);
  c.drive(2);
  c.now += 49;
  c.tick(2);
  CHECK(c.out[2].fetches.empty());
  c.now += 1;
  c.tick(2);
  REQUIRE(c.out[2].fetches.size() == 1);
  auto g = c.out[2].fetches[0];
  c.out[2].fetches.clear();
  c.fsm(2).fetch_unsent(g.id);
  CHECK_FALSE(c.fsm(2).next_deadline());
  c.now += 100000;
  c.tick(2);
  CHECK(c.out[2].fetches.empty());
  c.fsm(2).leader_reachable(c.now);
  c.drive(2);
  CHECK(c.out[2].fetches.size() == 1);
}

TEST_CASE("a failed copy is fetched again after the backoff and the log stays contiguous",
          "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 0, {1, 2}, 0, {1, 2});
  c.start(1, pm);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 2, "a"), 1);
  c.start(2, pm);
  c.hosts[2]->fail_writes = 1;
  c.settle(1, {2});
  CHECK(c.fsm(2).log_end() == log_offset{0});
  CHECK(c.out[2].fetches.empty());
  c.now += 50;
  c.tick(2);
  c.settle(1, {2});
  CHECK(same_batches(c.disks[1]->log, c.disks[2]->log));
}

TEST_CASE("a follower keeps the idempotence table, so as the new leader it answers a retry as a "
          "duplicate",
          "[replication]") {
  replica_cluster c;
  auto e0 = partition(1, 0, {1, 2}, 0, {1, 2});
  c.start(1, e0);
  c.start(2, e0);
  auto batch = make_batch(producer_id{7}, producer_epoch{0}, 0, 3, "a");
  c.produce(1, batch, -1);
  c.settle(1, {2});
  c.update(2, partition(2, 1, {2}, 1, {1, 2}));
  c.confirm(2);
  auto p = c.produce(2, batch, -1);
  REQUIRE(c.reply(2, p));
  REQUIRE(c.reply(2, p)->result);
  CHECK(c.reply(2, p)->result->base_offset == log_offset{0});
  CHECK(c.fsm(2).log_end() == log_offset{3});
  // The next sequence is appended.
  auto q = c.produce(2, make_batch(producer_id{7}, producer_epoch{0}, 3, 1, "b"), -1);
  REQUIRE(c.reply(2, q));
  CHECK(c.reply(2, q)->result->base_offset == log_offset{3});
}
