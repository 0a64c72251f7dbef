// cluster.conf's [metrics] section: how many series a node's metrics may hold per partition and
// per group, and how often the live view refreshes. Each node's HTTP port is a key of its
// entry in [cluster] nodes (metrics-port). Parsed by cluster_config_from; plain values.
#pragma once

#include <cstdint>
#include <string>

#include <caf/expected.hpp>
#include <caf/settings.hpp>

namespace cafka {

struct metrics_config {
  // Partitions one node exports per-partition series for (cafka_partition_*); the others
  // are counted in cafka_metrics_dropped_series_total. 0 switches them off.
  int32_t partition_series_max = 10000;  // partition-series-max
  // Groups one node exports per-group series for (cafka_group_*); 0 switches them off.
  int32_t group_series_max = 1000;       // group-series-max
  // How often a node's live view asks the cluster for its state (GET /api/view).
  int64_t view_refresh_ms = 1000;        // view-refresh-ms
};

// The [metrics] section (`sec` null: absent, all defaults). Errors: invalid_config naming the
// key for an unknown key or a value out of range.
caf::expected<metrics_config> metrics_config_from(const caf::settings* sec,
                                                  const std::string& path);

} // namespace cafka
