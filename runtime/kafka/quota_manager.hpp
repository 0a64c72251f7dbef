// Kafka's client byte-rate quotas (ClientQuotaManager, KIP-13 and KIP-55): which [quotas]
// entry a client's produce or fetch bytes count against, the rate of each entity, and how long
// a client over its quota is throttled. One manager per node, shared by every Kafka session of
// the node: thread-safe (one mutex), any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "runtime/config/quota_config.hpp"
#include "runtime/kafka/rate_tracker.hpp"

namespace cafka::kafka {

// Produce bytes count against producer-byte-rate, fetch response bytes against
// consumer-byte-rate; the two are measured apart.
enum class quota_kind : uint8_t { produce, fetch };

// The quota entity a client's bytes count against. Clients that match the same entity share
// its rate: an override of a user counts all of that user's clients together, an override of
// a client id all users' clients of that id; the default counts each client id on its own
// (Kafka's <default> client-id entity), whatever its user.
struct quota_entity {
  enum class level : uint8_t { user_client, user, client, default_client };
  level match = level::default_client;
  std::string user;       // empty unless match is user_client or user
  std::string client_id;  // empty when match is user
  int64_t byte_rate = 0;  // bytes per second, positive
  friend bool operator==(const quota_entity& x, const quota_entity& y) {
    return std::tie(x.match, x.user, x.client_id, x.byte_rate)
           == std::tie(y.match, y.user, y.client_id, y.byte_rate);
  }
};

// The entity of (user, client_id) for `kind`, by Kafka's precedence: the override naming both,
// then the user's, then the client id's, then the default. Only entries that set the kind's
// rate take part. nullopt: no quota applies (unlimited).
std::optional<quota_entity> match_quota(const quota_config& cfg, quota_kind kind,
                                        std::string_view user, std::string_view client_id);

// The user a quota is looked up by: a principal's name without its "User:" type, as Kafka
// does ("User:alice" -> "alice", "User:ANONYMOUS" -> "ANONYMOUS").
std::string_view quota_user(std::string_view principal);

class quota_manager {
public:
  // Milliseconds on a clock that never goes back.
  using clock = std::function<int64_t()>;

  // `now`: the clock (null: std::chrono::steady_clock). `window`: Kafka's defaults, 11
  // samples of 1 s.
  explicit quota_manager(quota_config cfg, clock now = nullptr, rate_window window = {});

  // Counts `bytes` of a client's produce request or fetch response against its entity and
  // returns how long the client is to wait, in milliseconds: 0 within the quota or without
  // one; else (rate - quota) / quota * window, Kafka's ClientQuotaManager throttle time, at
  // most max_throttle_ms().
  int32_t record(quota_kind kind, std::string_view user, std::string_view client_id,
                 int64_t bytes);

  // The longest throttle: the window span (11 s by default). A client far over its quota
  // waits that long and is then measured by what the window still holds.
  int64_t max_throttle_ms() const { return window_.span_ms(); }

  // Entities with a rate being measured (idle ones are dropped once per window span).
  size_t tracked() const;

private:
  using key = std::tuple<quota_kind, quota_entity::level, std::string, std::string>;

  // Drops the trackers that measure 0. Requires: mtx_ held.
  void sweep(int64_t now_ms);

  const quota_config cfg_;
  const clock now_;
  const rate_window window_;
  mutable std::mutex mtx_;
  std::map<key, rate_tracker> trackers_;  // guarded by mtx_
  int64_t last_sweep_ms_ = 0;             // guarded by mtx_
};

} // namespace cafka::kafka
