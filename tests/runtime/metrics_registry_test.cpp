// metric_registry: name checks, the series cap, removal, callback series and concurrent
// updates, observed through snapshots.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/metrics/metric_registry.hpp"

using namespace cafka;
using namespace cafka::metrics;

namespace {

// The family of that name in a snapshot; fails the test when there is none.
const family_snapshot& family_named(const std::vector<family_snapshot>& snap,
                                    const std::string& name) {
  for (const auto& f : snap)
    if (f.name == name)
      return f;
  FAIL("no family " << name);
  throw std::logic_error{"unreachable"};
}

std::string context(const caf::error& err) {
  return errc_of(err) == errc::invalid_request ? context_of(err) : "not invalid_request";
}

} // namespace

TEST_CASE("metric and label names follow Prometheus' grammar", "[metrics]") {
  CHECK(valid_metric_name("cafka_produce_requests_total"));
  CHECK(valid_metric_name(":colon_first:ok"));
  CHECK(valid_metric_name("_x9"));
  CHECK_FALSE(valid_metric_name(""));
  CHECK_FALSE(valid_metric_name("9lives"));
  CHECK_FALSE(valid_metric_name("has-dash"));
  CHECK_FALSE(valid_metric_name("has space"));
  CHECK(valid_label_name("topic"));
  CHECK(valid_label_name("_private"));
  CHECK_FALSE(valid_label_name("__reserved"));
  CHECK_FALSE(valid_label_name("with:colon"));
  CHECK_FALSE(valid_label_name("0partition"));
  CHECK_FALSE(valid_label_name(""));
}

TEST_CASE("families with bad names, labels or bounds are refused with invalid_request",
          "[metrics]") {
  metric_registry reg;
  CHECK(context(reg.add_gauge("bad-name", "h", {}, 1).error())
        == "metric name 'bad-name' is not [a-zA-Z_:][a-zA-Z0-9_:]*");
  CHECK(context(reg.add_counter("requests", "h", {}, 1).error())
        == "counter name 'requests' does not end in _total");
  CHECK(context(reg.add_gauge("g", "h", {"__name"}, 1).error())
        == "label name '__name' of metric 'g' is not [a-zA-Z_][a-zA-Z0-9_]* without a __ "
           "prefix");
  CHECK(context(reg.add_gauge("g", "h", {"a:b"}, 1).error())
        == "label name 'a:b' of metric 'g' is not [a-zA-Z_][a-zA-Z0-9_]* without a __ prefix");
  CHECK(context(reg.add_gauge("g", "h", {"topic", "topic"}, 1).error())
        == "label name 'topic' repeats in metric 'g'");
  CHECK(context(reg.add_histogram("h", "h", {"le"}, {1}, 1).error())
        == "histogram 'h' may not have a label named le");
  CHECK(context(reg.add_histogram("h", "h", {}, {1, 1}, 1).error())
        == "histogram 'h' bucket bounds do not increase");
  CHECK(context(reg.add_histogram("h", "h", {}, {1, INFINITY}, 1).error())
        == "histogram 'h' has a bucket bound that is not finite");
  CHECK(context(reg.add_histogram("h", "h", {}, {NAN}, 1).error())
        == "histogram 'h' has a bucket bound that is not finite");
  // Nothing refused was added: only the registry's own counter is there.
  auto snap = reg.snapshot();
  REQUIRE(snap.size() == 1);
  CHECK(snap[0].name == dropped_series_metric);
}

TEST_CASE("a name is refused when it or a histogram's sample names are taken", "[metrics]") {
  metric_registry reg;
  REQUIRE(reg.add_histogram("latency_seconds", "h", {}, {1}, 1));
  CHECK(context(reg.add_gauge("latency_seconds", "h", {}, 1).error())
        == "metric name 'latency_seconds' is taken");
  CHECK(context(reg.add_gauge("latency_seconds_count", "h", {}, 1).error())
        == "metric name 'latency_seconds_count' is taken");
  REQUIRE(reg.add_gauge("depth_sum", "h", {}, 1));
  CHECK(context(reg.add_histogram("depth", "h", {}, {1}, 1).error())
        == "metric name 'depth_sum' is taken");
  CHECK(context(reg.add_counter(dropped_series_metric, "h", {}, 1).error())
        == "metric name 'cafka_metrics_dropped_series_total' is taken");
}

