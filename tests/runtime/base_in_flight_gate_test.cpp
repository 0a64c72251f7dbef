// The benchmarks' cap on records sent and not yet acknowledged.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "runtime/base/in_flight_gate.hpp"

using namespace cafka;

TEST_CASE("an in-flight gate lets limit acquires through and holds the next until a release",
          "[base]") {
  in_flight_gate gate{2};
  gate.acquire();
  gate.acquire();
  CHECK(gate.in_flight() == 2);
  std::atomic<bool> through{false};
  std::thread waiter{[&] {
    gate.acquire();
    through = true;
  }};
  // The waiter cannot pass before the release below (in_flight stays at the limit); after it,
  // it must pass: poll with a deadline.
  CHECK_FALSE(through.load());
  gate.release();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (!through && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  bool passed = through;
  if (!passed)
    gate.release();  // so that the join below returns
  waiter.join();
  CHECK(passed);
  CHECK(gate.in_flight() == 2);
}

TEST_CASE("an in-flight gate without a limit never waits and counts nothing", "[base]") {
  in_flight_gate gate{-1};
  for (int i = 0; i < 1000; ++i)
    gate.acquire();
  CHECK(gate.in_flight() == 0);
  gate.release();
  CHECK(gate.in_flight() == 0);
}
