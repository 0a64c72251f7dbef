// The node's connection budget: connection slots per node and per address, and the request
// byte reservations whose release wakes the connections that waited.
#include <catch2/catch.hpp>

#include "runtime/base/open_files.hpp"
#include "runtime/kafka/connection_budget.hpp"

using namespace cafka;
using refusal = connection_budget::refusal;

TEST_CASE("a connection budget caps connections per address and per node", "[kafka]") {
  connection_budget b{3, 2, 1024, 1024};
  CHECK(b.open("10.0.0.1") == refusal::none);
  CHECK(b.open("10.0.0.1") == refusal::none);
  CHECK(b.open("10.0.0.1") == refusal::address_full);
  CHECK(b.open("10.0.0.2") == refusal::none);
  CHECK(b.open("10.0.0.3") == refusal::node_full);
  CHECK(b.open_connections() == 3);
  b.close("10.0.0.1");
  CHECK(b.open_connections() == 2);
  CHECK(b.open("10.0.0.3") == refusal::none);
  CHECK(b.open("10.0.0.1") == refusal::node_full);
  b.close("10.0.0.2");
  CHECK(b.open("10.0.0.1") == refusal::none);
  b.close("10.0.0.3");
  CHECK(b.open("10.0.0.1") == refusal::address_full);
  CHECK(b.open_connections() == 2);
}

TEST_CASE("request bytes that do not fit wait for a release", "[kafka]") {
  connection_budget b{10, 10, 200, 100};  // an address may hold 100 bytes
  int woken = 0;
  auto wake = [&] { ++woken; };
  CHECK(b.reserve("a", 60, wake));
  CHECK(b.reserve("a", 40, wake));
  CHECK_FALSE(b.reserve("a", 1, wake));  // a's share is used up
  CHECK(b.reserve("b", 100, wake));
  CHECK(b.reserved_bytes() == 200);
  CHECK_FALSE(b.reserve("c", 1, wake));  // the node's bytes are used up
  CHECK(woken == 0);
  b.release("a", 40);
  CHECK(woken == 2);  // each waiter once, then it asks again
  CHECK(b.reserved_bytes() == 160);
  CHECK_FALSE(b.reserve("b", 1, wake));
  CHECK(b.reserve("c", 40, wake));
  b.release("b", 100);
  CHECK(woken == 3);
  CHECK(b.reserve("a", 40, wake));
  CHECK(b.reserved_bytes() == 140);
  b.release("a", 100);
  b.release("c", 40);
  CHECK(b.reserved_bytes() == 0);
}

TEST_CASE("an address may always hold one frame of the largest size", "[kafka]") {
  connection_budget b{10, 10, 100, 80};  // half the node's bytes is less than a frame
  CHECK(b.reserve("a", 80, [] {}));
  CHECK_FALSE(b.reserve("b", 80, [] {}));
  CHECK(b.reserve("b", 20, [] {}));
}

TEST_CASE("Kafka connections leave a reserve of open files", "[kafka]") {
  CHECK(connections_within(10000, 20000) == 10000);
  CHECK(connections_within(10000, 12000) == 9000);
  CHECK(connections_within(10000, 1024) == 768);
  CHECK(connections_within(10000, 200) == 1);
  CHECK(connections_within(5, 1024) == 5);
  CHECK(raise_open_file_limit() > 0);
}
