// Broker leases: renew, lapse once, reset by a new controller.
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
  leases.reset_all(t0 + 2s);
  CHECK(leases.lapsed(t0 + 2400ms).empty());
  CHECK(leases.lapsed(t0 + 2600ms).size() == 2);
  leases.drop(node_id{1});
  CHECK_FALSE(leases.holds(node_id{1}, t0 + 2600ms));
}
