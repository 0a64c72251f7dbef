// The text exposition format: exact text of rendered registries and snapshots, escaping and
// value formatting.
#include <catch2/catch.hpp>

#include <cmath>

#include "runtime/metrics/exposition.hpp"
#include "runtime/metrics/metric_registry.hpp"

using namespace cafka::metrics;

namespace {

// What every registry renders for its own dropped-series counter when nothing was dropped.
const std::string dropped_none
  = "# HELP cafka_metrics_dropped_series_total Series not created because their family had "
    "its cap of series.\n"
    "# TYPE cafka_metrics_dropped_series_total counter\n"
    "cafka_metrics_dropped_series_total 0\n";

} // namespace

TEST_CASE("values render as Go's ParseFloat reads them", "[metrics]") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(-0.0) == "0");
  CHECK(format_value(3) == "3");
  CHECK(format_value(-17) == "-17");
  CHECK(format_value(1234567890123) == "1234567890123");
  CHECK(format_value(0.25) == "0.25");
  CHECK(format_value(0.1) == "0.1");
  CHECK(format_value(-2.5) == "-2.5");
  CHECK(format_value(1e21) == "1e+21");
  CHECK(format_value(1.5e-7) == "1.5e-07");
  CHECK(format_value(INFINITY) == "+Inf");
  CHECK(format_value(-INFINITY) == "-Inf");
  CHECK(format_value(NAN) == "NaN");
  // The shortest text that reads back as the same double.
  CHECK(std::stod(format_value(0.1 + 0.2)) == 0.1 + 0.2);
  CHECK(format_value(0.1 + 0.2) == "0.30000000000000004");
}

TEST_CASE("label values escape backslash, double quote and line feed, help escapes "
          "backslash and line feed",
          "[metrics]") {
  CHECK(escape_label_value("plain") == "plain");
  CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(escape_label_value("tab\tstays") == "tab\tstays");
  CHECK(escape_help("a\\b\"c\nd") == "a\\\\b\"c\\nd");
}

TEST_CASE("an empty registry renders only its dropped-series counter", "[metrics]") {
  metric_registry reg;
  CHECK(render(reg) == dropped_none);
}

TEST_CASE("counters and gauges render sorted by name, series ordered by label values",
          "[metrics]") {
  metric_registry reg;
  auto bytes = reg.add_counter("cafka_bytes_in_total", "Bytes produced.", {"topic", "partition"},
                               10);
  auto up = reg.add_gauge("cafka_broker_up", "Whether the broker runs.", {}, 1);
  REQUIRE(bytes);
  REQUIRE(up);
  bytes->with({"orders", "1"})->inc(300);
  bytes->with({"orders", "0"})->inc(120);
  bytes->with({"audit", "0"})->inc();
  up->with({})->set(1);
  CHECK(render(reg)
        == "# HELP cafka_broker_up Whether the broker runs.\n"
           "# TYPE cafka_broker_up gauge\n"
           "cafka_broker_up 1\n"
           "# HELP cafka_bytes_in_total Bytes produced.\n"
           "# TYPE cafka_bytes_in_total counter\n"
           "cafka_bytes_in_total{topic=\"audit\",partition=\"0\"} 1\n"
           "cafka_bytes_in_total{topic=\"orders\",partition=\"0\"} 120\n"
           "cafka_bytes_in_total{topic=\"orders\",partition=\"1\"} 300\n"
           + dropped_none);
}

TEST_CASE("a family without series renders its HELP and TYPE lines only, empty help no "
          "HELP line",
          "[metrics]") {
  metric_registry reg;
  REQUIRE(reg.add_gauge("a_gauge", "", {"x"}, 1));
  REQUIRE(reg.add_counter("b_total", "Nothing yet.", {}, 1));
  CHECK(render(reg)
        == "# TYPE a_gauge gauge\n"
           "# HELP b_total Nothing yet.\n"
           "# TYPE b_total counter\n"
           + dropped_none);
}

