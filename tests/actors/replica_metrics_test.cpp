// Tests of what a partition replica reports to its node's metrics: records and batch bytes
// in (a leader's appends, an idempotent duplicate counted once), out (consumers' fetches)
// and to followers, and its cafka_partition_* gauges (offsets, size, role, ISR health).

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/broker/partition_replica.hpp"
#include "actors/broker/replica_interface.hpp"
#include "runtime/cluster/topic_config.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/metrics_test_util.hpp"
#include "tests/actors/replica_fixture.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

// Records "<prefix>-<i>" of an idempotent producer, its first sequence number `seq`.
std::string idempotent(const std::string& prefix, int count, int64_t producer, int32_t seq) {
  batch_builder b;
  for (int i = 0; i < count; ++i) {
    auto value = prefix + "-" + std::to_string(i);
    b.append(1000 + i, std::nullopt, std::string_view{value});
  }
  b.set_producer(producer_id{producer}, producer_epoch{0}, seq);
  return b.finish();
}

// The gauge cafka_partition_<what> of t-0.
std::optional<double> gauge_of(const replica_fixture& f, const std::string& what) {
  return sample(f.io.metrics->registry, "cafka_partition_" + what, {"t", "0"});
}

// A replica of t-0 on node 1 leading `pm`, with min.insync.replicas `min_isr`; acks=1
// produces (the followers of pm never fetch here).
replica_actor spawn_leader(replica_fixture& f, partition_metadata pm, int32_t min_isr = 1) {
  replica_config rc{f.tp, f.log_dir(), {}, {}, node_id{1}, std::move(pm), f.io};
  auto topic = effective_topic_config(rc.defaults, "t", {});
  topic.min_insync_replicas = min_isr;
  rc.topic = topic;
  auto r = spawn_partition_replica(f.sys, std::move(rc));
  f.spawned.push_back(r);
  return r;
}

partition_metadata led_by_1(std::vector<node_id> replicas, std::vector<node_id> isr) {
  partition_metadata pm;
  pm.leader = node_id{1};
  pm.epoch = leader_epoch{3};
  pm.replicas = std::move(replicas);
  pm.isr = std::move(isr);
  return pm;
}

caf::expected<produce_response> produce_acks1(replica_fixture& f, const replica_actor& r,
                                              std::string batch) {
  produce_request req;
  req.tp = f.tp;
  req.acks = 1;
  req.batch = std::move(batch);
  return ask<produce_response>(f.sys, r, produce_atom::value, std::move(req));
}

} // namespace

