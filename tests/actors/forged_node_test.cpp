// Forged messages from another actor system over loopback BASP (tests/actors/two_systems.hpp)
// to a broker and to a node supervisor: metadata and access pushes only from the controller
// (and no version jumps), follower fetches, ISR changes, handles and stops only from who may
// send them; the same messages from the legitimate identity still work.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/broker/broker.hpp"
#include "actors/broker/broker_state.hpp"
#include "actors/controller/controller_member.hpp"
#include "actors/node/node_supervisor.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/raft/disk_persistence.hpp"
#include "runtime/storage/posix_env.hpp"
#include "runtime/tls/peer_identity.hpp"
#include "tests/actors/two_systems.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

node_config node(int32_t id, bool controller, bool broker) {
  node_config n;
  n.id = node_id{id};
  n.host = "127.0.0.1";
  n.port = static_cast<uint16_t>(9100 + id); // never bound: nothing is published on it
  n.controller = controller;
  n.broker = broker;
  return n;
}

// Node 1 (its controller, a quorum of one, and its broker) of a cluster.conf that also
// names broker 2 and controller 3, with topic t (one partition) holding a record.
struct broker_target : two_systems {
  cluster_config cc;
  controller_member_actor controller;
  broker_actor broker;
  std::shared_ptr<access_cache> access = std::make_shared<access_cache>();

  broker_target() {
    cc.path = (dir.path() / "cluster.conf").string();
    cc.data_dir = dir.str();
    cc.nodes = {node(1, true, true), node(2, false, true), node(3, true, false)};
    controller_config qc;
    qc.self = node_id{1};
    qc.members = {node_id{1}};
    qc.storage = std::make_shared<raft::disk_persistence>(
      cc.node_dir(node_id{1}) + "/" + raft_dir_name, std::make_shared<storage::posix_env>());
    qc.tick = 10ms;
    qc.raft.election_timeout_ticks = 2;
    controller = spawn_controller_member(home, qc);
    broker = spawn_broker(home, cc, node_id{1}, make_node_io(), access);
    local_send(home, broker, peer_atom::value, node_id{1},
               caf::actor_cast<caf::strong_actor_ptr>(controller));
    add_target("broker", broker);
    connect();
    REQUIRE(eventually([&] { return static_cast<bool>(metadata()); }));
    REQUIRE(ask<topic_metadata>(home, broker, create_topic_atom::value,
                                create_topic_request{"t", 1, 1}));
    REQUIRE(eventually([&] { return static_cast<bool>(produce()); }));
  }

  ~broker_target() {
    static_cast<void>(ask<caf::ok_atom>(home, broker, stop_atom::value));
    static_cast<void>(ask<caf::ok_atom>(home, controller, stop_atom::value));
    caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(controller, caf::exit_reason::user_shutdown);
  }

  caf::expected<cluster_metadata> metadata() {
    return ask<cluster_metadata>(home, broker, metadata_atom::value, metadata_request{});
  }

  caf::expected<produce_response> produce() {
    return ask<produce_response>(home, broker, produce_atom::value,
                                 produce_request{{"t", partition_id{0}}, 1, 10000,
                                                 make_batch("r", 1)});
  }

  // The broker's metadata pushed by `controller`: `version_step` ahead, with no topics
  // (`wipe`) or with every broker fenced.
  cluster_metadata forged_view(int32_t controller_id, uint64_t version_step, bool wipe) {
    auto md = metadata();
    REQUIRE(md);
    auto out = *md;
    out.version += version_step;
    out.controller = node_id{controller_id};
    if (wipe)
      out.topics.clear();
    for (auto& b : out.brokers)
      b.alive = wipe;
    return out;
  }

  // Still hosts t-0 and takes writes: no forged push got through.
  void check_intact() {
    auto md = metadata();
    REQUIRE(md);
    CHECK(md->find_topic("t") != nullptr);
    CHECK(fs::exists(fs::path{cc.node_dir(node_id{1})} / "t-0"));
    auto p = produce();
    CHECK(describe(p ? caf::error{} : p.error()) == describe(caf::error{}));
  }
};

} // namespace

