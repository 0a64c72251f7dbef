// Tests of the broker with the single-node controller on a real actor system: registration,
// topic create / describe / delete (with its partition directories), validation errors,
// produce / fetch / list offsets routed to the replicas, and a restart on the same data dir.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/broker/broker.hpp"
#include "actors/broker/broker_state.hpp"
#include "actors/controller/controller_member.hpp"
#include "runtime/raft/disk_persistence.hpp"
#include "runtime/storage/posix_env.hpp"
#include "actors/broker/broker_interface.hpp"
#include "actors/controller/controller_interface.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/config/cluster_config.hpp"
#include "tests/actors/actor_test_util.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// One node (id 1, controller + broker) whose data dir is a temp dir. start() spawns the
// controller and the broker and waits until the broker has registered; stop() stops both
// with stop_atom. The destructor stops whatever still runs before the system shuts down.
struct broker_fixture {
  temp_dir dir; // destroyed last, after the system
  test_config cfg;
  caf::actor_system sys{cfg};
  cluster_config cc;
  controller_member_actor controller;
  broker_actor broker;
  bool running = false;

  broker_fixture() {
    cc.path = (dir.path() / "cluster.conf").string();
    cc.data_dir = dir.str();
    node_config n;
    n.id = node_id{1};
    n.host = "127.0.0.1";
    n.port = 9101; // never bound: these tests do not publish the broker
    n.controller = true;
    n.broker = true;
    cc.nodes.push_back(n);
    cc.defaults.num_partitions = 2;
  }

  ~broker_fixture() {
    if (running) {
      stop();
      caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(controller, caf::exit_reason::user_shutdown);
    }
  }

  void start() {
    // A one-member quorum on disk is this node's controller.
    controller_config qc;
    qc.self = node_id{1};
    qc.members = {node_id{1}};
    qc.storage = std::make_shared<raft::disk_persistence>(
      cc.node_dir(node_id{1}) + "/" + raft_dir_name, std::make_shared<storage::posix_env>());
    qc.tick = 10ms;
    qc.raft.election_timeout_ticks = 2;
    qc.defaults = cc.defaults;
    controller = spawn_controller_member(sys, qc);
    broker = spawn_broker(sys, cc, node_id{1});
    local_send(sys, broker, peer_atom::value, node_id{1},
               caf::actor_cast<caf::strong_actor_ptr>(controller));
    running = true;
    // The broker answers broker_not_available until its registration completes.
    REQUIRE(eventually([&] { return static_cast<bool>(metadata()); }));
  }

  // Stops the broker (which stops its replicas) and then the controller.
  bool stop() {
    running = false;
    auto b = ask<caf::ok_atom>(sys, broker, stop_atom::value);
    auto c = ask<caf::ok_atom>(sys, controller, stop_atom::value);
    if (!b)
      UNSCOPED_INFO("broker stop: " << describe(b.error()));
    if (!c)
      UNSCOPED_INFO("controller stop: " << describe(c.error()));
    return static_cast<bool>(b) && static_cast<bool>(c);
  }

  std::string partition_dir(const std::string& topic, int32_t p) const {
    return (fs::path{cc.node_dir(node_id{1})} / (topic + "-" + std::to_string(p))).string();
  }

  caf::expected<cluster_metadata> metadata(std::vector<std::string> topics = {}) {
    return ask<cluster_metadata>(sys, broker, metadata_atom::value,
                                 metadata_request{std::move(topics)});
  }

  caf::expected<topic_metadata> create(const std::string& name, int32_t partitions,
                                       int32_t rf) {
    return ask<topic_metadata>(sys, broker, create_topic_atom::value,
                               create_topic_request{name, partitions, rf});
  }

  caf::expected<caf::ok_atom> remove(const std::string& name) {
    return ask<caf::ok_atom>(sys, broker, delete_topic_atom::value,
                             delete_topic_request{name});
  }

  caf::expected<produce_response> produce(const std::string& topic, int32_t p,
                                          std::string batch) {
    produce_request req;
    req.tp = topic_partition{topic, partition_id{p}};
    req.batch = std::move(batch);
    return ask<produce_response>(sys, broker, produce_atom::value, std::move(req));
  }

