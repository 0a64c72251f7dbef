// The broker's request metrics of cafka's own protocol (protocol="native" of
// cafka_requests_total, cafka_request_latency_seconds and cafka_request_errors_total): one
// series pair per message the broker answers, looked up once per broker. Part of the
// broker's state; used from the broker actor's context only.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/error.hpp>
#include <caf/result.hpp>

#include "runtime/metrics/node_metrics.hpp"

namespace cafka {

// The requests the broker answers, by message name (the api label).
enum class native_api : uint8_t {
  produce,
  fetch,
  list_offsets,
  replica_fetch,
  metadata,
  create_topic,
  delete_topic,
  alter_configs,
  create_partitions,
  reassign,
  decommission,
  init_pid,
  upsert_credential,
  delete_credential,
  list_users,
  create_acls,
  delete_acls,
  describe_acls,
  find_coordinator,
  group_heartbeat,
  commit,
  offset_fetch,
  describe_group,
  list_groups,
  classic,
  group_admin,
};

inline constexpr size_t native_api_count = static_cast<size_t>(native_api::group_admin) + 1;

// "produce", "fetch", "list_offsets", ...: the message's name.
const char* to_string(native_api x);

// The label of an error answer: the errc's name ("not_leader_for_partition") for cafka's
// errors, CAF's name of its system errors ("request_timeout", "broken_promise"), else
// "unknown".
std::string error_label(const caf::error& err);

class native_request_metrics {
public:
  using clock = std::chrono::steady_clock;

  // Counts nothing (a broker without node metrics).
  native_request_metrics() = default;
  explicit native_request_metrics(std::shared_ptr<metrics::node_metrics> m);

  // One request of `api`, arrived at `start`, answered now: counted, its latency observed,
  // and `err` (if any) counted by its error_label.
  void answered(native_api api, clock::time_point start, const caf::error& err);

  // One request of `api` whose answer another actor gives (a delegation): counted, without
  // a latency (the broker does not see the answer).
  void delegated(native_api api);

  // Counts a caf::result the broker's handler returns: an answer (value or error) as
  // answered(), a delegated or promised one as delegated().
  template <class Result>
  void returned(native_api api, clock::time_point start, const Result& r) {
    if (r.flag == caf::rt_value)
      answered(api, start, caf::error{});
    else if (r.flag == caf::rt_error)
      answered(api, start, r.err);
    else
      delegated(api);
  }

private:
  metrics::request_series& series(native_api api);

  std::shared_ptr<metrics::node_metrics> metrics_;
  // Invariant: filled in on the first request of each API (one registry lookup).
  std::array<std::optional<metrics::request_series>, native_api_count> series_;
};

} // namespace cafka
