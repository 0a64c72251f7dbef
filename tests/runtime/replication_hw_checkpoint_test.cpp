// The high-watermark checkpoint (replication-offset-checkpoint): its bytes, every way a file
// is refused, the file through the storage env, and the high watermark a restarted replica
// starts with: a leader serves consumers up to it before any follower fetched, a follower
// promoted after a restart starts from its own, and neither passes what the ISR has.
#include <catch2/catch.hpp>

#include <fstream>

#include "runtime/base/durable_file.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/replication/consumer_reads.hpp"
#include "runtime/replication/hw_checkpoint.hpp"
#include "runtime/replication/isr_rules.hpp"
#include "runtime/storage/posix_env.hpp"
#include "tests/runtime/durable_test_util.hpp"
#include "tests/runtime/replica_cluster.hpp"
#include "tests/temp_dir.hpp"

using namespace cafka;
using namespace cafka::replica_test;
using cafka::test::unhex;

namespace {

std::string why_refused(std::string_view bytes) {
  auto hw = parse_hw_checkpoint(bytes);
  if (hw)
    return "parsed " + to_string(*hw);
  CHECK(errc_of(hw.error()) == errc::corrupt_message);
  return describe(hw.error());
}

std::string body_of(int64_t x) {
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((static_cast<uint64_t>(x) >> shift) & 0xff));
  return out;
}

// What a consumer fetch from offset 0 of partition 0 may read on `fsm`.
log_offset consumer_read_end(const replica_fsm& fsm) {
  fetch_request req;
  req.tp = fsm.config().tp;
  req.offset = log_offset{0};
  req.max_bytes = 1 << 20;
  return read_end(req, fsm.high_watermark(), fsm.log_end());
}

// Nodes 1-3 with 5 records committed on all of them; node 1 leads epoch 3.
void five_committed(replica_cluster& c, const partition_metadata& pm) {
  for (int32_t id : {1, 2, 3})
    c.start(id, pm);
  auto pid = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 5, "a"), -1);
  c.settle(1, {2, 3});
  REQUIRE(c.fsm(1).high_watermark() == log_offset{5});
  REQUIRE(c.reply(1, pid) != nullptr);
  REQUIRE(c.reply(1, pid)->result);
}

} // namespace

TEST_CASE("the high-watermark checkpoint is the checkpoint frame around an int64",
          "[replication]") {
  CHECK(serialize_hw_checkpoint(log_offset{300})
        == unhex("00 01 f2 74 6b f3  00 00 00 00 00 00 01 2c"));
  for (int64_t hw : {int64_t{0}, int64_t{1}, int64_t{1} << 40, INT64_MAX}) {
    auto parsed = parse_hw_checkpoint(serialize_hw_checkpoint(log_offset{hw}));
    REQUIRE(parsed);
    CHECK(*parsed == log_offset{hw});
  }
}

TEST_CASE("a damaged high-watermark checkpoint is refused naming what is wrong",
          "[replication]") {
  auto good = serialize_hw_checkpoint(log_offset{300});
  CHECK(why_refused(good.substr(0, 5))
        == "corrupt_message: replication-offset-checkpoint: shorter than its header (5 bytes)");
  CHECK(why_refused(durable::seal(2, body_of(300)))
        == "corrupt_message: replication-offset-checkpoint: version 2 is unknown (this cafka "
           "reads 1)");
  auto flipped = good;
  flipped.back() ^= 1;
  CHECK(why_refused(flipped) == "corrupt_message: replication-offset-checkpoint: CRC32C mismatch");
  CHECK(why_refused(durable::seal(1, body_of(300).substr(0, 4)))
        == "corrupt_message: replication-offset-checkpoint: truncated: 8 bytes needed at byte 0, "
           "4 left");
  CHECK(why_refused(durable::seal(1, body_of(300) + "x"))
        == "corrupt_message: replication-offset-checkpoint: 1 bytes left over after byte 8");
  CHECK(why_refused(durable::seal(1, body_of(-1)))
        == "corrupt_message: replication-offset-checkpoint: negative high watermark -1");
}

TEST_CASE("the high-watermark checkpoint file is replaced whole and read back through the env",
          "[replication]") {
  test::temp_dir dir;
  storage::posix_env disk;
  auto none = load_hw_checkpoint(disk, dir.str());
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  REQUIRE_FALSE(save_hw_checkpoint(disk, dir.str(), log_offset{42}));
  REQUIRE_FALSE(save_hw_checkpoint(disk, dir.str(), log_offset{300}));
  auto path = dir.str() + "/replication-offset-checkpoint";
  std::ifstream in{path, std::ios::binary};
  std::string bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  CHECK(bytes == serialize_hw_checkpoint(log_offset{300}));
  auto loaded = load_hw_checkpoint(disk, dir.str());
  REQUIRE(loaded);
  CHECK(*loaded == std::optional<log_offset>{log_offset{300}});
  std::ofstream{path, std::ios::binary | std::ios::trunc} << "0\n";
  auto bad = load_hw_checkpoint(disk, dir.str());
  REQUIRE_FALSE(bad);
  CHECK(describe(bad.error())
        == "corrupt_message: replication-offset-checkpoint: shorter than its header (2 bytes)");
}

TEST_CASE("a replica starts at its checkpointed high watermark, never past its log end",
          "[replication]") {
  CHECK(recovered_high_watermark(std::nullopt, log_offset{10}) == log_offset{0});
  CHECK(recovered_high_watermark(log_offset{7}, log_offset{10}) == log_offset{7});
  CHECK(recovered_high_watermark(log_offset{10}, log_offset{10}) == log_offset{10});
  // The log lost an unflushed tail the checkpoint covered.
  CHECK(recovered_high_watermark(log_offset{12}, log_offset{10}) == log_offset{10});
}

