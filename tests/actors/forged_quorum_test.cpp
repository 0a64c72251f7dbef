// Forged messages from another actor system over loopback BASP (tests/actors/two_systems.hpp)
// to a controller quorum member and to a partition replica: what a sender's identity may not
// send is refused with the exact error (requests) or dropped without a state change (one-way
// messages), and the same messages from the legitimate identity still work.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/broker/partition_replica.hpp"
#include "actors/controller/controller_member.hpp"
#include "runtime/raft/disk_persistence.hpp"
#include "runtime/storage/posix_env.hpp"
#include "runtime/tls/peer_identity.hpp"
#include "tests/actors/two_systems.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

// Member 1 of a quorum {1, 2} whose member 2 the peer plays. Elections are 20 s away, so
// the member's term and role change only through what it is sent.
struct quorum_target : two_systems {
  controller_member_actor member;

  quorum_target() {
    controller_config cc;
    cc.self = node_id{1};
    cc.members = {node_id{1}, node_id{2}};
    cc.storage = std::make_shared<raft::disk_persistence>(
      (dir.path() / "raft-1").string(), std::make_shared<storage::posix_env>());
    cc.tick = 20ms;
    cc.raft.election_timeout_ticks = 1000;
    cc.raft.pre_vote = false;
    member = spawn_controller_member(home, cc);
    add_target("controller", member);
    connect();
  }

  ~quorum_target() { caf::anon_send_exit(member, caf::exit_reason::user_shutdown); }

  // The member's status as this process sees it.
  quorum_status status() {
    auto s = ask<quorum_status>(home, member, status_atom::value);
    REQUIRE(s);
    return *s;
  }

  bool connected(node_id id) {
    for (auto& m : status().members)
      if (m.id == id)
        return m.connected;
    return false;
  }
};

} // namespace

TEST_CASE_METHOD(quorum_target, "a quorum member refuses what a client forges",
                 "[actors][authorization]") {
  peer_is(tls::client_identity("mallory"));
  auto ctl = remote("controller");
  caf::scoped_actor forger{peer};
  // A vote reply with the largest term, in member 2's name; ticks; member 2's handle.
  forger->send(ctl, raft_atom::value, node_id{2},
               raft::vote_reply{raft_term{std::numeric_limits<int64_t>::max()}, true, false});
  for (int i = 0; i < 3000; ++i)
    forger->send(ctl, caf::tick_atom::value);
  forger->send(ctl, peer_atom::value, node_id{2}, peer_actor());
  // A client may ask for the status; the reply comes after the messages above were handled.
  auto s = ask_from<quorum_status>(forger, ctl, status_atom::value);
  REQUIRE(s);
  CHECK(s->term == raft_term{0});
  CHECK(s->role == "follower");
  CHECK_FALSE(connected(node_id{2}));
  broker_metadata bm{node_id{7}, "127.0.0.1", 9107, true, 42};
  auto reg = ask_from<cluster_metadata>(forger, ctl, register_atom::value, bm,
                                        caf::actor_cast<broker_actor>(peer_actor()));
  CHECK(refusal_of(reg) == "register from client 'mallory': it may not speak for broker 7");
  auto isr = ask_from<partition_metadata>(
    forger, ctl, alter_isr_atom::value,
    alter_isr_request{{"t", partition_id{0}}, node_id{2}, leader_epoch{0}, {}, {node_id{2}}});
  CHECK(refusal_of(isr) == "alter_isr from client 'mallory': only the leader of t-0 may change "
                           "its ISR");
  auto stop = ask_from<caf::ok_atom>(forger, ctl, stop_atom::value);
  CHECK(refusal_of(stop) == "stop from client 'mallory': only this process may stop the "
                            "controller");
  CHECK(status().role == "follower");
}

