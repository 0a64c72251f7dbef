// The node's throttle on catch-up traffic of replicas a move adds.
#include <catch2/catch.hpp>

#include "runtime/replication/replication_throttle.hpp"

using namespace cafka;

TEST_CASE("the replication throttle spaces fetches so that their bytes average the rate",
          "[replication][reassignment]") {
  replication_throttle t;
  CHECK(t.wait_ms(0) == 0);  // no limit
  t.charge(1 << 20, 0);
  CHECK(t.wait_ms(0) == 0);
  CHECK(t.fetch_max_bytes(8 << 20) == 8 << 20);
  t.set_rate(1000);  // 1000 B/s
  CHECK(t.fetch_max_bytes(8 << 20) == 500);
  CHECK(t.fetch_max_bytes(100) == 100);
  t.charge(500, 1000);
  CHECK(t.wait_ms(1000) == 500);
  CHECK(t.wait_ms(1400) == 100);
  CHECK(t.wait_ms(1500) == 0);
  // Two fetchers share the budget: the second one's bytes queue behind the first one's.
  t.charge(500, 1500);
  t.charge(500, 1500);
  CHECK(t.wait_ms(1500) == 1000);
  // Idle time is not saved up.
  CHECK(t.wait_ms(9000) == 0);
  t.charge(1, 9000);
  CHECK(t.wait_ms(9000) == 1);
  t.set_rate(0);
  CHECK(t.wait_ms(9000) == 0);
  t.set_rate(1);
  CHECK(t.fetch_max_bytes(100) == 1);
}
