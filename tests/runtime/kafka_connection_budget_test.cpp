// The node's connection budget: connection slots per node and per address, and the request
// and answer bytes whose release wakes the connections that waited and now fit.
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "runtime/base/open_files.hpp"
#include "runtime/kafka/budget_grant.hpp"
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
  auto wake = std::make_shared<const connection_budget::waker>([&] { ++woken; });
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
  auto none = std::make_shared<const connection_budget::waker>([] {});
  CHECK(b.reserve("a", 80, none));
  CHECK_FALSE(b.reserve("b", 80, none));
  CHECK(b.reserve("b", 20, none));
}

TEST_CASE("a release wakes only the waiters that fit, in the order they waited", "[kafka]") {
  connection_budget b{10, 10, 200, 100};
  std::vector<std::string> woken;
  auto waker_of = [&](std::string name) {
    return std::make_shared<const connection_budget::waker>(
      [&woken, name] { woken.push_back(name); });
  };
  auto big = waker_of("big");
  auto small1 = waker_of("small1");
  auto small2 = waker_of("small2");
  CHECK(b.reserve("a", 100, big));
  CHECK(b.reserve("b", 100, big));
  CHECK_FALSE(b.reserve("c", 90, big));
  CHECK_FALSE(b.reserve("d", 10, small1));
  CHECK_FALSE(b.reserve("e", 20, small2));
  b.release("a", 30);  // room for 30: the two small ones, not the big one
  CHECK(woken == std::vector<std::string>{"small1", "small2"});
  CHECK(b.reserve("d", 10, small1));
  CHECK(b.reserve("e", 20, small2));
  b.release("b", 100);
  CHECK(woken == std::vector<std::string>{"small1", "small2", "big"});
}

TEST_CASE("held answer bytes go over the shares and keep reservations out until released",
          "[kafka]") {
  connection_budget b{10, 10, 200, 100};
  int woken = 0;
  auto wake = std::make_shared<const connection_budget::waker>([&] { ++woken; });
  b.hold("a", 150);  // over a's share of 100
  CHECK(b.reserved_bytes() == 150);
  CHECK_FALSE(b.reserve("a", 1, wake));
  CHECK(b.reserve("b", 50, wake));
  b.hold("b", 100);  // over the node's 200
  CHECK(b.reserved_bytes() == 300);
  CHECK_FALSE(b.reserve("c", 1, wake));
  b.release("a", 100);  // the node holds 200 still: nobody fits
  CHECK(woken == 0);
  b.release("b", 150);
  CHECK(woken == 2);
  CHECK(b.reserve("a", 50, wake));
  CHECK(b.reserve("c", 50, wake));
  CHECK(b.reserved_bytes() == 150);
}

TEST_CASE("a waiter whose owner dropped its waker is forgotten", "[kafka]") {
  connection_budget b{10, 10, 100, 100};
  int woken = 0;
  auto gone = std::make_shared<const connection_budget::waker>([&] { ++woken; });
  CHECK(b.reserve("a", 100, gone));
  CHECK_FALSE(b.reserve("b", 10, gone));
  gone.reset();
  b.release("a", 100);
  CHECK(woken == 0);
}

TEST_CASE("Kafka connections leave a reserve of open files", "[kafka]") {
  CHECK(connections_within(10000, 20000) == 10000);
  CHECK(connections_within(10000, 12000) == 9000);
  CHECK(connections_within(10000, 1024) == 768);
  CHECK(connections_within(10000, 200) == 1);
  CHECK(connections_within(5, 1024) == 5);
  CHECK(raise_open_file_limit() > 0);
}

TEST_CASE("a fetch's grant takes what is left, gives it back, and takes anew", "[kafka]") {
  auto b = std::make_shared<connection_budget>(10, 10, 200, 100);  // an address: 100 bytes
  auto none = std::make_shared<const connection_budget::waker>([] {});
  CHECK(b->reserve("a", 30, none));
  {
    budget_grant g{b, "a"};
    CHECK(g.take_up_to(500) == 70);  // the rest of a's half
    CHECK(b->reserved_bytes() == 100);
    CHECK(g.take_up_to(20) == 20);  // gives back the 70 first
    CHECK(b->reserved_bytes() == 50);
    budget_grant other{b, "b"};
    CHECK(other.take_up_to(100) == 100);
    b->hold("b", 80);  // with g's 20 given back the node holds 210 of its 200
    CHECK(g.take_up_to(10) == 0);
    g.release();
    CHECK(g.bytes() == 0);
    CHECK(g.take_up_to(10) == 0);
    other.release();
    b->release("b", 80);
    CHECK(g.take_up_to(10) == 10);
  }  // the grant ends: its bytes go back
  CHECK(b->reserved_bytes() == 30);
  budget_grant unlimited{nullptr, "a"};
  CHECK(unlimited.take_up_to(1 << 30) == size_t{1} << 30);
}