TEST_CASE("a leader restarted with a checkpoint serves consumers up to it before any follower "
          "fetched, and moves it only with the ISR",
          "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 3, {1, 2, 3});
  five_committed(c, pm);
  c.hosts.at(1)->checkpoint_high_watermark();
  c.out[1].clear();
  c.start(1, pm);  // a restart within its epoch; the followers' fetches went to the old process
  CHECK(c.fsm(1).leading());
  CHECK(logged(c.out[1], "leading in epoch 3 (log end 5, high watermark 5)"));
  CHECK(c.fsm(1).high_watermark() == log_offset{5});
  CHECK(consumer_read_end(c.fsm(1)) == log_offset{5});
  CHECK(c.out[1].proposals.empty());  // every replica is in the ISR: nothing to confirm
  // A new acks=all write waits for the followers: the checkpoint never counts for records
  // written after the restart.
  auto pid = c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 2, "b"), -1);
  CHECK(c.fsm(1).high_watermark() == log_offset{5});
  CHECK(c.reply(1, pid) == nullptr);
  // The followers' lost fetches time out; they fetch from the new process, from offset 5
  // (below the new log end 7): the high watermark stays, never going back.
  c.now += 400;
  c.tick(2);
  c.tick(3);
  REQUIRE(c.send_fetches(2, 1) == 1);
  CHECK(c.fsm(1).high_watermark() == log_offset{5});
  c.settle(1, {2, 3});
  CHECK(c.fsm(1).high_watermark() == log_offset{7});
  REQUIRE(c.reply(1, pid) != nullptr);
  CHECK(c.reply(1, pid)->result);
}

TEST_CASE("a leader restarted without a checkpoint waits for its followers before consumers see "
          "anything",
          "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 3, {1, 2, 3});
  five_committed(c, pm);
  c.out[1].clear();
  c.start(1, pm);
  CHECK(logged(c.out[1], "leading in epoch 3 (log end 5, high watermark 0)"));
  CHECK(consumer_read_end(c.fsm(1)) == log_offset{0});
}

TEST_CASE("a checkpoint beyond the log end counts only up to the log end", "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 3, {1, 2, 3});
  five_committed(c, pm);
  c.disks[1]->hw_checkpoint = serialize_hw_checkpoint(log_offset{9});
  c.disks[3]->hw_checkpoint = serialize_hw_checkpoint(log_offset{3});
  c.start(1, pm);
  c.start(3, pm);
  CHECK(c.fsm(1).high_watermark() == log_offset{5});
  CHECK(c.fsm(3).following());
  CHECK(c.fsm(3).high_watermark() == log_offset{3});
}

TEST_CASE("a follower restarted from its checkpoint leads the next epoch from its high watermark",
          "[replication]") {
  replica_cluster c;
  auto pm = partition(1, 3, {1, 2, 3});
  five_committed(c, pm);
  // The parked fetches expire: the followers learn the high watermark 5.
  c.now += 200;
  c.tick(1);
  c.send_answers(1);
  REQUIRE(c.fsm(2).high_watermark() == log_offset{5});
  c.hosts.at(2)->checkpoint_high_watermark();
  // Every process dies; the controller fences 1 and 3 and elects 2, the last ISR member.
  c.hosts.clear();
  c.out.clear();
  auto next = partition(2, 4, {2}, 5);
  c.start(2, next);
  CHECK(c.fsm(2).leading());
  CHECK(logged(c.out[2], "leading in epoch 4 (log end 5, high watermark 5)"));
  CHECK(consumer_read_end(c.fsm(2)) == log_offset{5});
  // Replicas 1 and 3 may still be in the ISR through an old request: they keep counting until
  // the unchanged ISR is confirmed, and the high watermark does not pass them meanwhile.
  REQUIRE(c.out[2].proposals.size() == 1);
  c.produce(2, make_batch(no_producer_id, no_producer_epoch, -1, 1, "c"), 1);
  CHECK(c.fsm(2).high_watermark() == log_offset{5});
  c.confirm(2);
  CHECK(c.fsm(2).high_watermark() == log_offset{6});
}

TEST_CASE("a checkpointed follower whose log ends where the leader's now starts, in an epoch the "
          "leader no longer knows, restarts its log there",
          "[replication]") {
  replica_cluster c;
  // Node 2 led epoch 0 alone and committed offsets 0-4; its checkpoint says 5.
  c.start(2, partition(2, 0, {2}, 0, {2}));
  c.produce(2, make_batch(no_producer_id, no_producer_epoch, -1, 5, "a"), 1);
  REQUIRE(c.fsm(2).high_watermark() == log_offset{5});
  c.hosts.at(2)->checkpoint_high_watermark();
  c.hosts.erase(2);
  // Node 1 leads epoch 2; retention left its log starting at 5, in epoch 2.
  c.disks[1] = std::make_shared<replica_disk>();
  c.disks[1]->log.restart_at(log_offset{5});
  auto e2 = partition(1, 2, {1}, 2);
  c.start(1, e2);
  c.produce(1, make_batch(no_producer_id, no_producer_epoch, -1, 3, "b"), 1);
  c.out[2].clear();
  c.start(2, e2);
  REQUIRE(c.fsm(2).high_watermark() == log_offset{5});
  c.settle(1, {2});
  CHECK(logged(c.out[2], "leader 1 starts at offset 5, holding nothing of this log (end 5); "
                         "restarting the log there"));
  CHECK(c.out[2].writes
        == std::vector<log_write::kind>{log_write::kind::restart, log_write::kind::replicate});
  CHECK(same_batches(c.disks[1]->log, c.disks[2]->log));
  CHECK(c.fsm(2).log_start() == log_offset{5});
  CHECK(c.fsm(2).log_end() == log_offset{8});
}