  caf::expected<fetch_response> fetch(const std::string& topic, int32_t p, int64_t offset) {
    fetch_request req;
    req.tp = topic_partition{topic, partition_id{p}};
    req.offset = log_offset{offset};
    req.max_wait_ms = 0;
    return ask<fetch_response>(sys, broker, fetch_atom::value, req);
  }

  caf::expected<list_offsets_response> list(const std::string& topic, int32_t p,
                                            int64_t timestamp) {
    return ask<list_offsets_response>(
      sys, broker, list_offsets_atom::value,
      list_offsets_request{topic_partition{topic, partition_id{p}}, timestamp});
  }
};

bool all_dirs_exist(const std::vector<std::string>& dirs) {
  return std::all_of(dirs.begin(), dirs.end(),
                     [](const std::string& d) { return fs::is_directory(d); });
}

bool no_dir_exists(const std::vector<std::string>& dirs) {
  return std::none_of(dirs.begin(), dirs.end(),
                      [](const std::string& d) { return fs::exists(d); });
}

} // namespace

TEST_CASE_METHOD(broker_fixture, "a registered broker reports itself in the metadata",
                 "[actors][broker]") {
  start();
  auto md = metadata();
  REQUIRE(md);
  CHECK(md->controller == node_id{1});
  REQUIRE(md->brokers.size() == 1);
  CHECK(md->brokers[0].id == node_id{1});
  CHECK(md->brokers[0].host == "127.0.0.1");
  CHECK(md->brokers[0].port == 9101);
  CHECK(md->brokers[0].alive);
  CHECK(md->topics.empty());
  REQUIRE(stop());
}

TEST_CASE_METHOD(broker_fixture, "create topic: describe shows its partitions led by broker 1",
                 "[actors][broker]") {
  start();
  auto t = create("orders", 3, 1);
  REQUIRE(t);
  CHECK(t->name == "orders");
  REQUIRE(t->partitions.size() == 3);
  for (auto& p : t->partitions) {
    CHECK(p.leader == node_id{1});
    CHECK(p.replicas == std::vector<node_id>{node_id{1}});
  }

  REQUIRE(create("other", 1, 1));
  auto md = metadata({"orders", "no-such-topic"});
  REQUIRE(md);
  REQUIRE(md->topics.size() == 1);
  auto& desc = md->topics[0];
  CHECK(desc.name == "orders");
  REQUIRE(desc.partitions.size() == 3);
  for (int32_t i = 0; i < 3; ++i) {
    auto& p = desc.partitions[static_cast<size_t>(i)];
    CHECK(p.id == partition_id{i});
    CHECK(p.leader == node_id{1});
    CHECK(p.replicas == std::vector<node_id>{node_id{1}});
    CHECK(p.isr == std::vector<node_id>{node_id{1}});
  }
  auto everything = metadata();
  REQUIRE(everything);
  CHECK(everything->topics.size() == 2);

  // Each hosted partition gets its log directory under <data-dir>/node-1.
  CHECK(eventually([&] {
    return all_dirs_exist({partition_dir("orders", 0), partition_dir("orders", 1),
                           partition_dir("orders", 2), partition_dir("other", 0)});
  }));
  REQUIRE(stop());
}

TEST_CASE_METHOD(broker_fixture, "create topic without counts uses the cluster.conf defaults",
                 "[actors][broker]") {
  start();
  auto t = create("defaulted", -1, -1);
  REQUIRE(t);
  CHECK(t->partitions.size() == 2); // cc.defaults.num_partitions
  CHECK(t->partitions[0].replicas.size() == 1);
  REQUIRE(stop());
}

TEST_CASE_METHOD(broker_fixture, "bad topic commands are rejected with the right error",
                 "[actors][broker]") {
  start();
  REQUIRE(create("orders", 1, 1));

  auto rf = create("replicated", 1, 2);
  REQUIRE_FALSE(rf);
  CHECK(errc_of(rf.error()) == errc::invalid_replication_factor);

  auto dup = create("orders", 1, 1);
  REQUIRE_FALSE(dup);
  CHECK(errc_of(dup.error()) == errc::topic_already_exists);

  auto name = create("bad name", 1, 1);
  REQUIRE_FALSE(name);
  CHECK(errc_of(name.error()) == errc::invalid_topic);

  auto parts = create("zero", 0, 1);
  REQUIRE_FALSE(parts);
  CHECK(errc_of(parts.error()) == errc::invalid_partitions);

  auto del = remove("no-such-topic");
  REQUIRE_FALSE(del);
  CHECK(errc_of(del.error()) == errc::unknown_topic_or_partition);

  // None of them changed the topics.
  auto md = metadata();
  REQUIRE(md);
  REQUIRE(md->topics.size() == 1);
  CHECK(md->topics[0].name == "orders");
  REQUIRE(stop());
}

