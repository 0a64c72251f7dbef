// The registry's families and series (see metric_registry.hpp). Series maps are guarded by
// the registry's mutex; series values are atomics updated without it.
#include "runtime/metrics/metric_registry.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "runtime/base/errc.hpp"

namespace cafka::metrics {

namespace detail {

// One series of a family: the cell of its kind, or a callback (then every cell is null).
struct series_entry {
  std::shared_ptr<counter_cell> counter;
  std::shared_ptr<gauge_cell> gauge;
  std::shared_ptr<histogram_cell> histogram;
  std::function<double()> read;
};

// Invariant: name, help, kind, label_names, bounds and max_series never change after the
// family is added; series (guarded by the registry's mutex) has at most max_series entries,
// each key as many values as label_names.
struct family_state {
  std::string name;
  std::string help;
  metric_kind kind = metric_kind::gauge;
  std::vector<std::string> label_names;
  std::shared_ptr<const std::vector<double>> bounds;
  size_t max_series = 0;
  std::map<std::vector<std::string>, series_entry> series;
};

struct registry_state {
  std::mutex mtx;
  std::map<std::string, std::shared_ptr<family_state>> families;  // by name
  std::set<std::string> sample_names;  // every name a family's samples use
  counter dropped;                     // lock-free, no mutex needed
};

histogram_cell::histogram_cell(std::shared_ptr<const std::vector<double>> b)
  : bounds(std::move(b)), counts(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds->size(); ++i)
    counts[i].store(0, std::memory_order_relaxed);
}

} // namespace detail

namespace {

using detail::family_state;
using detail::registry_state;
using detail::series_entry;

void atomic_add(std::atomic<double>& x, double d) {
  auto old = x.load(std::memory_order_relaxed);
  while (!x.compare_exchange_weak(old, old + d, std::memory_order_relaxed))
    ; // old now holds the current value: retry with it
}

bool name_char(char c, bool first, bool colon_ok) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
    return true;
  if (c == ':')
    return colon_ok;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon_ok) {
  if (name.empty())
    return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, colon_ok))
      return false;
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

caf::error invalid(std::string context) {
  return make_error(errc::invalid_request, std::move(context));
}

// The names of the sample lines a family renders.
std::vector<std::string> sample_names(const family_state& f) {
  if (f.kind != metric_kind::histogram)
    return {f.name};
  return {f.name, f.name + "_bucket", f.name + "_sum", f.name + "_count"};
}

caf::error check_family(const family_state& f) {
  if (!valid_metric_name(f.name))
    return invalid(fmt::format("metric name '{}' is not [a-zA-Z_:][a-zA-Z0-9_:]*", f.name));
  if (f.kind == metric_kind::counter && !ends_with(f.name, "_total"))
    return invalid(fmt::format("counter name '{}' does not end in _total", f.name));
  std::set<std::string_view> seen;
  for (const auto& label : f.label_names) {
    if (!valid_label_name(label))
      return invalid(fmt::format("label name '{}' of metric '{}' is not [a-zA-Z_][a-zA-Z0-9_]* "
                                 "without a __ prefix",
                                 label, f.name));
    if (f.kind == metric_kind::histogram && label == "le")
      return invalid(fmt::format("histogram '{}' may not have a label named le", f.name));
    if (!seen.insert(label).second)
      return invalid(fmt::format("label name '{}' repeats in metric '{}'", label, f.name));
  }
  const auto& b = *f.bounds;
  for (size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i]))
      return invalid(fmt::format("histogram '{}' has a bucket bound that is not finite", f.name));
    if (i > 0 && !(b[i - 1] < b[i]))
      return invalid(fmt::format("histogram '{}' bucket bounds do not increase", f.name));
  }
  return {};
}

std::shared_ptr<family_state> make_family(std::string name, std::string help, metric_kind kind,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds, size_t max_series) {
  auto f = std::make_shared<family_state>();
  f->name = std::move(name);
  f->help = std::move(help);
  f->kind = kind;
  f->label_names = std::move(label_names);
  f->bounds = std::make_shared<const std::vector<double>>(std::move(bounds));
  f->max_series = max_series;
  return f;
}

