#include "runtime/config/limits_config.hpp"

#include <set>

#include "runtime/config/config_reader.hpp"

namespace cafka {

namespace {

// One key of the section: its name, its range and where it goes.
struct limit_key {
  const char* name;
  int64_t lo;
  int64_t hi;
  int64_t limits_config::*wide = nullptr;
  int32_t limits_config::*narrow = nullptr;
};

const limit_key keys[] = {
  {"max-connections", 1, 1000000, nullptr, &limits_config::max_connections},
  {"max-connections-per-ip", 1, 1000000, nullptr, &limits_config::max_connections_per_ip},
  {"socket-request-max-bytes", 1024, INT32_MAX, nullptr,
   &limits_config::socket_request_max_bytes},
  {"queued-max-request-bytes", 1024, int64_t{1} << 40,
   &limits_config::queued_max_request_bytes, nullptr},
  {"connections-max-idle-ms", 1000, 86400000, &limits_config::connections_max_idle_ms,
   nullptr},
  {"authentication-timeout-ms", 100, 3600000, &limits_config::authentication_timeout_ms,
   nullptr},
  {"connection-failed-authentication-delay-ms", 0, 3600000,
   &limits_config::connection_failed_authentication_delay_ms, nullptr},
  {"max-parked-fetches", 1, 100000000, nullptr, &limits_config::max_parked_fetches},
  {"max-parked-fetches-per-connection", 1, 100000000, nullptr,
   &limits_config::max_parked_fetches_per_connection},
  {"max-parked-fetches-per-partition", 1, 100000000, nullptr,
   &limits_config::max_parked_fetches_per_partition},
  {"max-topics", 1, 10000000, nullptr, &limits_config::max_topics},
  {"max-partitions", 1, 10000000, nullptr, &limits_config::max_partitions},
  {"max-groups", 1, 10000000, nullptr, &limits_config::max_groups},
  {"group-max-size", 1, 1000000, nullptr, &limits_config::group_max_size},
  {"max-producer-ids-per-partition", 1, 10000000, nullptr,
   &limits_config::max_producer_ids_per_partition},
};

caf::error check_relations(const limits_config& x, const std::string& path) {
  if (x.socket_request_max_bytes > x.queued_max_request_bytes)
    return config_error(path, "[limits] queued-max-request-bytes ("
                                + std::to_string(x.queued_max_request_bytes)
                                + ") must be at least socket-request-max-bytes ("
                                + std::to_string(x.socket_request_max_bytes)
                                + "): a frame of the largest size must fit");
  if (x.connection_failed_authentication_delay_ms >= x.authentication_timeout_ms)
    return config_error(path, "[limits] connection-failed-authentication-delay-ms must be "
                              "less than authentication-timeout-ms");
  if (x.max_parked_fetches_per_connection > x.max_parked_fetches)
    return config_error(path, "[limits] max-parked-fetches-per-connection must be at most "
                              "max-parked-fetches");
  return {};
}

} // namespace

caf::expected<limits_config> limits_config_from(const caf::settings* sec,
                                                const std::string& path) {
  limits_config out;
  if (sec == nullptr)
    return out;
  std::set<std::string> known;
  for (auto& k : keys)
    known.insert(k.name);
  if (auto err = check_keys(*sec, known, path, "limits"))
    return err;
  for (auto& k : keys) {
    int64_t v = k.wide != nullptr ? out.*k.wide : out.*k.narrow;
    if (auto err = read_int(*sec, k.name, k.lo, k.hi, path, "[limits] ", v))
      return err;
    if (k.wide != nullptr)
      out.*k.wide = v;
    else
      out.*k.narrow = static_cast<int32_t>(v);
  }
  if (auto err = check_relations(out, path))
    return err;
  return out;
}

} // namespace cafka