TEST_CASE_METHOD(broker_target, "a broker refuses what a client or a non-controller forges",
                 "[actors][authorization]") {
  peer_is(tls::client_identity("mallory"));
  auto b = remote("broker");
  caf::scoped_actor forger{peer};
  forger->send(b, md_update_atom::value, forged_view(1, 1000, true));
  forger->send(b, peer_atom::value, node_id{1}, peer_actor());
  forger->send(b, node_link_atom::value, node_id{2}, peer_actor());
  forger->send(b, caf::tick_atom::value);
  REQUIRE(ask_from<cluster_metadata>(forger, b, metadata_atom::value, metadata_request{}));
  check_intact();
  replica_fetch_request rf;
  rf.tp = {"t", partition_id{0}};
  rf.follower = node_id{2};
  rf.max_wait_ms = 0;
  auto fetched = ask_from<replica_fetch_response>(forger, b, replica_fetch_atom::value, rf);
  CHECK(refusal_of(fetched)
        == "replica_fetch from client 'mallory': it may not fetch as follower 2");
  auto isr = ask_from<partition_metadata>(forger, b, alter_isr_atom::value, alter_isr_request{});
  CHECK(refusal_of(isr) == "alter_isr from client 'mallory': only this broker's replicas may "
                           "change an ISR through it");
  auto stop = ask_from<caf::ok_atom>(forger, b, stop_atom::value);
  CHECK(refusal_of(stop) == "stop from client 'mallory': only this process may stop the broker");
  // Broker 2 is a cluster member but not a controller: its pushes are refused whichever
  // controller they name.
  peer_is(tls::node_identity(node_id{2}));
  caf::scoped_actor broker2{peer};
  broker2->send(b, md_update_atom::value, forged_view(1, 1000, true));
  broker2->send(b, md_update_atom::value, forged_view(2, 1000, true));
  REQUIRE(ask_from<cluster_metadata>(broker2, b, metadata_atom::value, metadata_request{}));
  check_intact();
}

TEST_CASE_METHOD(broker_target, "a broker takes pushes from a controller without version jumps",
                 "[actors][authorization]") {
  peer_is(tls::node_identity(node_id{3}));
  auto b = remote("broker");
  caf::scoped_actor controller3{peer};
  // Too far ahead: not applied (the broker asks its controller instead).
  controller3->send(b, md_update_atom::value,
                    forged_view(3, max_metadata_version_jump + 1, false));
  REQUIRE(ask_from<cluster_metadata>(controller3, b, metadata_atom::value, metadata_request{}));
  check_intact();
  // The controller's push fencing every broker is applied.
  controller3->send(b, md_update_atom::value, forged_view(3, 1000, false));
  CHECK(eventually([&] {
    auto p = produce();
    return !p && errc_of(p.error()) == errc::broker_fenced;
  }));
}

namespace {

// The supervisor of node 2 (controller and broker) of a cluster.conf that also names node 1,
// which dials node 2 and says hello.
struct supervisor_target : two_systems {
  node_actor supervisor;

  supervisor_target() {
    cluster_config cc;
    cc.path = (dir.path() / "cluster.conf").string();
    cc.data_dir = dir.str();
    cc.nodes = {node(1, false, true), node(2, true, true)};
    supervisor = spawn_node_supervisor(home, cc, node_id{2}, nullptr);
    add_target("node", supervisor);
    connect();
  }

  ~supervisor_target() {
    static_cast<void>(ask<caf::ok_atom>(home, supervisor, stop_atom::value));
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
  }
};

} // namespace

TEST_CASE_METHOD(supervisor_target, "a node supervisor takes a hello only from that node",
                 "[actors][authorization]") {
  peer_unverified();
  auto n = remote("node");
  auto rules = ask<std::vector<fault_status>>(peer, n, chaos_atom::value);
  CHECK(refusal_of(rules) == "chaos list from unverified peer: only authenticated senders may "
                             "ask");
  auto stop = ask<caf::ok_atom>(peer, n, stop_atom::value);
  CHECK(refusal_of(stop) == "stop from unverified peer: only this process may stop the node");
  peer_is(tls::client_identity("mallory"));
  stop = ask<caf::ok_atom>(peer, n, stop_atom::value);
  CHECK(refusal_of(stop) == "stop from client 'mallory': only this process may stop the node");
  auto hello = ask<caf::ok_atom>(peer, n, hello_atom::value, node_id{1}, peer_actor());
  CHECK(refusal_of(hello) == "hello from client 'mallory': only node 1 may say hello as node 1");
  // Node 1 may say hello, with a handle of its own node only.
  peer_is(tls::node_identity(node_id{1}));
  hello = ask<caf::ok_atom>(peer, n, hello_atom::value, node_id{1},
                            caf::actor_cast<caf::strong_actor_ptr>(remote_dir));
  CHECK(refusal_of(hello) == "hello from node 1: the handle is not on the sender's node");
  hello = ask<caf::ok_atom>(peer, n, hello_atom::value, node_id{1}, peer_actor());
  CHECK(refusal_of(hello) == "accepted");
  rules = ask<std::vector<fault_status>>(peer, n, chaos_atom::value);
  REQUIRE_FALSE(rules);
  CHECK(errc_of(rules.error()) == errc::chaos_disabled);
}

