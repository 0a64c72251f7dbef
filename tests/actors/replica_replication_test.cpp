// Replication between partition replica actors in one actor system (no broker: a follower is
// handed the leader replica itself as its "leader broker", which answers replica fetches the
// same way): follower copy, the high watermark gating consumers and timestamp queries,
// acks=all, min.insync.replicas, divergent-tail truncation, a deposed leader refusing
// writes, and batch validation on both append paths (a producer's batch on the leader, the
// leader's data on a follower).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/broker/partition_replica.hpp"
#include "actors/broker/replica_interface.hpp"
#include "runtime/storage/partition_log.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/wire.hpp"
#include "tests/actors/actor_test_util.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

partition_metadata partition(int32_t leader, int32_t epoch, std::vector<int32_t> replicas,
                             std::vector<int32_t> isr) {
  partition_metadata pm;
  pm.id = partition_id{0};
  pm.leader = node_id{leader};
  pm.epoch = leader_epoch{epoch};
  pm.partition_epoch = partition_epoch{epoch};
  for (auto r : replicas)
    pm.replicas.push_back(node_id{r});
  for (auto r : isr)
    pm.isr.push_back(node_id{r});
  return pm;
}

struct replication_fixture {
  temp_dir dir;  // destroyed last, after the system
  test_config cfg;
  caf::actor_system sys{cfg};
  topic_partition tp{"t", partition_id{0}};
  std::vector<replica_actor> spawned;

  ~replication_fixture() {
    for (auto& r : spawned)
      caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
  }

  std::string log_dir(int32_t node) const {
    return (dir.path() / ("node-" + std::to_string(node)) / "t-0").string();
  }

  replica_actor spawn(int32_t node, partition_metadata pm, broker_defaults d = {},
                      int32_t fetch_wait_ms = 100) {
    d.replica_fetch_wait_max_ms = fetch_wait_ms;
    auto r = spawn_partition_replica(sys, replica_config{tp, log_dir(node), d, {},
                                                         node_id{node}, pm});
    spawned.push_back(r);
    return r;
  }

  // Tells `follower` where its leader (node `leader`) is.
  void introduce(const replica_actor& follower, int32_t leader, const replica_actor& target) {
    local_send(sys, follower, peer_atom::value, node_id{leader},
               caf::actor_cast<caf::strong_actor_ptr>(target));
  }

  caf::expected<produce_response> produce(const replica_actor& r, std::string batch,
                                          int16_t acks = 1, int32_t timeout_ms = 10000) {
    produce_request req;
    req.tp = tp;
    req.acks = acks;
    req.timeout_ms = timeout_ms;
    req.batch = std::move(batch);
    return ask<produce_response>(sys, r, produce_atom::value, std::move(req));
  }

  caf::expected<fetch_response> fetch(const replica_actor& r, int64_t offset) {
    fetch_request req;
    req.tp = tp;
    req.offset = log_offset{offset};
    req.max_wait_ms = 0;
    return ask<fetch_response>(sys, r, fetch_atom::value, req);
  }

  // The bytes of every segment of a node's log, in offset order.
  std::string log_bytes(int32_t node) const { return segment_bytes(log_dir(node)); }

  // The node's leader-epoch checkpoint as "<epoch> <start offset>" lines.
  std::string checkpoint(int32_t node) const {
    return epoch_checkpoint_lines(log_dir(node) + "/" + epoch_checkpoint_file);
  }

  caf::expected<caf::ok_atom> stop(const replica_actor& r) {
    return ask<caf::ok_atom>(sys, r, stop_atom::value, false);
  }
};

// `batch` with the header field at `pos` set to `value` and its CRC fixed.
std::string with_field(std::string batch, size_t pos, uint32_t value) {
  wire::store_be32(batch.data() + pos, value);
  wire::store_be32(batch.data() + batch_crc_pos,
                   crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin));
  return batch;
}

// `batch` with `extra` bytes after its last record, its length and CRC fixed.
std::string with_trailing(std::string batch, const std::string& extra) {
  batch += extra;
  auto length = static_cast<uint32_t>(batch.size() - batch_log_overhead);
  return with_field(std::move(batch), 8, length);
}

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string batch_at(int64_t timestamp) {
  batch_builder b;
  b.append(timestamp, std::string_view{"k"}, std::string_view{"v"});
  return b.finish();
}

} // namespace

