// A user's SCRAM credential as the metadata quorum stores it (RFC 5802): salt, iteration
// count, StoredKey and ServerKey, never the password. Created by scram.hpp, kept in
// access_metadata. Plain value; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cafka {

// Kafka's SCRAM mechanisms. The values are durable (metadata log and snapshots).
enum class scram_mechanism : uint8_t {
  sha_256 = 1,
  sha_512 = 2,
};

// "SCRAM-SHA-256" / "SCRAM-SHA-512".
const char* to_string(scram_mechanism x);
// The mechanism named as SASL names it ("SCRAM-SHA-512"), or nullopt.
std::optional<scram_mechanism> parse_scram_mechanism(std::string_view name);

// Kafka's bounds on the iteration count (ScramMechanism.minIterations / maxIterations).
inline constexpr int32_t scram_min_iterations = 4096;
inline constexpr int32_t scram_max_iterations = 16384;

struct scram_credential {
  std::string user;
  scram_mechanism mechanism = scram_mechanism::sha_512;
  std::string salt;        // raw bytes
  int32_t iterations = scram_min_iterations;
  std::string stored_key;  // H(ClientKey), raw bytes (32 or 64)
  std::string server_key;  // HMAC(SaltedPassword, "Server Key"), raw bytes

  bool operator==(const scram_credential& o) const {
    return user == o.user && mechanism == o.mechanism && salt == o.salt
           && iterations == o.iterations && stored_key == o.stored_key
           && server_key == o.server_key;
  }
};

// CAF inspects the mechanism as its underlying integer.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scram_credential& x) {
  return f(x.user, x.mechanism, x.salt, x.iterations, x.stored_key, x.server_key);
}

} // namespace cafka