TEST_CASE("a lookup with the wrong number of label values is an error", "[metrics]") {
  metric_registry reg;
  auto fam = reg.add_counter("bytes_total", "h", {"topic", "partition"}, 10);
  REQUIRE(fam);
  CHECK(context(fam->with({"orders"}).error()) == "metric 'bytes_total' has 2 label names, not 1");
  CHECK(context(fam->with_callback({}, [] { return 1.0; }))
        == "metric 'bytes_total' has 2 label names, not 0");
  CHECK(context(fam->with_callback({"a", "0"}, nullptr))
        == "a null callback for metric 'bytes_total'");
  CHECK(context(counter_family{}.with({}).error())
        == "a metric family handle that refers to no family");
  CHECK(fam->size() == 0);
}

TEST_CASE("the same label values give the same series", "[metrics]") {
  metric_registry reg;
  auto fam = reg.add_counter("records_total", "h", {"topic"}, 10);
  REQUIRE(fam);
  auto a = *fam->with({"orders"});
  auto b = *fam->with({"orders"});
  a.inc();
  b.inc(4);
  CHECK(a.value() == 5);
  CHECK(fam->size() == 1);
  auto snap = family_named(reg.snapshot(), "records_total");
  REQUIRE(snap.series.size() == 1);
  CHECK(snap.series[0].label_values == std::vector<std::string>{"orders"});
  CHECK(snap.series[0].value == 5);
}

TEST_CASE("beyond the cap a series updates nothing and the registry counts the drop",
          "[metrics]") {
  metric_registry reg;
  auto fam = reg.add_gauge("end_offset", "h", {"partition"}, 2);
  REQUIRE(fam);
  fam->with({"0"})->set(10);
  fam->with({"1"})->set(11);
  CHECK(reg.dropped_series() == 0);
  auto dropped = *fam->with({"2"});
  dropped.set(12);
  CHECK(dropped.value() == 0);
  CHECK(reg.dropped_series() == 1);
  CHECK(fam->with_callback({"3"}, [] { return 13.0; }) == caf::error{});
  CHECK(reg.dropped_series() == 2);
  // Existing series are still found at the cap.
  fam->with({"1"})->add(1);
  auto snap = reg.snapshot();
  auto& g = family_named(snap, "end_offset");
  REQUIRE(g.series.size() == 2);
  CHECK(g.series[0].value == 10);
  CHECK(g.series[1].value == 12);
  CHECK(family_named(snap, dropped_series_metric).series.at(0).value == 2);
}

TEST_CASE("a family capped at zero series drops them all", "[metrics]") {
  metric_registry reg;
  auto fam = reg.add_counter("partition_bytes_total", "h", {"partition"}, 0);
  REQUIRE(fam);
  fam->with({"0"})->inc();
  CHECK(fam->size() == 0);
  CHECK(reg.dropped_series() == 1);
}

TEST_CASE("a removed series disappears, its handles update nothing and its slot is free",
          "[metrics]") {
  metric_registry reg;
  auto fam = reg.add_gauge("high_watermark", "h", {"topic", "partition"}, 1);
  REQUIRE(fam);
  auto moved = *fam->with({"orders", "0"});
  moved.set(7);
  CHECK(fam->remove({"orders", "0"}));
  CHECK_FALSE(fam->remove({"orders", "0"}));
  moved.set(8); // writes to the detached cell only
  CHECK(family_named(reg.snapshot(), "high_watermark").series.empty());
  // The cap counts the series there are: a new one fits again, and starts from zero.
  auto back = *fam->with({"orders", "0"});
  CHECK(back.value() == 0);
  CHECK(reg.dropped_series() == 0);
  CHECK(fam->size() == 1);
}

