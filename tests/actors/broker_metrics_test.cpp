// Tests of the broker's native request metrics (cafka_requests_total, latency and errors by
// message) and of the partition series of a partition it stops hosting, on one node (id 1:
// controller and broker) whose metrics the test holds.

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/broker/broker.hpp"
#include "actors/controller/controller_member.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/raft/disk_persistence.hpp"
#include "runtime/storage/posix_env.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/metrics_test_util.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

// Node 1 in a temp dir, started in the constructor (registered once metadata answers) and
// stopped in the destructor; io.metrics is the node's.
struct metrics_node {
  temp_dir dir;  // destroyed last, after the system
  test_config cfg;
  caf::actor_system sys{cfg};
  cluster_config cc;
  node_io io = make_node_io();
  controller_member_actor controller;
  broker_actor broker;

  metrics_node() {
    cc.path = (dir.path() / "cluster.conf").string();
    cc.data_dir = dir.str();
    node_config n;
    n.id = node_id{1};
    n.host = "127.0.0.1";
    n.port = 9101;  // never bound: the broker is not published
    n.controller = true;
    n.broker = true;
    cc.nodes.push_back(n);
    controller_config qc;
    qc.self = node_id{1};
    qc.members = {node_id{1}};
    qc.storage = std::make_shared<raft::disk_persistence>(
      cc.node_dir(node_id{1}) + "/" + raft_dir_name, std::make_shared<storage::posix_env>());
    qc.tick = 10ms;
    qc.raft.election_timeout_ticks = 2;
    qc.defaults = cc.defaults;
    controller = spawn_controller_member(sys, qc);
    broker = spawn_broker(sys, cc, node_id{1}, io);
    local_send(sys, broker, peer_atom::value, node_id{1},
               caf::actor_cast<caf::strong_actor_ptr>(controller));
  }

  ~metrics_node() {
    static_cast<void>(ask<caf::ok_atom>(sys, broker, stop_atom::value));
    static_cast<void>(ask<caf::ok_atom>(sys, controller, stop_atom::value));
    caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(controller, caf::exit_reason::user_shutdown);
  }

  bool registered() {
    return static_cast<bool>(
      ask<cluster_metadata>(sys, broker, metadata_atom::value, metadata_request{}));
  }

  caf::expected<produce_response> produce(const std::string& topic, std::string batch) {
    produce_request req;
    req.tp = topic_partition{topic, partition_id{0}};
    req.batch = std::move(batch);
    return ask<produce_response>(sys, broker, produce_atom::value, std::move(req));
  }

  caf::expected<fetch_response> fetch(const std::string& topic, int64_t offset) {
    fetch_request req;
    req.tp = topic_partition{topic, partition_id{0}};
    req.offset = log_offset{offset};
    req.max_wait_ms = 0;
    return ask<fetch_response>(sys, broker, fetch_atom::value, req);
  }

  std::optional<double> native(const std::string& family, const std::string& api) {
    return sample(io.metrics->registry, family, {"native", api});
  }

  std::optional<double> error_count(const std::string& api, const std::string& error) {
    return sample(io.metrics->registry, "cafka_request_errors_total", {"native", api, error});
  }

  std::optional<double> partition_gauge(const std::string& what, const std::string& topic) {
    return sample(io.metrics->registry, "cafka_partition_" + what, {topic, "0"});
  }
};

} // namespace

TEST_CASE_METHOD(metrics_node, "the broker counts native requests, their latency and errors",
                 "[actors][broker][metrics]") {
  REQUIRE(eventually([&] { return registered(); }));
  REQUIRE(ask<topic_metadata>(sys, broker, create_topic_atom::value,
                              create_topic_request{"m", 1, 1}));
  auto batch = make_batch("a", 4);
  // The replica may still be opening its log: produce until it takes the batch.
  int attempts = 0;
  REQUIRE(eventually([&] {
    ++attempts;
    return static_cast<bool>(produce("m", batch));
  }));
  auto fetched = fetch("m", 0);
  REQUIRE(fetched);
  auto unknown = produce("nope", make_batch("b", 1));
  REQUIRE_FALSE(unknown);
  CHECK(errc_of(unknown.error()) == errc::unknown_topic_or_partition);

  CHECK(native("cafka_requests_total", "produce") == attempts + 1.0);
  CHECK(native("cafka_request_latency_seconds", "produce") == attempts + 1.0);
  CHECK(native("cafka_requests_total", "fetch") == 1.0);
  CHECK(native("cafka_request_latency_seconds", "fetch") == 1.0);
  CHECK(native("cafka_requests_total", "create_topic") == 1.0);
  CHECK(error_count("produce", "unknown_topic_or_partition") == 1.0);
  CHECK_FALSE(error_count("fetch", "unknown_topic_or_partition"));
  // Produced through the broker: the leader's counters and gauges.
  CHECK(io.metrics->records_in.value() == 4);
  CHECK(io.metrics->bytes_in.value() == batch.size());
  CHECK(io.metrics->records_out.value() == 4);
  CHECK(eventually([&] { return partition_gauge("log_end_offset", "m") == 4.0; }));
  CHECK(partition_gauge("leader", "m") == 1.0);
}

TEST_CASE_METHOD(metrics_node, "a deleted partition's series leave the registry",
                 "[actors][broker][metrics]") {
  REQUIRE(eventually([&] { return registered(); }));
  REQUIRE(ask<topic_metadata>(sys, broker, create_topic_atom::value,
                              create_topic_request{"gone", 1, 1}));
  REQUIRE(ask<topic_metadata>(sys, broker, create_topic_atom::value,
                              create_topic_request{"kept", 1, 1}));
  REQUIRE(eventually([&] { return static_cast<bool>(produce("gone", make_batch("a", 2))); }));
  REQUIRE(eventually([&] { return partition_gauge("log_end_offset", "gone") == 2.0; }));
  REQUIRE(eventually([&] { return partition_gauge("leader", "kept") == 1.0; }));
  REQUIRE(ask<caf::ok_atom>(sys, broker, delete_topic_atom::value,
                            delete_topic_request{"gone"}));
  CHECK(eventually([&] { return !partition_gauge("log_end_offset", "gone"); }));
  for (auto what : {"log_start_offset", "high_watermark", "size_bytes", "replicas", "isr_size",
                    "under_replicated", "under_min_isr", "leader_epoch", "leader"})
    CHECK_FALSE(partition_gauge(what, "gone"));
  CHECK(partition_gauge("leader", "kept") == 1.0);
}