series_entry make_entry(const family_state& f) {
  series_entry e;
  switch (f.kind) {
    case metric_kind::counter:
      e.counter = std::make_shared<detail::counter_cell>();
      break;
    case metric_kind::gauge:
      e.gauge = std::make_shared<detail::gauge_cell>();
      break;
    case metric_kind::histogram:
      e.histogram = std::make_shared<detail::histogram_cell>(f.bounds);
      break;
  }
  return e;
}

caf::error check_values(const std::shared_ptr<family_state>& f,
                        const std::vector<std::string>& values) {
  if (!f)
    return invalid("a metric family handle that refers to no family");
  if (values.size() != f->label_names.size())
    return invalid(fmt::format("metric '{}' has {} label names, not {}", f->name,
                               f->label_names.size(), values.size()));
  return {};
}

// The values of one series now. Requires: no registry mutex held (it may run a callback).
void read_series(const family_state& f, const series_entry& e, series_snapshot& out) {
  if (e.read) {
    out.value = e.read();
  } else if (e.counter) {
    out.value = static_cast<double>(e.counter->value.load(std::memory_order_relaxed));
  } else if (e.gauge) {
    out.value = e.gauge->value.load(std::memory_order_relaxed);
  } else if (e.histogram) {
    uint64_t total = 0;
    out.cumulative.reserve(f.bounds->size() + 1);
    for (size_t i = 0; i <= f.bounds->size(); ++i) {
      total += e.histogram->counts[i].load(std::memory_order_relaxed);
      out.cumulative.push_back(total);
    }
    out.sum = e.histogram->sum.load(std::memory_order_relaxed);
  }
}

} // namespace

const char* to_string(metric_kind x) {
  switch (x) {
    case metric_kind::counter:
      return "counter";
    case metric_kind::gauge:
      return "gauge";
    case metric_kind::histogram:
      return "histogram";
  }
  return "untyped";
}

bool valid_metric_name(std::string_view name) {
  return valid_name(name, true);
}

bool valid_label_name(std::string_view name) {
  return valid_name(name, false) && name.substr(0, 2) != "__";
}

void gauge::add(double x) {
  if (cell_)
    atomic_add(cell_->value, x);
}

void histogram::observe(double x) {
  if (!cell_)
    return;
  const auto& b = *cell_->bounds;
  auto index = std::isnan(x) ? b.size()
                             : static_cast<size_t>(std::lower_bound(b.begin(), b.end(), x)
                                                   - b.begin());
  cell_->counts[index].fetch_add(1, std::memory_order_relaxed);
  atomic_add(cell_->sum, x);
}

template <class Series>
caf::expected<Series> family<Series>::with(const std::vector<std::string>& label_values) const {
  if (auto err = check_values(state_, label_values))
    return err;
  Series result;
  std::lock_guard<std::mutex> guard{registry_->mtx};
  auto i = state_->series.find(label_values);
  if (i == state_->series.end()) {
    if (state_->series.size() >= state_->max_series) {
      registry_->dropped.inc();
      return result;
    }
    i = state_->series.emplace(label_values, make_entry(*state_)).first;
  }
  if constexpr (std::is_same<Series, counter>::value)
    result.cell_ = i->second.counter;
  else if constexpr (std::is_same<Series, gauge>::value)
    result.cell_ = i->second.gauge;
  else
    result.cell_ = i->second.histogram;
  return result;
}

template <class Series>
caf::error family<Series>::add_callback(const std::vector<std::string>& label_values,
                                        std::function<double()> read) const {
  if (auto err = check_values(state_, label_values))
    return err;
  if (!read)
    return invalid(fmt::format("a null callback for metric '{}'", state_->name));
  std::lock_guard<std::mutex> guard{registry_->mtx};
  auto i = state_->series.find(label_values);
  if (i == state_->series.end() && state_->series.size() >= state_->max_series) {
    registry_->dropped.inc();
    return {};
  }
  series_entry e;
  e.read = std::move(read);
  state_->series[label_values] = std::move(e);
  return {};
}

