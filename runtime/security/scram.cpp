#include "runtime/security/scram.hpp"

#include <cctype>
#include <optional>
#include <utility>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "runtime/base/errc.hpp"
#include "runtime/security/base64.hpp"

namespace cafka {

namespace {

constexpr size_t salt_size = 32;
constexpr size_t nonce_bytes = 24; // 32 base64 characters, no padding

// -- crypto (OpenSSL's libcrypto); an empty result means OpenSSL failed --------------------

const EVP_MD* digest_of(scram_mechanism m) {
  return m == scram_mechanism::sha_256 ? EVP_sha256() : EVP_sha512();
}

size_t digest_size(scram_mechanism m) {
  return static_cast<size_t>(EVP_MD_get_size(digest_of(m)));
}

std::string hmac(scram_mechanism m, std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int n = 0;
  if (HMAC(digest_of(m), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &n)
      == nullptr)
    return {};
  out.resize(n);
  return out;
}

std::string hash(scram_mechanism m, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &n,
                 digest_of(m), nullptr)
      != 1)
    return {};
  out.resize(n);
  return out;
}

// RFC 5802's Hi(): PBKDF2 with HMAC as the PRF and one block of output.
std::string salted_password(scram_mechanism m, std::string_view password,
                            std::string_view salt, int32_t iterations) {
  std::string out(digest_size(m), '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, digest_of(m),
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data()))
      != 1)
    return {};
  return out;
}

std::optional<std::string> random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    return std::nullopt;
  return out;
}

bool same_secret(std::string_view x, std::string_view y) {
  return x.size() == y.size() && CRYPTO_memcmp(x.data(), y.data(), x.size()) == 0;
}

bool iterations_in_bounds(int32_t iterations) {
  return iterations >= scram_min_iterations && iterations <= scram_max_iterations;
}

// -- message syntax (RFC 5802 section 7) --------------------------------------------------

caf::error malformed(const char* which, const std::string& what) {
  return make_error(errc::sasl_authentication_failed,
                    std::string{"Invalid SCRAM client "} + which + " message: " + what);
}

caf::error malformed_first(const std::string& what) {
  return malformed("first", what);
}

caf::error malformed_final(const std::string& what) {
  return malformed("final", what);
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    auto pos = s.find(',');
    out.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos)
      return out;
    s.remove_prefix(pos + 1);
  }
}

// The value of attribute `name` ("n" for "n=..."), or nullopt if `attr` is another one.
std::optional<std::string_view> value_of(std::string_view attr, char name) {
  if (attr.size() < 2 || attr[0] != name || attr[1] != '=')
    return std::nullopt;
  return attr.substr(2);
}

// A saslname with =2C and =3D unescaped, or nullopt if empty, holding a NUL or a '=' that
// starts neither escape.
std::optional<std::string> unescape_saslname(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\0')
      return std::nullopt;
    if (s[i] != '=') {
      out += s[i];
      continue;
    }
    auto escape = s.substr(i + 1, 2);
    if (escape == "2C")
      out += ',';
    else if (escape == "3D")
      out += '=';
    else
      return std::nullopt;
    i += 2;
  }
  return out;
}

// A nonce: printable ASCII except ',' (the split already removed commas), not empty.
bool valid_nonce(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (c < 0x21 || c > 0x7e)
      return false;
  return true;
}

bool equals_ignore_case(std::string_view x, std::string_view y) {
  if (x.size() != y.size())
    return false;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(x[i]))
        != std::tolower(static_cast<unsigned char>(y[i])))
      return false;
  return true;
}

// Checks the extensions of a client-first-message (attr "=" value each, name letters only):
// all are ignored but Kafka's tokenauth=true, which asks for delegation-token authentication.
caf::error check_extensions(const std::vector<std::string_view>& attrs, size_t first) {
  for (size_t i = first; i < attrs.size(); ++i) {
    auto eq = attrs[i].find('=');
    if (eq == 0 || eq == std::string_view::npos || eq + 1 == attrs[i].size())
      return malformed_first("an extension is not name=value");
    auto name = attrs[i].substr(0, eq);
    for (char c : name)
      if (!std::isalpha(static_cast<unsigned char>(c)))
        return malformed_first("an extension name has a character other than a letter");
    if (name == "tokenauth" && equals_ignore_case(attrs[i].substr(eq + 1), "true"))
      return malformed_first("delegation token authentication (tokenauth) is not supported");
  }
  return caf::none;
}

struct client_first_message {
  std::string gs2_header;  // "n," [ "a=" saslname ] ","
  std::string authzid;     // unescaped; empty if absent
  std::string user;        // unescaped
  std::string nonce;
  std::string bare;        // client-first-message-bare, as sent
};

