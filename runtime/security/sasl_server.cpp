#include "runtime/security/sasl_server.hpp"

#include <algorithm>
#include <utility>

#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

constexpr std::string_view plain_mechanism = "PLAIN";
constexpr std::string_view principal_prefix = "User:";

caf::error plain_failure(std::string message) {
  return make_error(errc::sasl_authentication_failed, std::move(message));
}

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs) {
    if (!out.empty())
      out += ", ";
    out += x;
  }
  return out;
}

// The user a PLAIN token authenticates.
caf::expected<std::string> plain_user(std::string_view token, const access_metadata& access) {
  // RFC 4616: [authzid] NUL authcid NUL passwd, none of them holding a NUL.
  auto nuls = std::count(token.begin(), token.end(), '\0');
  if (nuls != 2)
    return plain_failure("Invalid SASL/PLAIN response: expected 3 NUL-separated tokens, got "
                         + std::to_string(nuls + 1));
  auto first = token.find('\0');
  auto second = token.find('\0', first + 1);
  auto authzid = token.substr(0, first);
  auto user = std::string{token.substr(first + 1, second - first - 1)};
  auto password = token.substr(second + 1);
  if (user.empty())
    return plain_failure("Authentication failed: username not specified");
  if (password.empty())
    return plain_failure("Authentication failed: password not specified");
  if (!authzid.empty() && authzid != user)
    return plain_failure("Authentication failed: Client requested an authorization id that "
                         "is different from username");
  auto* c = access.find_credential(user, scram_mechanism::sha_512);
  if (c == nullptr)
    c = access.find_credential(user, scram_mechanism::sha_256);
  if (c == nullptr) {
    // An unknown user costs what a known one costs: the answer's timing does not tell
    // which users exist.
    static const auto stand_in = make_scram_credential(
      "-", "-", scram_mechanism::sha_512, scram_min_iterations, std::string(32, '\0'));
    if (stand_in)
      verify_password(*stand_in, password);
  }
  if (c == nullptr || !verify_password(*c, password))
    return plain_failure("Authentication failed: Invalid username or password");
  return user;
}

} // namespace

bool is_supported_sasl_mechanism(std::string_view name) {
  return name == plain_mechanism || parse_scram_mechanism(name).has_value();
}

sasl_server::sasl_server(std::vector<std::string> enabled_mechanisms)
  : mechanisms_(std::move(enabled_mechanisms)) {
  // nop
}

caf::error sasl_server::handshake(std::string_view mechanism) {
  if (phase_ != phase::handshake)
    return make_error(errc::illegal_sasl_state,
                      "SaslHandshake after the mechanism " + mechanism_ + " was chosen");
  auto enabled = std::find(mechanisms_.begin(), mechanisms_.end(), mechanism)
                 != mechanisms_.end();
  if (!enabled || !is_supported_sasl_mechanism(mechanism))
    return make_error(errc::unsupported_sasl_mechanism,
                      "Unsupported SASL mechanism " + std::string{mechanism}
                        + "; enabled: " + joined(mechanisms_));
  mechanism_ = std::string{mechanism};
  if (auto scram = parse_scram_mechanism(mechanism))
    scram_.emplace(*scram);
  phase_ = phase::authenticating;
  return caf::none;
}

caf::expected<std::string> sasl_server::authenticate(std::string_view token,
                                                     const access_metadata& access) {
  switch (phase_) {
    case phase::handshake:
      return make_error(errc::illegal_sasl_state,
                        "SaslAuthenticate before SaslHandshake chose a mechanism");
    case phase::complete:
      return make_error(errc::illegal_sasl_state,
                        "SaslAuthenticate request received after successful authentication");
    case phase::failed:
      return make_error(errc::illegal_sasl_state,
                        "SaslAuthenticate request received after authentication failed");
    case phase::authenticating:
      break;
  }
  if (token.size() > sasl_max_token_size) {
    phase_ = phase::failed;
    return make_error(errc::sasl_authentication_failed,
                      "SASL token of " + std::to_string(token.size())
                        + " bytes is over the limit of " + std::to_string(sasl_max_token_size));
  }
  if (!scram_) {
    auto user = plain_user(token, access);
    if (!user) {
      phase_ = phase::failed;
      return std::move(user.error());
    }
    principal_ = std::string{principal_prefix} + *user;
    phase_ = phase::complete;
    return std::string{};
  }
  auto answer = scram_->respond(token, access);
  if (!answer) {
    phase_ = phase::failed;
  } else if (scram_->complete()) {
    principal_ = std::string{principal_prefix} + scram_->user();
    phase_ = phase::complete;
  }
  return answer;
}

} // namespace cafka