template <class Series>
bool family<Series>::remove(const std::vector<std::string>& label_values) const {
  if (!state_)
    return false;
  std::lock_guard<std::mutex> guard{registry_->mtx};
  return state_->series.erase(label_values) > 0;
}

template <class Series>
size_t family<Series>::size() const {
  if (!state_)
    return 0;
  std::lock_guard<std::mutex> guard{registry_->mtx};
  return state_->series.size();
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

metric_registry::metric_registry() : state_(std::make_shared<registry_state>()) {
  // A fixed, valid name in an empty registry: neither step can fail.
  auto fam = add<counter>(metric_kind::counter, dropped_series_metric,
                          "Series not created because their family had its cap of series.", {},
                          {}, 1);
  state_->dropped = *fam->with({});
}

caf::error metric_registry::add_family(const std::shared_ptr<family_state>& f) {
  if (auto err = check_family(*f))
    return err;
  auto names = sample_names(*f);
  std::lock_guard<std::mutex> guard{state_->mtx};
  for (const auto& n : names)
    if (state_->sample_names.count(n) > 0)
      return invalid(fmt::format("metric name '{}' is taken", n));
  state_->sample_names.insert(names.begin(), names.end());
  state_->families.emplace(f->name, f);
  return {};
}

template <class Series>
caf::expected<family<Series>>
metric_registry::add(metric_kind kind, std::string name, std::string help,
                     std::vector<std::string> label_names, std::vector<double> bounds,
                     size_t max_series) {
  family<Series> result;
  result.state_ = make_family(std::move(name), std::move(help), kind, std::move(label_names),
                              std::move(bounds), max_series);
  if (auto err = add_family(result.state_))
    return err;
  result.registry_ = state_;
  return result;
}

caf::expected<counter_family>
metric_registry::add_counter(std::string name, std::string help,
                             std::vector<std::string> label_names, size_t max_series) {
  return add<counter>(metric_kind::counter, std::move(name), std::move(help),
                      std::move(label_names), {}, max_series);
}

caf::expected<gauge_family>
metric_registry::add_gauge(std::string name, std::string help,
                           std::vector<std::string> label_names, size_t max_series) {
  return add<gauge>(metric_kind::gauge, std::move(name), std::move(help),
                    std::move(label_names), {}, max_series);
}

caf::expected<histogram_family>
metric_registry::add_histogram(std::string name, std::string help,
                               std::vector<std::string> label_names,
                               std::vector<double> bounds, size_t max_series) {
  return add<histogram>(metric_kind::histogram, std::move(name), std::move(help),
                        std::move(label_names), std::move(bounds), max_series);
}

uint64_t metric_registry::dropped_series() const {
  return state_->dropped.value();
}

std::vector<family_snapshot> metric_registry::snapshot() const {
  std::vector<family_snapshot> result;
  // The series of each family of result, in the same order.
  std::vector<std::pair<std::shared_ptr<family_state>, std::vector<series_entry>>> entries;
  {
    std::lock_guard<std::mutex> guard{state_->mtx};
    for (const auto& [name, f] : state_->families) {
      family_snapshot snap{f->name, f->help, f->kind, f->label_names, *f->bounds, {}};
      std::vector<series_entry> es;
      for (const auto& [values, e] : f->series) {
        snap.series.push_back(series_snapshot{values, 0, {}, 0});
        es.push_back(e);
      }
      result.push_back(std::move(snap));
      entries.emplace_back(f, std::move(es));
    }
  }
  for (size_t i = 0; i < result.size(); ++i)
    for (size_t j = 0; j < result[i].series.size(); ++j)
      read_series(*entries[i].first, entries[i].second[j], result[i].series[j]);
  return result;
}

} // namespace cafka::metrics
