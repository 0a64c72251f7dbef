// A node's Prometheus metrics: families of counters, gauges and histograms, each a name, a
// help text and fixed label names, with one series per tuple of label values. One registry
// per node; series handles are updated from any actor thread, snapshots taken by the scraper.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace cafka::metrics {

enum class metric_kind : uint8_t { counter, gauge, histogram };

// "counter", "gauge" or "histogram": the type word of a TYPE line.
const char* to_string(metric_kind x);

// Prometheus' metric name grammar, [a-zA-Z_:][a-zA-Z0-9_:]*.
bool valid_metric_name(std::string_view name);

// Prometheus' label name grammar, [a-zA-Z_][a-zA-Z0-9_]*, without the reserved "__" prefix.
bool valid_label_name(std::string_view name);

// The counter every registry has: lookups of a new series that its family's cap refused.
inline constexpr const char* dropped_series_metric = "cafka_metrics_dropped_series_total";

// The values of one series at snapshot time.
struct series_snapshot {
  std::vector<std::string> label_values;  // in the order of the family's label names
  double value = 0;                       // counter and gauge
  // Histogram: how many observations were <= each bound, then the total (the +Inf bucket).
  std::vector<uint64_t> cumulative;
  double sum = 0;  // histogram: the sum of the observations
};

// One family at snapshot time.
// Invariant: series are ordered by label values; for a histogram every series' cumulative
// has bounds.size() + 1 non-decreasing entries.
struct family_snapshot {
  std::string name;
  std::string help;
  metric_kind kind = metric_kind::gauge;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histogram: the finite upper bounds, increasing
  std::vector<series_snapshot> series;
};

namespace detail {

struct counter_cell {
  std::atomic<uint64_t> value{0};
};

struct gauge_cell {
  std::atomic<double> value{0};
};

// Invariant: counts has bounds->size() + 1 entries; counts[i] holds the observations in
// (bounds[i-1], bounds[i]], the last one those above every bound and NaN.
struct histogram_cell {
  explicit histogram_cell(std::shared_ptr<const std::vector<double>> b);
  std::shared_ptr<const std::vector<double>> bounds;
  std::unique_ptr<std::atomic<uint64_t>[]> counts;
  std::atomic<double> sum{0};
};

struct family_state;
struct registry_state;

} // namespace detail

// A counter series: a whole number that only goes up (events, records, bytes). A default
// constructed counter, or one refused by its family's cap, counts into no series.
// Thread-safe: any thread, lock-free.
class counter {
public:
  counter() = default;
  void inc(uint64_t n = 1) {
    if (cell_)
      cell_->value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t value() const { return cell_ ? cell_->value.load(std::memory_order_relaxed) : 0; }

private:
  template <class> friend class family;
  std::shared_ptr<detail::counter_cell> cell_;
};

// A gauge series: a value that goes up and down. Default constructed or refused by the cap:
// no series. Thread-safe: any thread, lock-free.
class gauge {
public:
  gauge() = default;
  void set(double x) {
    if (cell_)
      cell_->value.store(x, std::memory_order_relaxed);
  }
  void add(double x);
  double value() const { return cell_ ? cell_->value.load(std::memory_order_relaxed) : 0; }

private:
  template <class> friend class family;
  std::shared_ptr<detail::gauge_cell> cell_;
};

// A histogram series: observations counted into the family's buckets, plus their sum.
// Default constructed or refused by the cap: no series. Thread-safe: any thread, lock-free.
class histogram {
public:
  histogram() = default;
  // Counts x into the first bucket whose bound is >= x (NaN: only the +Inf bucket).
  void observe(double x);

private:
  template <class> friend class family;
  std::shared_ptr<detail::histogram_cell> cell_;
};

// A handle on one family of a registry, Series one of counter, gauge, histogram. Copies share
// the family; it stays valid after the registry is gone (its series then render nowhere).
// Thread-safe: any thread; creating and removing series takes the registry's mutex.
template <class Series>
class family {
public:
  family() = default;

  // The series of these label values (as many as the family has label names), created on
  // first use. When the family already has its cap of series, a new tuple gets a handle that
  // updates no series and the registry's dropped-series counter counts the lookup. The
  // values of a callback series also give a handle that updates no series.
  // Errors: invalid_request when the number of values is wrong or the handle has no family.
  caf::expected<Series> with(const std::vector<std::string>& label_values) const;

  // A series whose value `read` returns at snapshot time, for values that live elsewhere
  // (an actor's state, an atomic). Replaces a series of the same values, whose handles then
  // update no series. Refused by the cap like with() (dropped, no error).
  // Requires: `read` may be called from any thread and returns quickly. It runs without the
  // registry's mutex held, so it may use the registry.
  // Errors: as with(); invalid_request for a null `read`.
  template <class S = Series>
  caf::error with_callback(const std::vector<std::string>& label_values,
                           std::function<double()> read) const {
    static_assert(!std::is_same<S, histogram>::value, "histograms have no callback series");
    return add_callback(label_values, std::move(read));
  }

  // Removes the series of these label values (a partition that moved away); its handles
  // then update no series. Returns whether there was one.
  bool remove(const std::vector<std::string>& label_values) const;

  // How many series the family has.
  size_t size() const;

private:
  friend class metric_registry;
  caf::error add_callback(const std::vector<std::string>& label_values,
                          std::function<double()> read) const;
  std::shared_ptr<detail::registry_state> registry_;
  std::shared_ptr<detail::family_state> state_;
};

using counter_family = family<counter>;
using gauge_family = family<gauge>;
using histogram_family = family<histogram>;

// The registry: creates families and takes snapshots of them all.
// Invariant: family names are unique, and so are the sample names they render (a histogram
// x renders x_bucket, x_sum and x_count); the dropped-series counter is always a family.
// Thread-safe: any thread; one mutex guards the families and their series maps, never the
// series' values.
class metric_registry {
public:
  metric_registry();
  metric_registry(const metric_registry&) = delete;
  metric_registry& operator=(const metric_registry&) = delete;

  // A counter family. `name` ends in "_total" (Prometheus' counter convention); `max_series`
  // caps its series (0: every series is dropped, e.g. per-partition series switched off).
  // Errors (invalid_request): a bad or taken name, a bad, reserved or repeated label name.
  caf::expected<counter_family> add_counter(std::string name, std::string help,
                                            std::vector<std::string> label_names,
                                            size_t max_series);

  // A gauge family; errors as add_counter, without the "_total" rule.
  caf::expected<gauge_family> add_gauge(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        size_t max_series);

  // A histogram family with the finite, strictly increasing upper bounds `bounds` (the +Inf
  // bucket is implicit). Errors as add_gauge, and for bad bounds or a label named "le".
  caf::expected<histogram_family> add_histogram(std::string name, std::string help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> bounds,
                                                size_t max_series);

  // How many series lookups the families' caps refused so far.
  uint64_t dropped_series() const;

  // Every family with the current values of its series, ordered by name. Callback series
  // are read after the mutex is released.
  std::vector<family_snapshot> snapshot() const;

private:
  template <class Series>
  caf::expected<family<Series>> add(metric_kind kind, std::string name, std::string help,
                                    std::vector<std::string> label_names,
                                    std::vector<double> bounds, size_t max_series);
  caf::error add_family(const std::shared_ptr<detail::family_state>& f);
  std::shared_ptr<detail::registry_state> state_;
};

} // namespace cafka::metrics
