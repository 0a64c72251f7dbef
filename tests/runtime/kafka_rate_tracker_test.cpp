// Tests of the byte rate a quota is measured by (runtime/kafka/rate_tracker): Kafka's sampled
// rate over 11 samples of 1 s, where a first burst is spread over 10 s, samples expire 11 s
// after they start, and bytes join the sample they fall into.
#include <catch2/catch.hpp>

#include "runtime/kafka/rate_tracker.hpp"

using cafka::kafka::rate_tracker;
using cafka::kafka::rate_window;

TEST_CASE("a first burst is divided by samples - 1 sample lengths", "[kafka][quota]") {
  rate_tracker t{rate_window{}};
  t.record(20000, 5000);
  CHECK(t.window_ms(5000) == 10000);
  CHECK(t.rate(5000) == 2000.0);
  // 4 s later the span still counts as 10 s.
  CHECK(t.window_ms(9000) == 10000);
  CHECK(t.rate(9000) == 2000.0);
}

TEST_CASE("once the samples cover more than 10 s, the rate divides by the time since the "
          "oldest started", "[kafka][quota]") {
  rate_tracker t{rate_window{}};
  for (int64_t at = 0; at <= 10000; at += 1000)
    t.record(1000, at);
  CHECK(t.window_ms(10000) == 10000);
  CHECK(t.rate(10000) == 1100.0);
  CHECK(t.window_ms(10500) == 10500);
  CHECK(t.rate(10500) == Approx(11000.0 / 10.5));
  // At 11 s the sample of 0 s expires: 10 samples from 1 s to 10 s, plus the new one.
  t.record(1000, 11000);
  CHECK(t.window_ms(11000) == 10000);
  CHECK(t.rate(11000) == 1100.0);
}

TEST_CASE("a sample counts until the window span after its start", "[kafka][quota]") {
  rate_tracker t{rate_window{}};
  t.record(5000, 0);
  CHECK(t.rate(10999) == Approx(5000.0 / 10.999));
  CHECK_FALSE(t.idle(10999));
  CHECK(t.rate(11000) == 0.0);
  CHECK(t.idle(11000));
  CHECK(t.window_ms(11000) == 10000);
}

TEST_CASE("bytes within a sample length of a sample's start join it and expire with it",
          "[kafka][quota]") {
  rate_tracker t{rate_window{}};
  t.record(100, 0);
  t.record(100, 999);   // the sample of 0
  t.record(100, 1000);  // a new sample
  CHECK(t.rate(10999) == Approx(300.0 / 10.999));
  CHECK(t.rate(11000) == Approx(100.0 / 10.0));
  CHECK(t.rate(12000) == 0.0);
}

TEST_CASE("a window of other sizes scales the same way", "[kafka][quota]") {
  rate_tracker t{rate_window{3, 500}};
  t.record(3000, 0);
  CHECK(t.window_ms(0) == 1000);
  CHECK(t.rate(0) == 3000.0);
  t.record(1500, 1200);
  CHECK(t.window_ms(1200) == 1200);
  CHECK(t.rate(1200) == Approx(4500.0 / 1.2));
  // At 1.5 s the sample of 0 expired: 0.3 s since the one of 1.2 s, plus 2 sample lengths.
  CHECK(t.window_ms(1500) == 1300);
  CHECK(t.rate(1500) == Approx(1500.0 / 1.3));
}
