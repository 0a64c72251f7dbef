// cluster.conf's [quotas] section: Kafka's byte-rate quotas (producer_byte_rate,
// consumer_byte_rate) as a default for every client plus overrides by user and client id.
// Parsed by cluster_config_from; plain values, any thread. Enforced by runtime/kafka/quota_manager.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/settings.hpp>

namespace cafka {

// One entry of `overrides`: the quotas of a user (the SASL principal's name, "ANONYMOUS"
// without SASL), of a client id, or of one client id of one user (Kafka's quota entities).
// Invariant (checked by quota_config_from): user or client_id is set, neither is empty;
// at least one rate is set; every rate is positive.
struct quota_override {
  std::optional<std::string> user;                  // user
  std::optional<std::string> client_id;             // client-id
  std::optional<int64_t> producer_byte_rate;        // producer-byte-rate (bytes per second)
  std::optional<int64_t> consumer_byte_rate;        // consumer-byte-rate (bytes per second)
};

// Invariant (checked by quota_config_from): rates are positive; no two overrides name the
// same (user, client-id).
struct quota_config {
  // The quota of every client no override matches, each client id on its own; absent:
  // unlimited.
  std::optional<int64_t> producer_byte_rate;  // producer-byte-rate
  std::optional<int64_t> consumer_byte_rate;  // consumer-byte-rate
  std::vector<quota_override> overrides;      // overrides = [{user=..., client-id=..., ...}]
};

// The largest rate a quota may name (1 TiB/s); the smallest is 1 byte per second.
inline constexpr int64_t max_quota_byte_rate = int64_t{1} << 40;

// Parses the [quotas] section (`sec` may be null: no section, no quotas) of the config at
// `path`. Errors are errc::invalid_config naming the key ("path: [quotas] overrides[1]:
// user or client-id is required").
caf::expected<quota_config> quota_config_from(const caf::settings* sec,
                                              const std::string& path);

} // namespace cafka
