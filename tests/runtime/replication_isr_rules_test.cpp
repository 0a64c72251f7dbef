// The ISR rules of isr_rules.hpp, one test each: high watermark, join, lag, acks=all.
#include <catch2/catch.hpp>

#include "runtime/replication/isr_rules.hpp"

using namespace cafka;

TEST_CASE("the high watermark is the lowest log end over the leader and the maximal ISR's "
          "followers and never moves back",
          "[replication]") {
  auto hw = next_high_watermark(log_offset{0}, log_offset{10}, {log_offset{10}, log_offset{6}});
  CHECK(hw == log_offset{6});
  // The leader's own log end bounds it.
  CHECK(next_high_watermark(log_offset{0}, log_offset{4}, {log_offset{9}}) == log_offset{4});
  // A lone leader: its log end.
  CHECK(next_high_watermark(log_offset{2}, log_offset{7}, {}) == log_offset{7});
  // A follower that restarted its fetches lower (a new epoch) does not pull it back.
  CHECK(next_high_watermark(log_offset{6}, log_offset{10}, {log_offset{0}}) == log_offset{6});
  // Adding a joining follower to the set can only hold it where it is.
  CHECK(next_high_watermark(log_offset{6}, log_offset{10}, {log_offset{10}, log_offset{3}})
        == log_offset{6});
}

TEST_CASE("a replica may join the ISR only at or beyond both the high watermark and the start "
          "of the leader's epoch",
          "[replication]") {
  CHECK(may_join_isr(log_offset{10}, log_offset{10}, log_offset{5}));
  CHECK(may_join_isr(log_offset{12}, log_offset{10}, log_offset{12}));
  // Behind the high watermark.
  CHECK_FALSE(may_join_isr(log_offset{9}, log_offset{10}, log_offset{0}));
  // At the high watermark, but the leader's epoch started later: the follower may still hold
  // another epoch's tail there (KAFKA-7128).
  CHECK_FALSE(may_join_isr(log_offset{10}, log_offset{10}, log_offset{11}));
}

TEST_CASE("an ISR follower lags only when it is behind the log end and was last caught up "
          "longer ago than the lag limit",
          "[replication]") {
  // Behind, caught up 150 ms ago, limit 100 ms.
  CHECK(is_lagging(log_offset{3}, 1000, log_offset{5}, 1150, 100));
  // Behind, but within the limit (exactly at it is not over it).
  CHECK_FALSE(is_lagging(log_offset{3}, 1000, log_offset{5}, 1100, 100));
  // At the log end: never lagging, however long ago it last fetched.
  CHECK_FALSE(is_lagging(log_offset{5}, 0, log_offset{5}, 100000, 100));
}

TEST_CASE("an acks=all write waits for the high watermark and is then acknowledged, or refused "
          "if the ISR shrank below min.insync.replicas",
          "[replication]") {
  CHECK(acks_all_verdict(log_offset{8}, log_offset{7}, 3, 2) == ack_verdict::wait);
  CHECK(acks_all_verdict(log_offset{8}, log_offset{8}, 3, 2) == ack_verdict::acknowledge);
  CHECK(acks_all_verdict(log_offset{8}, log_offset{9}, 2, 2) == ack_verdict::acknowledge);
  CHECK(acks_all_verdict(log_offset{8}, log_offset{9}, 1, 2) == ack_verdict::too_few_replicas);
  // Still below the high watermark: it waits, whatever the ISR size.
  CHECK(acks_all_verdict(log_offset{8}, log_offset{5}, 1, 2) == ack_verdict::wait);
}
