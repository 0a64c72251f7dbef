// Reading a node's metrics and event log in the actor tests: one series' value from a
// registry snapshot, and the texts of the events of one kind. Test code only; any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/metrics/event_log.hpp"
#include "runtime/metrics/metric_registry.hpp"

namespace cafka::test {

// The value of family `name`'s series with label values `labels` (in the family's label
// order), or nullopt if there is no such series.
inline std::optional<double> metric_value(const metrics::metric_registry& r,
                                          const std::string& name,
                                          const std::vector<std::string>& labels = {}) {
  for (auto& f : r.snapshot()) {
    if (f.name != name)
      continue;
    for (auto& s : f.series)
      if (s.label_values == labels)
        return s.value;
  }
  return std::nullopt;
}

// The texts of the log's events of `kind`, oldest first.
inline std::vector<std::string> event_texts(const metrics::event_log& log,
                                            const std::string& kind) {
  std::vector<std::string> out;
  for (auto& e : log.since(0))
    if (e.kind == kind)
      out.push_back(e.text);
  return out;
}

} // namespace cafka::test
