// The SASL side of one connection on a SASL_PLAINTEXT:// or SASL_SSL:// listener: SaslHandshake
// picks a mechanism, then SaslAuthenticate (or kafka-python's raw v0) tokens run PLAIN, checked
// against stored SCRAM credentials, or SCRAM (scram_server). Pure; one Kafka session's actor.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/security/access_metadata.hpp"
#include "runtime/security/scram.hpp"

namespace cafka {

// The most bytes one SASL token may have (a PLAIN token or a SCRAM message).
inline constexpr size_t sasl_max_token_size = 64 * 1024;

// Whether cafka can serve the SASL mechanism named `name` ("PLAIN", "SCRAM-SHA-256",
// "SCRAM-SHA-512"; names are case-sensitive as in Kafka).
bool is_supported_sasl_mechanism(std::string_view name);

// The order of a session: handshake() once, then authenticate() until complete() or until
// it fails; the session closes the connection on any error.
// Invariant: after a failure or completion, authenticate() is errc::illegal_sasl_state.
class sasl_server {
public:
  // `enabled_mechanisms`: what the listener offers, in the order SaslHandshake lists them.
  explicit sasl_server(std::vector<std::string> enabled_mechanisms);

  // SaslHandshake: chooses `mechanism`. Errors: unsupported_sasl_mechanism if it is not
  // enabled (or enabled but not one cafka serves; the message names the enabled list);
  // illegal_sasl_state if a mechanism was already chosen.
  caf::error handshake(std::string_view mechanism);

  // SaslAuthenticate: the server's token for the client's `token`, with credentials from
  // `access` (PLAIN: empty; SCRAM: server-first-message, then server-final-message).
  // PLAIN's token is authzid NUL user NUL password (authzid empty or the user); the password
  // must match the user's SCRAM-SHA-512 credential, else its SCRAM-SHA-256 one.
  // Errors: sasl_authentication_failed (the exchange has failed; Kafka's message where it has
  // one, e.g. "Authentication failed: Invalid username or password"; a token over
  // sasl_max_token_size), illegal_sasl_state (before handshake(), after a failure or after
  // completion).
  caf::expected<std::string> authenticate(std::string_view token,
                                          const access_metadata& access);

  bool complete() const { return phase_ == phase::complete; }
  // "User:<name>" once complete; else empty.
  const std::string& principal() const { return principal_; }
  const std::vector<std::string>& mechanisms() const { return mechanisms_; }
  // The mechanism handshake() chose; empty before.
  const std::string& mechanism() const { return mechanism_; }

private:
  enum class phase { handshake, authenticating, complete, failed };

  std::vector<std::string> mechanisms_;
  phase phase_ = phase::handshake;
  std::string mechanism_;
  std::optional<scram_server> scram_;  // for a SCRAM mechanism
  std::string principal_;
};

} // namespace cafka
