// Reading a node's metrics in actor tests: one series' value from a registry snapshot, as
// GET /metrics would show it. Test code; any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/metrics/metric_registry.hpp"

namespace cafka::test {

// The value of family `name`'s series with these label values (a histogram: its count of
// observations); nullopt if the registry has no such series.
inline std::optional<double> sample(const metrics::metric_registry& registry,
                                    const std::string& name,
                                    const std::vector<std::string>& label_values) {
  for (auto& f : registry.snapshot()) {
    if (f.name != name)
      continue;
    for (auto& s : f.series)
      if (s.label_values == label_values)
        return f.kind == metrics::metric_kind::histogram
                 ? static_cast<double>(s.cumulative.back())
                 : s.value;
  }
  return std::nullopt;
}

} // namespace cafka::test
