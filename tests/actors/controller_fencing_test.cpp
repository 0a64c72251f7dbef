// The controller fences brokers: one whose lease lapses (and unfences it on its next
// heartbeat), and at once one that died with the controller while a follower watched it; and
// it sends a broker whose heartbeats show an older metadata version the metadata again once
// the last push has had a second to arrive.
#include <atomic>
#include <memory>

#include <catch2/catch.hpp>

#include <caf/event_based_actor.hpp>

#include "tests/actors/quorum_fixture.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

TEST_CASE_METHOD(quorum_fixture, "the controller fences a broker whose lease lapses",
                 "[actors][quorum]") {
  session_timeout = 600ms;
  start(3);
  auto leader = wait_leader(live());
  REQUIRE(leader != no_node);
  auto b = fake_broker(sys);
  broker_metadata bm{node_id{7}, "127.0.0.1", 9107, true, 42};
  auto md = ask<cluster_metadata>(sys, members[leader], register_atom::value, bm, b);
  REQUIRE(md);
  REQUIRE(md->find_broker(node_id{7}) != nullptr);
  CHECK(md->find_broker(node_id{7})->alive);
  // No heartbeats: the lease (600 ms by default) lapses and the broker is fenced.
  CHECK(eventually([&] {
    auto m = ask<cluster_metadata>(sys, members[leader], metadata_atom::value);
    return m && m->find_broker(node_id{7}) && !m->find_broker(node_id{7})->alive;
  }));
  // A heartbeat of the same incarnation unfences it.
  local_send(sys, members[leader], heartbeat_atom::value, node_id{7}, uint64_t{42},
             uint64_t{0}, uint64_t{0}, b);
  CHECK(eventually([&] {
    auto m = ask<cluster_metadata>(sys, members[leader], metadata_atom::value);
    return m && m->find_broker(node_id{7}) && m->find_broker(node_id{7})->alive;
  }));
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(quorum_fixture,
                 "a new controller fences at once a broker that died while it was following",
                 "[actors][quorum]") {
  // Leases of an hour: only the down message a follower saw can get a broker fenced in time.
  start(3);
  auto first = wait_leader(live());
  REQUIRE(first != no_node);
  REQUIRE(add_broker(node_id{7}, 42));
  auto doomed = more_brokers.back();
  REQUIRE(add_broker(node_id{8}, 43));
  auto healthy = more_brokers.back();
  // Every member hears both brokers' heartbeats once it knows them (as in a real cluster).
  auto heartbeats = [&] {
    for (auto& kv : members) {
      local_send(sys, kv.second, heartbeat_atom::value, node_id{7}, uint64_t{42},
                 uint64_t{0}, uint64_t{0}, doomed);
      local_send(sys, kv.second, heartbeat_atom::value, node_id{8}, uint64_t{43},
                 uint64_t{0}, uint64_t{0}, healthy);
    }
  };
  auto registered = metadata();
  REQUIRE(registered);
  REQUIRE(eventually([&] {
    for (auto& kv : members) {
      auto st = status(kv.first);
      if (!st || st->metadata_version < registered->version)
        return false;
    }
    return true;
  }));
  heartbeats();
  // The controller and broker 7 die together, as when they share a node.
  kill(first);
  caf::anon_send_exit(doomed, caf::exit_reason::kill);
  REQUIRE(eventually([&] {
    auto md = metadata();
    return md && md->find_broker(node_id{7}) && !md->find_broker(node_id{7})->alive;
  }));
  auto md = metadata();
  REQUIRE(md);
  REQUIRE(md->find_broker(node_id{8}) != nullptr);
  CHECK(md->find_broker(node_id{8})->alive);
}

TEST_CASE_METHOD(quorum_fixture,
                 "a broker whose heartbeats show older metadata than it was pushed is sent it "
                 "again only after a second",
                 "[actors][quorum]") {
  start(3);
  auto leader = wait_leader(live());
  REQUIRE(leader != no_node);
  // A broker that counts the metadata pushes it gets.
  auto pushes = std::make_shared<std::atomic<int>>(0);
  auto counting = sys.spawn([pushes](caf::event_based_actor*) -> caf::behavior {
    return {[pushes](md_update_atom, const cluster_metadata&) { ++*pushes; },
            [](access_update_atom, const access_metadata&) {}};
  });
  auto b = caf::actor_cast<broker_actor>(counting);
  broker_metadata bm{node_id{7}, "127.0.0.1", 9107, true, 42};
  auto registering = std::chrono::steady_clock::now();
  REQUIRE(ask<cluster_metadata>(sys, members[leader], register_atom::value, bm, b));
  REQUIRE(eventually([&] { return pushes->load() >= 1; }));  // the push registering caused
  auto before = pushes->load();
  // Heartbeats of a broker that has not applied that push yet (version 0): it is on its way.
  auto stale_heartbeat = [&] {
    local_send(sys, members[leader], heartbeat_atom::value, node_id{7}, uint64_t{42},
               uint64_t{0}, uint64_t{0}, b);
  };
  for (int i = 0; i < 10; ++i)
    stale_heartbeat();
  CHECK(stays_false([&] { return pushes->load() > before; }, 300ms));
  // A second after the push, it counts as lost: the next stale heartbeat brings it again.
  CHECK(eventually(
    [&] {
      stale_heartbeat();
      return pushes->load() > before;
    },
    5s, 50ms));
  CHECK(std::chrono::steady_clock::now() - registering >= 1s);
  caf::anon_send_exit(counting, caf::exit_reason::user_shutdown);
}