caf::expected<client_first_message> parse_client_first(std::string_view msg) {
  auto first_comma = msg.find(',');
  auto second_comma = first_comma == std::string_view::npos ? first_comma
                                                            : msg.find(',', first_comma + 1);
  if (second_comma == std::string_view::npos)
    return malformed_first("no gs2 header");
  auto flag = msg.substr(0, first_comma);
  if (flag == "y" || value_of(flag, 'p'))
    return malformed_first("channel binding (gs2 flag '" + std::string{flag.substr(0, 1)}
                           + "') is not supported");
  if (flag != "n")
    return malformed_first("the gs2 header does not start with 'n,'");
  client_first_message out;
  auto authzid = msg.substr(first_comma + 1, second_comma - first_comma - 1);
  if (!authzid.empty()) {
    auto a = value_of(authzid, 'a');
    auto name = a ? unescape_saslname(*a) : std::nullopt;
    if (!name)
      return malformed_first("the gs2 header's authzid is not a=<saslname>");
    out.authzid = std::move(*name);
  }
  out.gs2_header = std::string{msg.substr(0, second_comma + 1)};
  out.bare = std::string{msg.substr(second_comma + 1)};
  auto attrs = split_commas(out.bare);
  if (value_of(attrs[0], 'm'))
    return malformed_first("mandatory extensions (m=) are not supported");
  auto n = value_of(attrs[0], 'n');
  if (!n)
    return malformed_first("no n=<username>");
  auto user = unescape_saslname(*n);
  if (!user)
    return malformed_first("the username is empty or has an invalid '=' escape");
  out.user = std::move(*user);
  auto r = attrs.size() > 1 ? value_of(attrs[1], 'r') : std::nullopt;
  if (!r)
    return malformed_first("no r=<nonce> after the username");
  if (!valid_nonce(*r))
    return malformed_first("the nonce is empty or not printable ASCII");
  out.nonce = std::string{*r};
  if (auto err = check_extensions(attrs, 2))
    return err;
  return out;
}

struct client_final_message {
  std::string channel_binding; // decoded c=
  std::string nonce;
  std::string proof;           // decoded p=
  std::string without_proof;   // client-final-message-without-proof, as sent
};

caf::expected<client_final_message> parse_client_final(std::string_view msg) {
  // The proof comes last, and base64 has no ','.
  auto last_comma = msg.rfind(',');
  auto p = last_comma == std::string_view::npos ? std::nullopt
                                                : value_of(msg.substr(last_comma + 1), 'p');
  if (!p)
    return malformed_final("no p=<proof> at the end");
  client_final_message out;
  out.without_proof = std::string{msg.substr(0, last_comma)};
  auto attrs = split_commas(out.without_proof);
  auto c = value_of(attrs[0], 'c');
  if (!c)
    return malformed_final("no c=<channel binding> at the start");
  auto cb = base64_decode(*c);
  if (!cb)
    return malformed_final("the channel binding is not base64");
  out.channel_binding = std::move(*cb);
  auto r = attrs.size() > 1 ? value_of(attrs[1], 'r') : std::nullopt;
  if (!r)
    return malformed_final("no r=<nonce> after the channel binding");
  out.nonce = std::string{*r};
  auto proof = base64_decode(*p);
  if (!proof)
    return malformed_final("the proof is not base64");
  out.proof = std::move(*proof);
  return out;
}

} // namespace

// -- credentials --------------------------------------------------------------------------

caf::expected<scram_credential> make_scram_credential(std::string user,
                                                      std::string_view password,
                                                      scram_mechanism m, int32_t iterations,
                                                      std::string salt) {
  if (user.empty())
    return make_error(errc::unacceptable_credential, "the user name is empty");
  if (password.empty())
    return make_error(errc::unacceptable_credential, "the password is empty");
  if (!iterations_in_bounds(iterations))
    return make_error(errc::unacceptable_credential,
                      "iterations " + std::to_string(iterations) + " outside ["
                        + std::to_string(scram_min_iterations) + ", "
                        + std::to_string(scram_max_iterations) + "]");
  if (salt.empty()) {
    auto random = random_bytes(salt_size);
    if (!random)
      return make_error(errc::unacceptable_credential, "RAND_bytes could not draw a salt");
    salt = std::move(*random);
  }
  auto salted = salted_password(m, password, salt, iterations);
  auto client_key = hmac(m, salted, "Client Key");
  scram_credential c;
  c.user = std::move(user);
  c.mechanism = m;
  c.salt = std::move(salt);
  c.iterations = iterations;
  c.stored_key = hash(m, client_key);
  c.server_key = hmac(m, salted, "Server Key");
  if (salted.empty() || client_key.empty() || c.stored_key.empty() || c.server_key.empty())
    return make_error(errc::unacceptable_credential, "OpenSSL could not derive the SCRAM keys");
  return c;
}

