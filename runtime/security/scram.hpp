// SCRAM (RFC 5802; SHA-256 per RFC 7677, SHA-512 as Kafka uses it) for SASL listeners: making
// and checking stored credentials, and the server side of one exchange. Pure: the functions
// run on any thread; a scram_server belongs to one Kafka session (its sasl_server's actor).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/security/access_metadata.hpp"
#include "runtime/security/scram_credential.hpp"

namespace cafka {

// A credential for `user` and `password`: SaltedPassword = PBKDF2-HMAC(password, salt,
// iterations), then StoredKey and ServerKey as RFC 5802 section 3 derives them. An empty
// `salt` draws 32 random bytes. The password is used as its bytes (Kafka does no SASLprep).
// Errors: unacceptable_credential for an empty user, an empty password or iterations outside
// [scram_min_iterations, scram_max_iterations] (the message says which), or when OpenSSL
// cannot draw the salt or derive the keys.
caf::expected<scram_credential> make_scram_credential(std::string user,
                                                      std::string_view password,
                                                      scram_mechanism m, int32_t iterations,
                                                      std::string salt = {});

// Whether `password` is the one `c` was made from: StoredKey recomputed and compared in
// constant time. False for a credential with iterations outside Kafka's bounds or keys of the
// wrong size (a corrupt credential never costs more than scram_max_iterations rounds).
bool verify_password(const scram_credential& c, std::string_view password);

// The server side of one SCRAM exchange, a state machine with two steps:
//   client-first-message -> server-first-message  (r=<client+server nonce>,s=<salt>,i=<n>)
//   client-final-message -> server-final-message  (v=<base64 ServerSignature>)
// Accepted client-first: gs2 header "n,," or "n,a=<user>," (channel binding 'y' / 'p'
// refused; an authzid other than the user refused, as Kafka does), no mandatory extension
// (m=), a non-empty saslname (=2C and =3D unescaped) and nonce; extensions are ignored except
// Kafka's tokenauth=true (delegation tokens), which is refused.
// Every failure is errc::sasl_authentication_failed and ends the exchange; a wrong proof and
// an unknown user carry Kafka's text, "Authentication failed during authentication due to
// invalid credentials with SASL mechanism SCRAM-SHA-...", so neither tells the other apart.
// Invariant: once complete or failed, every further message is errc::illegal_sasl_state.
class scram_server {
public:
  // `server_nonce`: this server's part of the nonce, for tests; empty: 32 base64 characters
  // from RAND_bytes, drawn at the client-first-message.
  // Requires: `server_nonce` is printable ASCII without ','.
  explicit scram_server(scram_mechanism mechanism, std::string server_nonce = {});

  // The answer to the client's next message. The client-first-message looks the user's
  // credential up in `access` (unknown user: failure); the final message does not use it.
  caf::expected<std::string> respond(std::string_view message, const access_metadata& access);

  bool complete() const { return state_ == state::complete; }
  bool failed() const { return state_ == state::failed; }
  scram_mechanism mechanism() const { return mechanism_; }
  // The authenticated user (the saslname unescaped) once complete; else empty.
  const std::string& user() const;

private:
  enum class state { client_first, client_final, complete, failed };

  caf::expected<std::string> on_client_first(std::string_view message,
                                             const access_metadata& access);
  caf::expected<std::string> on_client_final(std::string_view message);
  caf::error invalid_credentials() const;

  scram_mechanism mechanism_;
  state state_ = state::client_first;
  std::string server_nonce_;
  std::string user_;
  std::string gs2_header_;   // as the client sent it, e.g. "n,,"
  std::string nonce_;        // client nonce + server nonce
  std::string auth_prefix_;  // client-first-message-bare "," server-first-message ","
  std::string stored_key_;   // of the user's credential, until the exchange ends
  std::string server_key_;
};

} // namespace cafka
