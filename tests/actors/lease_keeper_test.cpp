// The broker's lease keeper (actors/broker/lease_keeper.hpp): it heartbeats the view its
// broker last reported to every quorum member the view names, stops when the broker leaves
// or its view grows stale, and quits with its broker.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <catch2/catch.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/broker/lease_keeper.hpp"
#include "tests/actors/actor_test_util.hpp"

using namespace cafka;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

struct heartbeat_seen {
  node_id from;
  uint64_t incarnation = 0;
  uint64_t md_version = 0;
  uint64_t access_version = 0;
  caf::actor_addr broker;
  steady::time_point at;
};

// What a stand-in quorum member received.
struct heartbeats {
  std::mutex mtx;
  std::vector<heartbeat_seen> seen;
  size_t count() {
    std::lock_guard<std::mutex> guard{mtx};
    return seen.size();
  }
  heartbeat_seen last() {
    std::lock_guard<std::mutex> guard{mtx};
    return seen.back();
  }
};

controller_actor recording_member(caf::actor_system& sys, std::shared_ptr<heartbeats> out) {
  auto hdl = sys.spawn([out](caf::event_based_actor*) -> caf::behavior {
    return {[out](heartbeat_atom, node_id from, uint64_t inc, uint64_t md, uint64_t access,
                  broker_actor& broker) {
      std::lock_guard<std::mutex> guard{out->mtx};
      out->seen.push_back(heartbeat_seen{from, inc, md, access, broker.address(),
                                         steady::now()});
    }};
  });
  return caf::actor_cast<controller_actor>(hdl);
}

// A stand-in broker: alive until the test kills it.
caf::actor idle_broker(caf::actor_system& sys) {
  return sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](caf::ok_atom) {}};
  });
}

lease_keeper_config keeper_config(const caf::actor& broker, int64_t stale_after_ms = 30000) {
  lease_keeper_config cfg;
  cfg.self = node_id{1};
  cfg.broker = caf::actor_cast<broker_actor>(broker);
  cfg.faults = std::make_shared<fault_table>();
  cfg.interval_ms = 10;
  cfg.stale_after_ms = stale_after_ms;
  return cfg;
}

// True once `hdl` has terminated (within `timeout`).
template <class Handle>
bool quits(caf::actor_system& sys, const Handle& hdl, std::chrono::milliseconds timeout) {
  caf::scoped_actor self{sys};
  self->monitor(hdl);
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; }, caf::after(timeout) >> [] {});
  return down;
}

} // namespace

TEST_CASE("the lease keeper heartbeats its broker's last view to every quorum member until "
          "the broker leaves",
          "[lease_keeper]") {
  test::test_config cfg;
  caf::actor_system sys{cfg};
  auto one = std::make_shared<heartbeats>();
  auto two = std::make_shared<heartbeats>();
  std::map<node_id, controller_actor> members{{node_id{1}, recording_member(sys, one)},
                                              {node_id{2}, recording_member(sys, two)}};
  auto broker = idle_broker(sys);
  auto keeper = spawn_lease_keeper(sys, keeper_config(broker));
  // Nothing before the broker's first view (the view below shows heartbeats can arrive).
  CHECK(test::stays_false([&] { return one->count() + two->count() > 0; }, 100ms));
  test::local_send(sys, keeper, heartbeat_atom::value, uint64_t{7}, uint64_t{3}, uint64_t{2},
                   members);
  REQUIRE(test::eventually([&] { return one->count() >= 3 && two->count() >= 3; }));
  auto h = two->last();
  CHECK(h.from == node_id{1});
  CHECK(h.incarnation == 7);
  CHECK(h.md_version == 3);
  CHECK(h.access_version == 2);
  CHECK(h.broker == broker.address());
  // A newer view: the next heartbeats carry it.
  test::local_send(sys, keeper, heartbeat_atom::value, uint64_t{7}, uint64_t{5}, uint64_t{2},
                   members);
  CHECK(test::eventually([&] { return one->last().md_version == 5; }));
  // Leaving: the answer comes after the last heartbeat, and the keeper is gone.
  auto ok = test::ask<caf::ok_atom>(sys, keeper, stop_atom::value);
  REQUIRE(ok);
  CHECK(quits(sys, keeper, 5s));
  anon_send_exit(broker, caf::exit_reason::user_shutdown);
}

TEST_CASE("a lease keeper whose view grows stale lets the lease lapse, and quits with its "
          "broker",
          "[lease_keeper]") {
  test::test_config cfg;
  caf::actor_system sys{cfg};
  auto one = std::make_shared<heartbeats>();
  std::map<node_id, controller_actor> members{{node_id{1}, recording_member(sys, one)}};
  auto broker = idle_broker(sys);
  auto keeper = spawn_lease_keeper(sys, keeper_config(broker, 150));
  auto reported = steady::now();
  test::local_send(sys, keeper, heartbeat_atom::value, uint64_t{7}, uint64_t{3}, uint64_t{2},
                   members);
  REQUIRE(test::eventually([&] { return one->count() > 0; }));
  // Once the view is older than 150 ms no heartbeat goes out (the wait leaves the last one
  // time to arrive).
  REQUIRE(test::eventually([&] { return steady::now() > reported + 600ms; }));
  auto n = one->count();
  CHECK(test::stays_false([&] { return one->count() > n; }, 300ms));
  // A fresh view renews the lease again.
  test::local_send(sys, keeper, heartbeat_atom::value, uint64_t{7}, uint64_t{4}, uint64_t{2},
                   members);
  CHECK(test::eventually([&] { return one->count() > n && one->last().md_version == 4; }));
  // The broker dies: so does its keeper.
  anon_send_exit(broker, caf::exit_reason::kill);
  CHECK(quits(sys, keeper, 5s));
}