TEST_CASE_METHOD(replication_fixture,
                 "a producer's batch with a bad count or framing is invalid_record, unwritten",
                 "[actors][replication][validation]") {
  auto leader = spawn(1, partition(1, 0, {1}, {1}));
  std::string batch;
  std::string expected;
  SECTION("record_count 0") {
    batch = batch_builder{}.finish();
    expected = "invalid_record: batch at offset 0: record_count 0 (a batch holds at least one "
               "record)";
  }
  SECTION("record_count 0 claiming 2^31 offsets") {
    batch = with_field(batch_builder{}.finish(), 23, 0x7fffffff);
    expected = "invalid_record: batch at offset 0: record_count 0 (a batch holds at least one "
               "record)";
  }
  SECTION("record_count != last_offset_delta + 1") {
    batch = with_field(make_batch("a", 3), 23, 5);
    expected = "invalid_record: batch at offset 0: record_count 3 does not match "
               "last_offset_delta 5 (count must be delta + 1)";
  }
  SECTION("bytes after the last record") {
    batch = with_trailing(make_batch("a", 3), std::string(3, '\0'));
    expected = "invalid_record: batch at offset 0: 3 bytes after the last record";
  }
  auto res = produce(leader, batch);
  REQUIRE_FALSE(res);
  CHECK(describe(res.error()) == expected);
  // Nothing was appended, and the partition keeps serving.
  CHECK(log_bytes(1).empty());
  auto ok = produce(leader, make_batch("good", 2));
  REQUIRE(ok);
  CHECK(ok->base_offset == log_offset{0});
  CHECK(decode(fetch(leader, 0)->records) == expected_values("good", 2, 0));
  REQUIRE(stop(leader));
}

TEST_CASE_METHOD(replication_fixture,
                 "a producer's timestamps outside the broker's window are invalid_timestamp",
                 "[actors][replication][validation]") {
  broker_defaults d;
  d.log_message_timestamp_before_max_ms = 24 * 3600000;
  d.log_message_timestamp_after_max_ms = 60000;
  auto leader = spawn(1, partition(1, 0, {1}, {1}), d);
  auto now = wall_ms();
  std::string batch;
  std::string which;
  SECTION("too far in the future") {
    batch = batch_at(now + 3600000);
    which = std::to_string(now + 3600000);
  }
  SECTION("INT64_MAX") {
    batch = batch_at(std::numeric_limits<int64_t>::max());
    which = "9223372036854775807";
  }
  SECTION("older than before-max-ms") {
    batch = make_batch("old", 2);  // timestamps 1000, 1001
    which = "1000";
  }
  auto res = produce(leader, batch);
  REQUIRE_FALSE(res);
  CHECK_THAT(describe(res.error()),
             Catch::Matchers::Matches("invalid_timestamp: batch at offset 0: first_timestamp "
                                      + which + " is outside \\[-?[0-9]+, [0-9]+\\] "
                                      "\\(broker time [0-9]+\\)"));
  CHECK(log_bytes(1).empty());
  auto ok = produce(leader, batch_at(wall_ms()));
  REQUIRE(ok);
  CHECK(ok->base_offset == log_offset{0});
  REQUIRE(stop(leader));
}

