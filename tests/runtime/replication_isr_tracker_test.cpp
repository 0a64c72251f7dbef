// The leader's ISR / high-watermark bookkeeping.
#include <catch2/catch.hpp>

#include "runtime/replication/isr_tracker.hpp"

using namespace cafka;
using namespace std::chrono_literals;

namespace {

const node_id n1{1};
const node_id n2{2};
const node_id n3{3};
const auto t0 = isr_tracker::clock::time_point{} + 100s;

} // namespace

TEST_CASE("the high watermark is what every ISR member has, and never moves back",
          "[replication]") {
  isr_tracker t{n1, {n1, n2, n3}, {n1, n2, n3}, log_offset{0}, log_offset{0}, t0};
  t.leader_appended(log_offset{10});
  CHECK(t.high_watermark() == log_offset{0});
  t.follower_fetched(n2, log_offset{10}, t0 + 1ms);
  CHECK(t.high_watermark() == log_offset{0}); // n3 has nothing yet
  t.follower_fetched(n3, log_offset{6}, t0 + 1ms);
  CHECK(t.high_watermark() == log_offset{6});
  t.follower_fetched(n3, log_offset{10}, t0 + 2ms);
  CHECK(t.high_watermark() == log_offset{10});
  // A shrunk ISR lets the watermark move on without the slow member.
  t.leader_appended(log_offset{20});
  t.follower_fetched(n2, log_offset{20}, t0 + 3ms);
  CHECK(t.high_watermark() == log_offset{10});
  t.set_isr({n1, n2});
  CHECK(t.high_watermark() == log_offset{20});
  // Growing the ISR again never lowers it.
  t.set_isr({n1, n2, n3});
  CHECK(t.high_watermark() == log_offset{20});
}

TEST_CASE("a follower behind for longer than the lag limit is lagging and a caught-up one may join",
          "[replication]") {
  isr_tracker t{n1, {n1, n2, n3}, {n1, n2, n3}, log_offset{0}, log_offset{0}, t0};
  t.leader_appended(log_offset{5});
  t.follower_fetched(n2, log_offset{5}, t0 + 10ms);
  t.follower_fetched(n3, log_offset{2}, t0 + 10ms);
  CHECK(t.lagging(t0 + 20ms, 100ms).empty());   // within the window
  auto late = t.lagging(t0 + 150ms, 100ms);
  REQUIRE(late == std::vector<node_id>{n3});    // n2 caught up at 10 ms
  t.set_isr({n1, n2});
  CHECK(t.caught_up().empty());                 // n3 has 2 of hw 5
  t.follower_fetched(n3, log_offset{5}, t0 + 200ms);
  CHECK(t.caught_up() == std::vector<node_id>{n3});
  CHECK(t.log_end(n3) == log_offset{5});
  CHECK(t.log_end(n1) == log_offset{5});
}

TEST_CASE("a single-replica partition's watermark follows its log end", "[replication]") {
  isr_tracker t{n1, {n1}, {n1}, log_offset{7}, log_offset{0}, t0};
  CHECK(t.high_watermark() == log_offset{7});
  t.leader_appended(log_offset{9});
  CHECK(t.high_watermark() == log_offset{9});
  CHECK(t.lagging(t0 + 1h, 10ms).empty());
}