bool verify_password(const scram_credential& c, std::string_view password) {
  if (!iterations_in_bounds(c.iterations) || c.stored_key.size() != digest_size(c.mechanism))
    return false;
  auto salted = salted_password(c.mechanism, password, c.salt, c.iterations);
  if (salted.empty())
    return false;
  return same_secret(hash(c.mechanism, hmac(c.mechanism, salted, "Client Key")), c.stored_key);
}

// -- scram_server -------------------------------------------------------------------------

scram_server::scram_server(scram_mechanism mechanism, std::string server_nonce)
  : mechanism_(mechanism), server_nonce_(std::move(server_nonce)) {
  // nop
}

const std::string& scram_server::user() const {
  static const std::string none;
  return complete() ? user_ : none;
}

caf::expected<std::string> scram_server::respond(std::string_view message,
                                                 const access_metadata& access) {
  if (state_ == state::complete || state_ == state::failed)
    return make_error(errc::illegal_sasl_state,
                      std::string{"SCRAM message after the exchange "}
                        + (state_ == state::complete ? "completed" : "failed"));
  auto result = state_ == state::client_first ? on_client_first(message, access)
                                              : on_client_final(message);
  if (!result)
    state_ = state::failed;
  if (state_ == state::complete || state_ == state::failed) {
    stored_key_.clear();
    server_key_.clear();
  }
  return result;
}

caf::error scram_server::invalid_credentials() const {
  return make_error(errc::sasl_authentication_failed,
                    std::string{"Authentication failed during authentication due to invalid "
                                "credentials with SASL mechanism "}
                      + to_string(mechanism_));
}

caf::expected<std::string> scram_server::on_client_first(std::string_view message,
                                                         const access_metadata& access) {
  auto msg = parse_client_first(message);
  if (!msg)
    return std::move(msg.error());
  if (!msg->authzid.empty() && msg->authzid != msg->user)
    return make_error(errc::sasl_authentication_failed,
                      "Authentication failed: Client requested an authorization id that is "
                      "different from username");
  auto* c = access.find_credential(msg->user, mechanism_);
  // A credential the quorum should never hold (bad bounds, wrong key sizes) refuses like an
  // unknown user rather than costing unbounded work or telling the client about it.
  if (c == nullptr || !iterations_in_bounds(c->iterations)
      || c->stored_key.size() != digest_size(mechanism_)
      || c->server_key.size() != digest_size(mechanism_))
    return invalid_credentials();
  if (server_nonce_.empty()) {
    auto random = random_bytes(nonce_bytes);
    if (!random)
      return make_error(errc::sasl_authentication_failed, "RAND_bytes could not draw a nonce");
    server_nonce_ = base64_encode(*random);
  }
  user_ = std::move(msg->user);
  gs2_header_ = std::move(msg->gs2_header);
  nonce_ = msg->nonce + server_nonce_;
  stored_key_ = c->stored_key;
  server_key_ = c->server_key;
  auto server_first = "r=" + nonce_ + ",s=" + base64_encode(c->salt)
                      + ",i=" + std::to_string(c->iterations);
  auth_prefix_ = msg->bare + "," + server_first + ",";
  state_ = state::client_final;
  return server_first;
}

caf::expected<std::string> scram_server::on_client_final(std::string_view message) {
  auto msg = parse_client_final(message);
  if (!msg)
    return std::move(msg.error());
  if (msg->channel_binding != gs2_header_)
    return malformed_final("the channel binding c= is not the base64 of the gs2 header");
  // Kafka checks that the nonce ends with the combined one, and librdkafka (to 2.0.2 at least)
  // sends its own nonce in front of the combined one: the proof covers what was sent anyway.
  if (msg->nonce.size() < nonce_.size()
      || msg->nonce.compare(msg->nonce.size() - nonce_.size(), nonce_.size(), nonce_) != 0)
    return make_error(errc::sasl_authentication_failed,
                      "Invalid client nonce in the final client message.");
  if (msg->proof.size() != stored_key_.size())
    return malformed_final("the proof has " + std::to_string(msg->proof.size())
                           + " bytes, not " + std::to_string(stored_key_.size()));
  auto auth_message = auth_prefix_ + msg->without_proof;
  // ClientKey = ClientProof XOR ClientSignature; the client knew the password if
  // H(ClientKey) is the StoredKey.
  auto client_key = hmac(mechanism_, stored_key_, auth_message);
  if (client_key.size() != msg->proof.size())
    return invalid_credentials();
  for (size_t i = 0; i < client_key.size(); ++i)
    client_key[i] = static_cast<char>(client_key[i] ^ msg->proof[i]);
  if (!same_secret(hash(mechanism_, client_key), stored_key_))
    return invalid_credentials();
  auto signature = hmac(mechanism_, server_key_, auth_message);
  if (signature.empty())
    return invalid_credentials();
  state_ = state::complete;
  return "v=" + base64_encode(signature);
}

} // namespace cafka