TEST_CASE_METHOD(replica_fixture,
                 "a leader's appends count records and batch bytes in and set its gauges",
                 "[actors][replica][metrics]") {
  auto& m = *io.metrics;
  auto r = spawn();
  auto a = make_batch("a", 5);
  auto b = make_batch("b", 3);
  REQUIRE(produce(r, a));
  REQUIRE(produce(r, b));
  CHECK(m.records_in.value() == 8);
  CHECK(m.bytes_in.value() == a.size() + b.size());
  CHECK(m.records_out.value() == 0);
  // The gauges are set once the driver is done with the produce (after its answer).
  CHECK(eventually([&] { return gauge_of(*this, "log_end_offset") == 8.0; }));
  CHECK(gauge_of(*this, "high_watermark") == 8.0);
  CHECK(gauge_of(*this, "log_start_offset") == 0.0);
  CHECK(gauge_of(*this, "size_bytes") == static_cast<double>(a.size() + b.size()));
  CHECK(gauge_of(*this, "leader") == 1.0);
  CHECK(gauge_of(*this, "leader_epoch") == 0.0);
  CHECK(gauge_of(*this, "replicas") == 1.0);
  CHECK(gauge_of(*this, "isr_size") == 1.0);
  CHECK(gauge_of(*this, "under_replicated") == 0.0);
  CHECK(gauge_of(*this, "under_min_isr") == 0.0);
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "a consumer's fetch counts the records and bytes it returns",
                 "[actors][replica][metrics]") {
  auto& m = *io.metrics;
  auto r = spawn();
  auto a = make_batch("a", 4);
  auto b = make_batch("b", 2);
  REQUIRE(produce(r, a));
  REQUIRE(produce(r, b));
  auto all = fetch(r, 0);
  REQUIRE(all);
  CHECK(m.records_out.value() == 6);
  CHECK(m.bytes_out.value() == a.size() + b.size());
  // From the second batch: only it comes back, and only it counts.
  auto second = fetch(r, 4);
  REQUIRE(second);
  CHECK(m.records_out.value() == 8);
  CHECK(m.bytes_out.value() == a.size() + 2 * b.size());
  // Nothing at the log end, nothing counted.
  REQUIRE(fetch(r, 6));
  CHECK(m.records_out.value() == 8);
  CHECK(m.replication_bytes_out.value() == 0);
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "a retried idempotent batch counts its records in only once",
                 "[actors][replica][metrics]") {
  auto& m = *io.metrics;
  auto r = spawn();
  auto batch = idempotent("p", 3, 7, 0);
  auto first = produce(r, batch);
  REQUIRE(first);
  auto retry = produce(r, batch);  // the acknowledgement was lost: the same batch again
  REQUIRE(retry);
  CHECK(retry->base_offset == first->base_offset);
  CHECK(m.records_in.value() == 3);
  CHECK(m.bytes_in.value() == batch.size());
  auto next = produce(r, idempotent("q", 2, 7, 3));
  REQUIRE(next);
  CHECK(next->base_offset == log_offset{3});
  CHECK(m.records_in.value() == 5);
  CHECK(eventually([&] { return gauge_of(*this, "log_end_offset") == 5.0; }));
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture,
                 "a follower's fetch counts replication bytes, not consumer records",
                 "[actors][replica][metrics]") {
  auto& m = *io.metrics;
  auto r = spawn_leader(*this, led_by_1({node_id{1}, node_id{2}}, {node_id{1}, node_id{2}}));
  auto a = make_batch("a", 3);
  REQUIRE(produce_acks1(*this, r, a));
  replica_fetch_request req;
  req.tp = tp;
  req.follower = node_id{2};
  req.epoch = leader_epoch{3};
  req.offset = log_offset{0};
  req.max_wait_ms = 0;
  auto got = ask<replica_fetch_response>(sys, r, replica_fetch_atom::value, req);
  REQUIRE(got);
  CHECK(got->records.size() == a.size());
  CHECK(m.replication_bytes_out.value() == a.size());
  CHECK(m.records_out.value() == 0);
  CHECK(m.bytes_out.value() == 0);
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture,
                 "a leader with a short ISR shows under-replicated and under-min-ISR",
                 "[actors][replica][metrics]") {
  auto r = spawn_leader(*this, led_by_1({node_id{1}, node_id{2}, node_id{3}}, {node_id{1}}), 2);
  CHECK(eventually([&] { return gauge_of(*this, "leader") == 1.0; }));
  CHECK(gauge_of(*this, "replicas") == 3.0);
  CHECK(gauge_of(*this, "isr_size") == 1.0);
  CHECK(gauge_of(*this, "leader_epoch") == 3.0);
  CHECK(gauge_of(*this, "under_replicated") == 1.0);
  CHECK(gauge_of(*this, "under_min_isr") == 1.0);
  // The broker's newer view: node 2 back in the ISR, which now meets min.insync.replicas.
  auto pm = led_by_1({node_id{1}, node_id{2}, node_id{3}}, {node_id{1}, node_id{2}});
  pm.partition_epoch = partition_epoch{1};
  local_send(sys, r, md_update_atom::value, pm);
  CHECK(eventually([&] { return gauge_of(*this, "isr_size") == 2.0; }));
  CHECK(gauge_of(*this, "under_replicated") == 1.0);
  CHECK(gauge_of(*this, "under_min_isr") == 0.0);
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "a follower's gauges show it does not lead",
                 "[actors][replica][metrics]") {
  auto pm = led_by_1({node_id{1}, node_id{2}}, {node_id{1}});
  pm.leader = node_id{2};
  auto r = spawn_leader(*this, pm, 2);
  CHECK(eventually([&] { return gauge_of(*this, "replicas") == 2.0; }));
  CHECK(gauge_of(*this, "leader") == 0.0);
  // The leader reports the partition's health, not its followers.
  CHECK(gauge_of(*this, "under_replicated") == 0.0);
  CHECK(gauge_of(*this, "under_min_isr") == 0.0);
  REQUIRE(stop(r, false));
}