TEST_CASE_METHOD(broker_fixture, "requests for an unknown topic or partition are rejected",
                 "[actors][broker]") {
  start();
  REQUIRE(create("orders", 2, 1));

  auto p = produce("nope", 0, make_batch("a", 1));
  REQUIRE_FALSE(p);
  CHECK(errc_of(p.error()) == errc::unknown_topic_or_partition);

  auto beyond = produce("orders", 2, make_batch("a", 1));
  REQUIRE_FALSE(beyond);
  CHECK(errc_of(beyond.error()) == errc::unknown_topic_or_partition);

  auto f = fetch("nope", 0, 0);
  REQUIRE_FALSE(f);
  CHECK(errc_of(f.error()) == errc::unknown_topic_or_partition);

  auto l = list("nope", 0, latest_timestamp);
  REQUIRE_FALSE(l);
  CHECK(errc_of(l.error()) == errc::unknown_topic_or_partition);
  REQUIRE(stop());
}

TEST_CASE_METHOD(broker_fixture, "produce and fetch round-trip through the broker",
                 "[actors][broker]") {
  start();
  REQUIRE(create("orders", 2, 1));

  auto p0 = produce("orders", 0, make_batch("a", 4));
  REQUIRE(p0);
  CHECK(p0->tp == (topic_partition{"orders", partition_id{0}}));
  CHECK(p0->base_offset == log_offset{0});
  auto p0b = produce("orders", 0, make_batch("b", 2));
  REQUIRE(p0b);
  CHECK(p0b->base_offset == log_offset{4});
  auto p1 = produce("orders", 1, make_batch("c", 3));
  REQUIRE(p1);
  CHECK(p1->base_offset == log_offset{0}); // partitions have their own offsets

  auto f0 = fetch("orders", 0, 0);
  REQUIRE(f0);
  CHECK(f0->high_watermark == log_offset{6});
  auto expected = expected_values("a", 4, 0);
  for (auto& x : expected_values("b", 2, 4))
    expected.push_back(x);
  CHECK(decode(f0->records) == expected);

  auto f1 = fetch("orders", 1, 0);
  REQUIRE(f1);
  CHECK(decode(f1->records) == expected_values("c", 3, 0));

  auto latest = list("orders", 0, latest_timestamp);
  REQUIRE(latest);
  CHECK(latest->offset == log_offset{6});
  auto earliest = list("orders", 1, earliest_timestamp);
  REQUIRE(earliest);
  CHECK(earliest->offset == log_offset{0});

  // Replica errors come back through the broker.
  auto bad = make_batch("x", 1);
  bad[bad.size() - 1] ^= 0x7f;
  auto corrupt = produce("orders", 0, bad);
  REQUIRE_FALSE(corrupt);
  CHECK(errc_of(corrupt.error()) == errc::corrupt_message);
  auto range = fetch("orders", 0, 100);
  REQUIRE_FALSE(range);
  CHECK(errc_of(range.error()) == errc::offset_out_of_range);
  REQUIRE(stop());
}

TEST_CASE_METHOD(broker_fixture, "delete topic removes it and its partition directories",
                 "[actors][broker]") {
  start();
  REQUIRE(create("doomed", 3, 1));
  REQUIRE(create("kept", 1, 1));
  REQUIRE(produce("doomed", 1, make_batch("a", 2)));
  std::vector<std::string> dirs{partition_dir("doomed", 0), partition_dir("doomed", 1),
                                partition_dir("doomed", 2)};
  REQUIRE(eventually([&] { return all_dirs_exist(dirs); }));

  REQUIRE(remove("doomed"));
  CHECK(eventually([&] { return no_dir_exists(dirs); }));
  CHECK(fs::is_directory(partition_dir("kept", 0)));

  auto md = metadata();
  REQUIRE(md);
  REQUIRE(md->topics.size() == 1);
  CHECK(md->topics[0].name == "kept");

  auto p = produce("doomed", 1, make_batch("b", 1));
  REQUIRE_FALSE(p);
  CHECK(errc_of(p.error()) == errc::unknown_topic_or_partition);
  auto again = remove("doomed");
  REQUIRE_FALSE(again);
  CHECK(errc_of(again.error()) == errc::unknown_topic_or_partition);

  // The name can be reused and starts from offset 0.
  REQUIRE(create("doomed", 1, 1));
  auto fresh = produce("doomed", 0, make_batch("c", 1));
  REQUIRE(fresh);
  CHECK(fresh->base_offset == log_offset{0});
  REQUIRE(stop());
}

