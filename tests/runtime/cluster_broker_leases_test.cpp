// Broker leases: renew, lapse once, gone on a down message, taken over by a new controller.
#include <catch2/catch.hpp>

#include "runtime/cluster/broker_leases.hpp"

using namespace cafka;
using namespace std::chrono_literals;

TEST_CASE("a lease lapses after the timeout, is reported once, and renews", "[cluster]") {
  broker_leases leases{500ms};
  auto t0 = broker_leases::clock::time_point{} + 10s;
  leases.renew(node_id{1}, 7, t0);
  leases.renew(node_id{2}, 9, t0);
  CHECK(leases.lapsed(t0 + 400ms).empty());
  leases.renew(node_id{2}, 9, t0 + 400ms);
  auto gone = leases.lapsed(t0 + 600ms);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == std::make_pair(node_id{1}, uint64_t{7}));
  CHECK_FALSE(leases.holds(node_id{1}, t0 + 600ms));
  CHECK(leases.holds(node_id{2}, t0 + 600ms));
  CHECK(leases.lapsed(t0 + 700ms).empty()); // reported once
  leases.renew(node_id{1}, 8, t0 + 800ms);
  CHECK(leases.holds(node_id{1}, t0 + 800ms));
  leases.drop(node_id{1});
  CHECK_FALSE(leases.holds(node_id{1}, t0 + 800ms));
}

TEST_CASE("a new controller keeps what it saw: gone brokers lapse at once, others get a grace",
          "[cluster]") {
  broker_leases leases{600ms};
  auto t0 = broker_leases::clock::time_point{} + 10s;
  leases.renew(node_id{1}, 1, t0);          // heard 0 ms before the take-over
  leases.renew(node_id{2}, 2, t0 - 500ms);  // heard long ago (e.g. a missed heartbeat)
  leases.renew(node_id{3}, 3, t0 - 100ms);
  leases.gone(node_id{3}, 99);              // a stale incarnation's down message: ignored
  leases.gone(node_id{4}, 4);               // unknown broker: ignored
  CHECK_FALSE(leases.known(node_id{4}, 4));
  CHECK(leases.known(node_id{3}, 3));
  CHECK_FALSE(leases.known(node_id{3}, 99));
  leases.renew(node_id{5}, 5, t0 - 100ms);
  leases.gone(node_id{5}, 5);               // its process died while we followed
  CHECK_FALSE(leases.holds(node_id{5}, t0));
  leases.take_over(t0, 300ms);
  auto now = leases.lapsed(t0);
  REQUIRE(now.size() == 1);
  CHECK(now[0] == std::make_pair(node_id{5}, uint64_t{5}));
  // Broker 2 got the grace: 300 ms from the take-over, not 100 ms.
  CHECK(leases.lapsed(t0 + 250ms).empty());
  auto later = leases.lapsed(t0 + 350ms);
  REQUIRE(later.size() == 1);
  CHECK(later[0].first == node_id{2});
  // Brokers 1 and 3 keep their own times: 600 ms after what was heard.
  CHECK(leases.lapsed(t0 + 450ms).empty());
  CHECK(leases.lapsed(t0 + 550ms).size() == 1);  // 3: heard at t0 - 100 ms
  CHECK(leases.lapsed(t0 + 650ms).size() == 1);  // 1
  // A renewal (a new process of broker 5) clears gone.
  leases.renew(node_id{5}, 6, t0 + 700ms);
  CHECK(leases.holds(node_id{5}, t0 + 700ms));
}
