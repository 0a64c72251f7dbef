// The benchmarks' latency histogram (exact below 256 µs, log-linear above) and the recorder
// that splits it into seconds and a run.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "runtime/metrics/latency_histogram.hpp"
#include "runtime/metrics/latency_recorder.hpp"

using namespace cafka::metrics;

TEST_CASE("an empty latency histogram reports zeros and no records", "[metrics]") {
  latency_histogram h;
  CHECK(h.count() == 0);
  CHECK(h.max() == 0);
  CHECK(h.mean() == 0.0);
  CHECK(h.value_at(0.5) == 0);
  CHECK(describe_percentiles(h) == "no records");
}

TEST_CASE("latencies below 256 us come back exactly, at the rank asked for", "[metrics]") {
  latency_histogram h;
  for (int64_t us = 1; us <= 200; ++us)
    h.record(us);
  CHECK(h.count() == 200);
  CHECK(h.max() == 200);
  CHECK(h.mean() == Approx(100.5));
  CHECK(h.value_at(0.0) == 1);
  CHECK(h.value_at(0.5) == 100);
  CHECK(h.value_at(0.99) == 198);
  CHECK(h.value_at(0.999) == 200);
  CHECK(h.value_at(1.0) == 200);
}

TEST_CASE("a latency above 256 us reads as its bucket's highest value, capped at the max",
          "[metrics]") {
  latency_histogram h;
  h.record(500);  // bucket [500, 501]
  h.record(1000); // bucket [1000, 1003]
  h.record(100000);  // bucket [99840, 100351]
  CHECK(h.value_at(0.2) == 501);
  CHECK(h.value_at(0.5) == 1003);
  CHECK(h.value_at(1.0) == 100000);  // the bucket's top is 100351: the max caps it
  CHECK(h.max() == 100000);
}

TEST_CASE("every latency histogram value is within 0.8% above the recorded one",
          "[metrics]") {
  for (int64_t us : std::vector<int64_t>{256, 257, 1023, 1024, 65535, 123457, 9876543,
                                         int64_t{1} << 39}) {
    latency_histogram h;
    h.record(us);
    h.record(latency_histogram::max_trackable_us);  // so the max does not cap the bucket
    auto v = h.value_at(0.5);
    CHECK(v >= us);
    CHECK(static_cast<double>(v - us) <= static_cast<double>(us) / 128);
  }
}

TEST_CASE("negative latencies count as 0 and huge ones keep their exact max", "[metrics]") {
  latency_histogram h;
  h.record(-5);
  h.record(latency_histogram::max_trackable_us * 4);
  CHECK(h.value_at(0.5) == 0);
  CHECK(h.max() == latency_histogram::max_trackable_us * 4);
  CHECK(h.value_at(1.0) >= latency_histogram::max_trackable_us);
}

TEST_CASE("merging latency histograms adds their counts, reset empties one", "[metrics]") {
  latency_histogram a;
  latency_histogram b;
  a.record(10);
  a.record(20);
  b.record(30);
  b.record(40);
  a.merge(b);
  CHECK(a.count() == 4);
  CHECK(a.max() == 40);
  CHECK(a.value_at(0.5) == 20);
  CHECK(a.value_at(0.75) == 30);
  CHECK(describe_percentiles(a) == "p50 0.020 ms, p99 0.040 ms, p99.9 0.040 ms, max 0.040 ms");
  a.reset();
  CHECK(a.count() == 0);
  CHECK(a.value_at(0.5) == 0);
}

TEST_CASE("the latency recorder gives each interval its own records and the run the counted "
          "ones", "[metrics]") {
  latency_recorder rec{"acked", 100};
  rec.record(5, false);  // warm-up: in the interval, not in the run
  rec.record(7);
  auto first = rec.take_interval();
  CHECK(first.count() == 2);
  CHECK(first.value_at(0.0) == 5);
  rec.record(9);
  auto second = rec.take_interval();
  CHECK(second.count() == 1);
  CHECK(second.max() == 9);
  CHECK(rec.take_interval().count() == 0);
  CHECK(rec.recorded() == 3);
  auto total = rec.total();
  CHECK(total.count() == 2);
  CHECK(total.value_at(0.0) == 7);
  CHECK(total.max() == 9);
}

TEST_CASE("the latency recorder counts records from several threads at once", "[metrics]") {
  latency_recorder rec{"received", 16};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&rec, t] {
      for (int i = 0; i < 10000; ++i)
        rec.record(t * 100 + i % 100);
    });
  for (auto& th : threads)
    th.join();
  CHECK(rec.recorded() == 40000);
  CHECK(rec.total().count() == 40000);
  CHECK(rec.total().max() == 399);
  CHECK(rec.take_interval().count() == 40000);
}