TEST_CASE_METHOD(quorum_target, "a quorum member takes member 2's messages only from node 2",
                 "[actors][authorization]") {
  // A sender no connection of this process vouches for (a node forwarded it) may ask what
  // any client may ask, but not speak for a member.
  peer_unverified();
  auto ctl = remote("controller");
  auto st = ask<quorum_status>(peer, ctl, status_atom::value);
  CHECK(refusal_of(st) == "accepted");
  {
    caf::scoped_actor unverified{peer};
    unverified->send(ctl, raft_atom::value, node_id{2},
                     raft::vote_request{raft_term{5}, raft_index{0}, raft_term{0}, false});
    REQUIRE(ask_from<quorum_status>(unverified, ctl, status_atom::value));
    CHECK(status().term == raft_term{0});
  }
  // Node 3 may not speak for member 2, nor hand over a handle in member 2's name.
  peer_is(tls::node_identity(node_id{3}));
  caf::scoped_actor forger{peer};
  forger->send(ctl, raft_atom::value, node_id{2},
               raft::vote_request{raft_term{5}, raft_index{0}, raft_term{0}, false});
  forger->send(ctl, peer_atom::value, node_id{2}, peer_actor());
  REQUIRE(ask_from<quorum_status>(forger, ctl, status_atom::value));
  CHECK(status().term == raft_term{0});
  CHECK_FALSE(connected(node_id{2}));
  // Node 2 may, but only with a handle on its own node.
  peer_is(tls::node_identity(node_id{2}));
  caf::scoped_actor member2{peer};
  member2->send(ctl, peer_atom::value, node_id{2},
                caf::actor_cast<caf::strong_actor_ptr>(remote_dir));
  REQUIRE(ask_from<quorum_status>(member2, ctl, status_atom::value));
  CHECK_FALSE(connected(node_id{2}));
  member2->send(ctl, raft_atom::value, node_id{2},
                raft::vote_request{raft_term{5}, raft_index{0}, raft_term{0}, false});
  member2->send(ctl, peer_atom::value, node_id{2}, peer_actor());
  REQUIRE(ask_from<quorum_status>(member2, ctl, status_atom::value));
  CHECK(status().term == raft_term{5});
  CHECK(connected(node_id{2}));
}

namespace {

partition_metadata led_by_1() {
  partition_metadata pm;
  pm.id = partition_id{0};
  pm.leader = node_id{1};
  pm.replicas = {node_id{1}, node_id{2}};
  pm.isr = pm.replicas;
  return pm;
}

// The leader (node 1) of partition t-0 with replicas {1, 2}, both in the ISR: its high
// watermark waits for follower 2.
struct replica_target : two_systems {
  topic_partition tp{"t", partition_id{0}};
  replica_actor leader;

  replica_target() {
    leader = spawn_partition_replica(
      home, replica_config{tp, (dir.path() / "t-0").string(), {}, {}, node_id{1}, led_by_1()});
    add_target("replica", leader);
    connect();
  }

  ~replica_target() { caf::anon_send_exit(leader, caf::exit_reason::user_shutdown); }

  caf::expected<produce_response> produce(std::string batch) {
    return ask<produce_response>(home, leader, produce_atom::value,
                                 produce_request{tp, 1, 10000, std::move(batch)});
  }

  log_offset high_watermark() {
    fetch_request req;
    req.tp = tp;
    req.offset = log_offset{0};
    req.max_wait_ms = 0;
    auto r = ask<fetch_response>(home, leader, fetch_atom::value, req);
    REQUIRE(r);
    return r->high_watermark;
  }

  // Follower 2's fetch that has every record below `offset`.
  replica_fetch_request caught_up(int64_t offset) {
    replica_fetch_request req;
    req.tp = tp;
    req.follower = node_id{2};
    req.epoch = leader_epoch{0};
    req.offset = log_offset{offset};
    req.last_fetched_epoch = leader_epoch{0};
    req.max_wait_ms = 0;
    return req;
  }
};

} // namespace

TEST_CASE_METHOD(replica_target, "a replica takes follower fetches only from the follower",
                 "[actors][authorization]") {
  REQUIRE(produce(make_batch("a", 5)));
  REQUIRE(high_watermark() == log_offset{0});
  peer_is(tls::client_identity("mallory"));
  auto r = remote("replica");
  caf::scoped_actor forger{peer};
  // A new leader and a stop, as if from the broker.
  forger->send(r, md_update_atom::value, partition_metadata{});
  auto stop = ask_from<caf::ok_atom>(forger, r, stop_atom::value, false);
  CHECK(refusal_of(stop) == "stop from client 'mallory': only this process may stop a replica");
  auto fetched = ask_from<replica_fetch_response>(forger, r, replica_fetch_atom::value,
                                                  caught_up(5));
  CHECK(refusal_of(fetched)
        == "replica_fetch from client 'mallory': it may not fetch as follower 2");
  CHECK(high_watermark() == log_offset{0});
  REQUIRE(produce(make_batch("b", 1))); // still the leader
  // Reached without its broker, the replica keeps the broker's guard.
  fetch_request to_end;
  to_end.tp = tp;
  to_end.max_wait_ms = 0;
  to_end.to_log_end = true;
  auto unread = ask_from<fetch_response>(forger, r, fetch_atom::value, to_end);
  REQUIRE_FALSE(unread);
  CHECK(context_of(unread.error()) == "fetch to the log end is for brokers only");
  // Node 2 itself moves the high watermark.
  peer_is(tls::node_identity(node_id{2}));
  caf::scoped_actor follower{peer};
  REQUIRE(ask_from<replica_fetch_response>(follower, r, replica_fetch_atom::value,
                                           caught_up(6)));
  CHECK(eventually([&] { return high_watermark() == log_offset{6}; }));
}