TEST_CASE("histograms render cumulative buckets with le last, +Inf, then _sum and _count",
          "[metrics]") {
  metric_registry reg;
  auto lat = reg.add_histogram("cafka_request_seconds", "Request latency.", {"api"},
                               {0.005, 0.1, 1}, 4);
  REQUIRE(lat);
  auto produce = *lat->with({"produce"});
  for (double x : {0.001, 0.005, 0.05, 0.5, 7.0})
    produce.observe(x);
  REQUIRE(lat->with({"fetch"}));
  CHECK(render(reg)
        == dropped_none
           + "# HELP cafka_request_seconds Request latency.\n"
             "# TYPE cafka_request_seconds histogram\n"
             "cafka_request_seconds_bucket{api=\"fetch\",le=\"0.005\"} 0\n"
             "cafka_request_seconds_bucket{api=\"fetch\",le=\"0.1\"} 0\n"
             "cafka_request_seconds_bucket{api=\"fetch\",le=\"1\"} 0\n"
             "cafka_request_seconds_bucket{api=\"fetch\",le=\"+Inf\"} 0\n"
             "cafka_request_seconds_sum{api=\"fetch\"} 0\n"
             "cafka_request_seconds_count{api=\"fetch\"} 0\n"
             "cafka_request_seconds_bucket{api=\"produce\",le=\"0.005\"} 2\n"
             "cafka_request_seconds_bucket{api=\"produce\",le=\"0.1\"} 3\n"
             "cafka_request_seconds_bucket{api=\"produce\",le=\"1\"} 4\n"
             "cafka_request_seconds_bucket{api=\"produce\",le=\"+Inf\"} 5\n"
             "cafka_request_seconds_sum{api=\"produce\"} 7.556\n"
             "cafka_request_seconds_count{api=\"produce\"} 5\n");
}

TEST_CASE("a histogram without labels has le as its only label", "[metrics]") {
  metric_registry reg;
  auto h = reg.add_histogram("batch_records", "Records per batch.", {}, {10}, 1);
  REQUIRE(h);
  h->with({})->observe(4);
  h->with({})->observe(40);
  CHECK(render(reg)
        == "# HELP batch_records Records per batch.\n"
           "# TYPE batch_records histogram\n"
           "batch_records_bucket{le=\"10\"} 1\n"
           "batch_records_bucket{le=\"+Inf\"} 2\n"
           "batch_records_sum 44\n"
           "batch_records_count 2\n"
           + dropped_none);
}

TEST_CASE("label values and help text are escaped in the rendered text", "[metrics]") {
  metric_registry reg;
  auto g = reg.add_gauge("odd", "Back\\slash and\nnew line, \"quoted\".", {"path"}, 4);
  REQUIRE(g);
  g->with({"C:\\dir \"x\"\nnext"})->set(2);
  CHECK(render(reg)
        == dropped_none
           + "# HELP odd Back\\\\slash and\\nnew line, \"quoted\".\n"
             "# TYPE odd gauge\n"
             "odd{path=\"C:\\\\dir \\\"x\\\"\\nnext\"} 2\n");
}

TEST_CASE("special float values render as +Inf, -Inf and NaN", "[metrics]") {
  metric_registry reg;
  auto g = reg.add_gauge("special", "h", {"v"}, 4);
  REQUIRE(g);
  g->with({"inf"})->set(INFINITY);
  g->with({"minus_inf"})->set(-INFINITY);
  g->with({"nan"})->set(NAN);
  g->with({"small"})->set(-0.125);
  CHECK(render(reg)
        == dropped_none
           + "# HELP special h\n"
             "# TYPE special gauge\n"
             "special{v=\"inf\"} +Inf\n"
             "special{v=\"minus_inf\"} -Inf\n"
             "special{v=\"nan\"} NaN\n"
             "special{v=\"small\"} -0.125\n");
}

TEST_CASE("rendered text shows the cap's drops, removals and callback values", "[metrics]") {
  metric_registry reg;
  auto isr = reg.add_gauge("isr_size", "h", {"partition"}, 2);
  REQUIRE(isr);
  isr->with({"0"})->set(3);
  isr->with({"1"})->set(2);
  isr->with({"2"})->set(1); // over the cap: dropped
  int64_t end = 99;
  REQUIRE(isr->with_callback({"1"}, [&] { return static_cast<double>(end); }) == caf::error{});
  end = 100;
  CHECK(render(reg)
        == "# HELP cafka_metrics_dropped_series_total Series not created because their family "
           "had its cap of series.\n"
           "# TYPE cafka_metrics_dropped_series_total counter\n"
           "cafka_metrics_dropped_series_total 1\n"
           "# HELP isr_size h\n"
           "# TYPE isr_size gauge\n"
           "isr_size{partition=\"0\"} 3\n"
           "isr_size{partition=\"1\"} 100\n");
  CHECK(isr->remove({"0"}));
  CHECK(render(reg).find("isr_size{partition=\"0\"}") == std::string::npos);
  CHECK(render(reg).find("isr_size{partition=\"1\"} 100\n") != std::string::npos);
}

TEST_CASE("render orders families given out of order by name", "[metrics]") {
  std::vector<family_snapshot> families(2);
  families[0].name = "zeta";
  families[0].kind = metric_kind::gauge;
  families[0].series.push_back(series_snapshot{{}, 1.5, {}, 0});
  families[1].name = "alpha";
  families[1].kind = metric_kind::counter;
  CHECK(render(families)
        == "# TYPE alpha counter\n"
           "# TYPE zeta gauge\n"
           "zeta 1.5\n");
  CHECK(std::string{exposition_content_type} == "text/plain; version=0.0.4; charset=utf-8");
}
