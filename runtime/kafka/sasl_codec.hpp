// SaslHandshake (key 17) and SaslAuthenticate (key 36) request and response bodies, v0-v1
// (non-flexible): the mechanism choice and the SASL tokens of a SASL listener's connection
// (runtime/security/sasl_server.hpp runs them). Pure codec; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

// ---- SaslHandshake (key 17) ----

struct sasl_handshake_request {
  std::string mechanism;
};

struct sasl_handshake_response {
  int16_t error_code = 0;
  std::vector<std::string> mechanisms;  // the listener's enabled mechanisms
};

// ---- SaslAuthenticate (key 36) ----

struct sasl_authenticate_request {
  std::string auth_bytes;
};

struct sasl_authenticate_response {
  int16_t error_code = 0;
  std::optional<std::string> error_message;  // null without an error
  std::string auth_bytes;
  int64_t session_lifetime_ms = 0;           // v1+; 0: no re-authentication needed
};

void decode(reader& r, int16_t version, sasl_handshake_request& out);
void decode(reader& r, int16_t version, sasl_authenticate_request& out);

void encode(writer& w, int16_t version, const sasl_handshake_response& x);
void encode(writer& w, int16_t version, const sasl_authenticate_response& x);

} // namespace cafka::kafka
