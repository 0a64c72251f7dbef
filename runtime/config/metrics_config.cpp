#include "runtime/config/metrics_config.hpp"

#include "runtime/config/config_reader.hpp"

namespace cafka {

caf::expected<metrics_config> metrics_config_from(const caf::settings* sec,
                                                  const std::string& path) {
  metrics_config out;
  if (sec == nullptr)
    return out;
  if (auto err = check_keys(*sec, {"partition-series-max", "group-series-max",
                                   "view-refresh-ms"},
                            path, "metrics"))
    return err;
  int64_t partitions = out.partition_series_max;
  int64_t groups = out.group_series_max;
  const std::string w = "[metrics] ";
  caf::error err;
  if ((err = read_int(*sec, "partition-series-max", 0, 1000000, path, w, partitions))
      || (err = read_int(*sec, "group-series-max", 0, 1000000, path, w, groups))
      || (err = read_int(*sec, "view-refresh-ms", 100, 60000, path, w, out.view_refresh_ms)))
    return err;
  out.partition_series_max = static_cast<int32_t>(partitions);
  out.group_series_max = static_cast<int32_t>(groups);
  return out;
}

} // namespace cafka