TEST_CASE_METHOD(broker_fixture, "a restart on the same data dir keeps topics and records",
                 "[actors][broker]") {
  start();
  REQUIRE(create("keep", 2, 1));
  REQUIRE(create("dropped", 1, 1));
  REQUIRE(produce("keep", 0, make_batch("a", 3)));
  REQUIRE(produce("keep", 1, make_batch("b", 2)));
  REQUIRE(remove("dropped"));
  REQUIRE(eventually([&] { return !fs::exists(partition_dir("dropped", 0)); }));
  REQUIRE(stop());
  CHECK(fs::exists(fs::path{cc.node_dir(node_id{1})} / raft_dir_name));

  // A partition directory the metadata does not know is left in place (a lost metadata
  // file must never wipe data).
  auto stray = partition_dir("stray", 0);
  fs::create_directories(stray);

  start();
  auto md = metadata({"keep"});
  REQUIRE(md);
  REQUIRE(md->topics.size() == 1);
  REQUIRE(md->topics[0].partitions.size() == 2);
  CHECK(md->topics[0].partitions[0].leader == node_id{1});
  REQUIRE(md->brokers.size() == 1);
  CHECK(md->brokers[0].alive);
  auto all = metadata();
  REQUIRE(all);
  CHECK(all->topics.size() == 1); // "dropped" stays deleted

  auto f0 = fetch("keep", 0, 0);
  REQUIRE(f0);
  CHECK(decode(f0->records) == expected_values("a", 3, 0));
  auto f1 = fetch("keep", 1, 0);
  REQUIRE(f1);
  CHECK(decode(f1->records) == expected_values("b", 2, 0));

  // Offsets continue where they were.
  auto p = produce("keep", 0, make_batch("c", 1));
  REQUIRE(p);
  CHECK(p->base_offset == log_offset{3});

  CHECK(fs::exists(stray));
  REQUIRE(stop());
}

TEST_CASE_METHOD(broker_fixture, "a replica that cannot open its log is restarted with backoff",
                 "[actors][broker]") {
  start();
  // A regular file where the partition directory belongs: the replica cannot open its log.
  fs::create_directories(cc.node_dir(node_id{1}));
  auto blocked = partition_dir("flaky", 0);
  { std::ofstream{blocked} << "not a directory"; }
  REQUIRE(create("flaky", 1, 1));
  // Refused: either by the broker (replica not running) or by CAF (the replica quit while
  // the request was delegated to it); both are retriable for a producer.
  auto p = produce("flaky", 0, make_batch("a", 1));
  REQUIRE_FALSE(p);
  INFO(describe(p.error()));
  CHECK((errc_of(p.error()) == errc::broker_not_available
         || p.error() == caf::sec::request_receiver_down));
  // Once the obstacle is gone, a restart brings the replica back.
  fs::remove(blocked);
  CHECK(eventually([&] { return static_cast<bool>(produce("flaky", 0, make_batch("a", 1))); }));
  REQUIRE(stop());
}

TEST_CASE_METHOD(broker_fixture, "a fenced broker accepts no writes", "[actors][broker]") {
  start();
  REQUIRE(create("f", 1, 1));
  REQUIRE(produce("f", 0, make_batch("a", 1)));
  auto md = metadata();
  REQUIRE(md);
  // The controller's push saying this broker is fenced (as after a lapsed lease).
  auto fenced = *md;
  fenced.version += 1000;
  for (auto& b : fenced.brokers)
    b.alive = false;
  local_send(sys, broker, md_update_atom::value, fenced);
  CHECK(eventually([&] {
    auto p = produce("f", 0, make_batch("b", 1));
    return !p && errc_of(p.error()) == errc::broker_fenced;
  }));
  REQUIRE(stop());
}