TEST_CASE_METHOD(broker_target, "a broker does not take an anonymous sender for a local one",
                 "[actors][authorization]") {
  topic_partition offsets{"__consumer_offsets", partition_id{0}};
  REQUIRE(ask<topic_metadata>(home, broker, create_topic_atom::value,
                              create_topic_request{offsets.topic, 1, 1}));
  peer_is(tls::client_identity("mallory"));
  auto b = remote("broker");
  caf::anon_send(b, produce_atom::value, produce_request{offsets, 1, 10000, make_batch("x", 3)});
  // The client's own request travels the same connection, after the anonymous one.
  caf::scoped_actor client{peer};
  auto end = ask_from<list_offsets_response>(client, b, list_offsets_atom::value,
                                             list_offsets_request{offsets, latest_timestamp});
  REQUIRE(end);
  CHECK(end->offset == log_offset{0});
  fetch_request f;
  f.tp = offsets;
  f.max_wait_ms = 0;
  f.to_log_end = true;
  auto fetched = ask_from<fetch_response>(client, b, fetch_atom::value, f);
  REQUIRE_FALSE(fetched);
  CHECK(context_of(fetched.error()) == "fetch to the log end is for brokers only");
}

TEST_CASE_METHOD(broker_target, "a broker publishes the controller's access pushes to its cache",
                 "[actors][access]") {
  CHECK(access->current()->version == 0);
  scram_credential alice{"alice", scram_mechanism::sha_256, "salt", 4096, std::string(32, 's'),
                         std::string(32, 'k')};
  REQUIRE(ask<caf::ok_atom>(home, broker, upsert_credential_atom::value, alice));
  CHECK(eventually([&] {
    auto c = access->current()->find_credential("alice", scram_mechanism::sha_256);
    return c != nullptr && *c == alice;
  }));
  acl_binding read;
  read.resource_name = "t";
  read.principal = "User:alice";
  auto created = ask<std::vector<caf::error>>(home, broker, create_acls_atom::value,
                                              std::vector<acl_binding>{read});
  REQUIRE(created);
  CHECK(*created == std::vector<caf::error>{caf::error{}});
  CHECK(eventually([&] { return access->current()->acls == std::vector<acl_binding>{read}; }));
  CHECK(access->current()->version == 2);
  auto users = ask<std::vector<scram_user>>(home, broker, list_users_atom::value);
  REQUIRE(users);
  CHECK(*users == std::vector<scram_user>{{"alice", scram_mechanism::sha_256, 4096}});
}

TEST_CASE_METHOD(broker_target, "a broker takes access pushes only from its controller",
                 "[actors][access][authorization]") {
  auto b = remote("broker");
  access_metadata forged;
  forged.version = 1000;
  forged.credentials.push_back(scram_credential{"mallory", scram_mechanism::sha_256, "salt",
                                                4096, std::string(32, 's'),
                                                std::string(32, 'k')});
  // A client, a broker, and a controller of cluster.conf that is not this broker's.
  for (auto who : {tls::client_identity("mallory"), tls::node_identity(node_id{2}),
                   tls::node_identity(node_id{3})}) {
    peer_is(who);
    caf::scoped_actor forger{peer};
    forger->send(b, access_update_atom::value, forged);
    // Its own request travels the same connection, after the push.
    REQUIRE(ask_from<cluster_metadata>(forger, b, metadata_atom::value, metadata_request{}));
    CHECK(access->current()->version == 0);
    CHECK(access->current()->credentials.empty());
  }
  // The node of this broker's controller (node 1) may push.
  peer_is(tls::node_identity(node_id{1}));
  caf::scoped_actor controller1{peer};
  controller1->send(b, access_update_atom::value, forged);
  CHECK(eventually([&] { return access->current()->version == 1000; }));
  CHECK(access->current()->credentials == forged.credentials);
}

TEST_CASE_METHOD(broker_target, "a broker asks the controller for access changes only for a "
                                "sender with an identity",
                 "[actors][access][authorization]") {
  peer_is(tls::client_identity("mallory"));
  auto b = remote("broker");
  scram_credential forged{"admin", scram_mechanism::sha_256, "salt", 4096,
                          std::string(32, 's'), std::string(32, 'k')};
  // Anonymous: the broker would ask the controller in its own name; it refuses instead.
  caf::anon_send(b, upsert_credential_atom::value, forged);
  // The client's own change travels the same connection, after the anonymous one, and is
  // applied after it would have been: once it is answered, only it is stored.
  caf::scoped_actor client{peer};
  auto bob = forged;
  bob.user = "bob";
  REQUIRE(ask_from<caf::ok_atom>(client, b, upsert_credential_atom::value, bob));
  auto users = ask_from<std::vector<scram_user>>(client, b, list_users_atom::value);
  REQUIRE(users);
  CHECK(*users == std::vector<scram_user>{{"bob", scram_mechanism::sha_256, 4096}});
}