TEST_CASE("a callback series is read at snapshot time and can be replaced or removed",
          "[metrics]") {
  metric_registry reg;
  auto fam = reg.add_gauge("log_end_offset", "h", {"partition"}, 4);
  REQUIRE(fam);
  std::atomic<int64_t> end{3};
  REQUIRE(fam->with_callback({"0"}, [&] { return static_cast<double>(end.load()); })
          == caf::error{});
  CHECK(family_named(reg.snapshot(), "log_end_offset").series.at(0).value == 3);
  end = 42;
  CHECK(family_named(reg.snapshot(), "log_end_offset").series.at(0).value == 42);
  // A handle on a callback series' values updates nothing.
  fam->with({"0"})->set(5);
  CHECK(family_named(reg.snapshot(), "log_end_offset").series.at(0).value == 42);
  // Replacing a plain series by a callback one detaches the plain series' handles.
  auto plain = *fam->with({"1"});
  plain.set(1);
  REQUIRE(fam->with_callback({"1"}, [] { return 9.0; }) == caf::error{});
  plain.set(2);
  CHECK(family_named(reg.snapshot(), "log_end_offset").series.at(1).value == 9);
  CHECK(fam->remove({"0"}));
  CHECK(family_named(reg.snapshot(), "log_end_offset").series.size() == 1);
}

TEST_CASE("a callback may use the registry: it runs without the registry's mutex",
          "[metrics]") {
  metric_registry reg;
  auto fam = reg.add_counter("callbacks_total", "h", {}, 1);
  REQUIRE(fam);
  REQUIRE(fam->with_callback({}, [&] { return static_cast<double>(fam->size()); })
          == caf::error{});
  CHECK(family_named(reg.snapshot(), "callbacks_total").series.at(0).value == 1);
}

TEST_CASE("histogram observations land in the first bucket whose bound is >= them",
          "[metrics]") {
  metric_registry reg;
  auto fam = reg.add_histogram("request_seconds", "h", {"api"}, {0.1, 1}, 4);
  REQUIRE(fam);
  auto h = *fam->with({"produce"});
  for (double x : {0.05, 0.1, 0.5, 1.0, 2.0, 3.5})
    h.observe(x);
  auto s = family_named(reg.snapshot(), "request_seconds").series.at(0);
  CHECK(s.cumulative == std::vector<uint64_t>{2, 4, 6});
  CHECK(s.sum == Approx(7.15));
  h.observe(NAN);
  s = family_named(reg.snapshot(), "request_seconds").series.at(0);
  CHECK(s.cumulative == std::vector<uint64_t>{2, 4, 7});
  CHECK(std::isnan(s.sum));
}

TEST_CASE("concurrent increments of one counter from several threads all count",
          "[metrics]") {
  metric_registry reg;
  auto fam = reg.add_counter("concurrent_total", "h", {"t"}, 100);
  REQUIRE(fam);
  constexpr int threads = 4;
  constexpr int per_thread = 100000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      // Every thread looks the series up itself, racing the others to create it, and also
      // creates a series of its own and takes snapshots meanwhile.
      auto c = *fam->with({"shared"});
      auto own = *fam->with({std::to_string(t)});
      for (int i = 0; i < per_thread; ++i) {
        c.inc();
        own.inc(2);
        if (i % 20000 == 0)
          static_cast<void>(reg.snapshot());
      }
    });
  for (auto& w : workers)
    w.join();
  auto snap = family_named(reg.snapshot(), "concurrent_total");
  REQUIRE(snap.series.size() == threads + 1);
  CHECK(snap.series.back().label_values == std::vector<std::string>{"shared"});
  CHECK(snap.series.back().value == threads * per_thread);
  for (int t = 0; t < threads; ++t)
    CHECK(snap.series[t].value == 2 * per_thread);
}

TEST_CASE("family and series handles stay usable after their registry is gone", "[metrics]") {
  counter_family fam;
  counter c;
  {
    metric_registry reg;
    fam = *reg.add_counter("outlived_total", "h", {"x"}, 2);
    c = *fam.with({"a"});
  }
  c.inc(3);
  CHECK(c.value() == 3);
  REQUIRE(fam.with({"b"}));
  CHECK(fam.size() == 2);
  CHECK(fam.remove({"a"}));
}