TEST_CASE_METHOD(replication_fixture,
                 "a follower copies nothing of an invalid batch from its leader",
                 "[actors][replication][validation]") {
  // A stand-in leader: a good batch at [0, 3), then a bad one at 3 until `fixed`.
  auto good = make_batch("g", 3);
  set_partition_leader_epoch(good.data(), leader_epoch{1});
  auto next = make_batch("n", 2);
  set_base_offset(next.data(), log_offset{3});
  set_partition_leader_epoch(next.data(), leader_epoch{1});
  // record_count 5 with last_offset_delta 1 (a stored batch may hold fewer records than its
  // offsets, once compacted, never more).
  auto bad = with_field(next, 57, 5);
  auto fetches_at_3 = std::make_shared<std::atomic<int>>(0);
  auto fixed = std::make_shared<std::atomic<bool>>(false);
  auto fake = sys.spawn([=](caf::event_based_actor*) -> caf::behavior {
    return {
      [=](replica_fetch_atom, const replica_fetch_request& req) {
        replica_fetch_response resp;
        resp.tp = req.tp;
        resp.epoch = req.epoch;
        resp.high_watermark = log_offset{5};
        resp.log_start_offset = log_offset{0};
        if (req.offset == log_offset{0})
          resp.records = good + (*fixed ? next : bad);
        else if (req.offset == log_offset{3}) {
          ++*fetches_at_3;
          resp.records = *fixed ? next : bad;
        }
        return resp;
      },
    };
  });
  auto follower = spawn(2, partition(1, 1, {1, 2}, {1, 2}));
  introduce(follower, 1, caf::actor_cast<replica_actor>(fake));
  // It copies the good batch, refuses the bad one and asks again from 3.
  REQUIRE(eventually([&] { return *fetches_at_3 >= 3; }));
  CHECK(log_bytes(2) == good);
  // Once the leader's data is valid, the follower copies it.
  *fixed = true;
  CHECK(eventually([&] { return log_bytes(2) == good + next; }));
  REQUIRE(stop(follower));
  caf::anon_send_exit(fake, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(replication_fixture,
                 "a follower copies the leader's batches and the high watermark waits for it",
                 "[actors][replication]") {
  auto pm = partition(1, 0, {1, 2}, {1, 2});
  auto leader = spawn(1, pm);
  auto follower = spawn(2, pm);
  REQUIRE(produce(leader, make_batch("a", 5)));
  // Not on the follower yet: consumers see nothing.
  auto before = fetch(leader, 0);
  REQUIRE(before);
  CHECK(before->high_watermark == log_offset{0});
  CHECK(before->records.empty());
  introduce(follower, 1, leader);
  CHECK(eventually([&] {
    auto r = fetch(leader, 0);
    return r && r->high_watermark == log_offset{5};
  }));
  CHECK(decode(fetch(leader, 0)->records) == expected_values("a", 5, 0));
  // The follower's log is the leader's, byte for byte, and keeps its epochs.
  CHECK(eventually([&] { return log_bytes(2) == log_bytes(1); }));
  CHECK(checkpoint(2) == checkpoint(1));
  // A follower serves no clients.
  auto direct = fetch(follower, 0);
  REQUIRE_FALSE(direct);
  CHECK(errc_of(direct.error()) == errc::not_leader_for_partition);
  REQUIRE(stop(follower));
  REQUIRE(stop(leader));
}

TEST_CASE_METHOD(replication_fixture,
                 "list offsets by timestamp answers only records below the high watermark",
                 "[actors][replication]") {
  auto pm = partition(1, 0, {1, 2}, {1, 2});
  auto leader = spawn(1, pm);
  auto follower = spawn(2, pm);
  auto list = [&](const replica_actor& r, int64_t ts) {
    return ask<list_offsets_response>(sys, r, list_offsets_atom::value,
                                      list_offsets_request{tp, ts});
  };
  REQUIRE(produce(leader, make_batch("a", 3)));  // timestamps 1000-1002, offsets 0-2
  // In the leader's log, but not on the follower: as if there were no such record (Kafka,
  // isolation READ_UNCOMMITTED), while latest is the high watermark.
  auto hidden = list(leader, 1001);
  REQUIRE(hidden);
  CHECK(hidden->offset == no_offset);
  CHECK(hidden->timestamp == -1);
  auto latest = list(leader, latest_timestamp);
  REQUIRE(latest);
  CHECK(latest->offset == log_offset{0});
  introduce(follower, 1, leader);
  CHECK(eventually([&] {
    auto r = list(leader, 1001);
    return r && r->offset == log_offset{1} && r->timestamp == 1001;
  }));
  // A follower answers no timestamp query.
  auto direct = list(follower, 1001);
  REQUIRE_FALSE(direct);
  CHECK(errc_of(direct.error()) == errc::not_leader_for_partition);
  REQUIRE(stop(follower));
  REQUIRE(stop(leader));
}

TEST_CASE_METHOD(replication_fixture, "acks=all is answered once every ISR member has the batch",
                 "[actors][replication]") {
  auto pm = partition(1, 0, {1, 2}, {1, 2});
  auto leader = spawn(1, pm);
  auto follower = spawn(2, pm);
  // No follower fetches yet: the ack cannot come and the request times out.
  auto lonely = produce(leader, make_batch("a", 2), -1, 200);
  REQUIRE_FALSE(lonely);
  CHECK(errc_of(lonely.error()) == errc::request_timed_out);
  introduce(follower, 1, leader);
  auto acked = produce(leader, make_batch("b", 3), -1);
  REQUIRE(acked);
  CHECK(acked->base_offset == log_offset{2});
  // Once acked, the batch is on the follower too.
  CHECK(log_bytes(2) == log_bytes(1));
  REQUIRE(stop(follower));
  REQUIRE(stop(leader));
}

TEST_CASE_METHOD(replication_fixture,
                 "acks=all with fewer ISR members than min.insync.replicas writes nothing",
                 "[actors][replication]") {
  broker_defaults d;
  d.min_insync_replicas = 2;
  auto leader = spawn(1, partition(1, 0, {1, 2, 3}, {1}), d);
  auto r = produce(leader, make_batch("a", 2), -1);
  REQUIRE_FALSE(r);
  CHECK(errc_of(r.error()) == errc::not_enough_replicas);
  auto after = fetch(leader, 0);
  REQUIRE(after);
  CHECK(after->high_watermark == log_offset{0});
  CHECK(log_bytes(1).empty());
  // acks=1 still works with a lone ISR member, as in Kafka.
  REQUIRE(produce(leader, make_batch("b", 1), 1));
  REQUIRE(stop(leader));
}

TEST_CASE_METHOD(replication_fixture,
                 "a returning old leader truncates its divergent tail and follows the new one",
                 "[actors][replication]") {
  // Epoch 0: node 1 leads, node 2 copies "a" (offsets 0-4).
  auto a = spawn(1, partition(1, 0, {1, 2}, {1, 2}));
  auto b = spawn(2, partition(1, 0, {1, 2}, {1, 2}));
  introduce(b, 1, a);
  REQUIRE(produce(a, make_batch("a", 5), -1));
  REQUIRE(stop(b));
  // Node 1 writes "x" (offsets 5-7) that never reaches node 2.
  REQUIRE(produce(a, make_batch("x", 3), 1));
  // Epoch 1: node 2 leads and writes "b" at offsets 5-6.
  b = spawn(2, partition(2, 1, {1, 2}, {2}));
  REQUIRE(produce(b, make_batch("b", 2), 1));
  // Node 1 learns of epoch 1, follows node 2, must drop "x" and copy "b".
  local_send(sys, a, md_update_atom::value, partition(2, 1, {1, 2}, {2}));
  introduce(a, 2, b);
  CHECK(eventually([&] { return log_bytes(1) == log_bytes(2); }));
  CHECK(checkpoint(1) == "0 0\n1 5\n");
  // The old leader takes no writes in its old role.
  auto refused = produce(a, make_batch("late", 1), 1);
  REQUIRE_FALSE(refused);
  CHECK(errc_of(refused.error()) == errc::not_leader_for_partition);
  auto all = fetch(b, 0);
  REQUIRE(all);
  auto expected = expected_values("a", 5, 0);
  for (auto& x : expected_values("b", 2, 5))
    expected.push_back(x);
  CHECK(decode(all->records) == expected);
  REQUIRE(stop(a));
  REQUIRE(stop(b));
}

TEST_CASE_METHOD(replication_fixture,
                 "a leader that sees a fetch of a newer epoch stops taking writes",
                 "[actors][replication]") {
  auto leader = spawn(1, partition(1, 0, {1, 2}, {1, 2}));
  REQUIRE(produce(leader, make_batch("a", 1), 1));
  replica_fetch_request req;
  req.tp = tp;
  req.follower = node_id{2};
  req.epoch = leader_epoch{1};
  req.offset = log_offset{0};
  req.max_wait_ms = 0;
  auto r = ask<replica_fetch_response>(sys, leader, replica_fetch_atom::value, req);
  REQUIRE_FALSE(r);
  CHECK(errc_of(r.error()) == errc::unknown_leader_epoch);
  auto refused = produce(leader, make_batch("b", 1), 1);
  REQUIRE_FALSE(refused);
  CHECK(errc_of(refused.error()) == errc::not_leader_for_partition);
  // A stale follower is told so.
  auto fresh = spawn(3, partition(3, 5, {3, 4}, {3, 4}));
  req.epoch = leader_epoch{4};
  r = ask<replica_fetch_response>(sys, fresh, replica_fetch_atom::value, req);
  REQUIRE_FALSE(r);
  CHECK(errc_of(r.error()) == errc::fenced_leader_epoch);
  REQUIRE(stop(leader));
  REQUIRE(stop(fresh));
}

TEST_CASE_METHOD(replication_fixture,
                 "a follower gives up the fetch its leader's handle took down with it and "
                 "fetches through the next handle at once, not after its 30 s wait",
                 "[actors][replication]") {
  auto pm = partition(1, 1, {1, 2}, {1, 2});
  auto leader = spawn(1, pm, {}, 30000);
  REQUIRE(produce(leader, make_batch("a", 3)));
  // A stand-in for the leader's broker that holds every fetch unanswered, as the far end of
  // a connection about to fail does.
  auto held = std::make_shared<std::atomic<int>>(0);
  auto stalling = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto promises = std::make_shared<std::vector<caf::response_promise>>();
    return {
      [=](replica_fetch_atom, const replica_fetch_request&) {
        promises->push_back(self->make_response_promise());
        ++*held;
      },
    };
  });
  auto follower = spawn(2, pm, {}, 30000);
  introduce(follower, 1, caf::actor_cast<replica_actor>(stalling));
  REQUIRE(eventually([&] { return *held == 1; }));
  caf::anon_send_exit(stalling, caf::exit_reason::kill);
  introduce(follower, 1, leader);
  CHECK(eventually([&] { return log_bytes(2) == log_bytes(1); }));
  CHECK(*held == 1);
  REQUIRE(stop(follower));
  REQUIRE(stop(leader));
}
