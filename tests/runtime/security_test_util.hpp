// Helpers of the SASL tests: credentials, failures as text, and a SCRAM client (RFC 5802) that
// derives proofs and signatures with OpenSSL directly, not with runtime/security/scram.cpp's
// code, so server tests check against a second derivation. Test thread only.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <catch2/catch.hpp>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "runtime/base/errc.hpp"
#include "runtime/security/base64.hpp"
#include "runtime/security/scram.hpp"
#include "runtime/security/scram_credential.hpp"

namespace cafka::test {

// A credential made with 4096 iterations (a random salt if `salt` is empty).
inline scram_credential credential(const std::string& user, const std::string& password,
                                   scram_mechanism m, std::string salt = {}) {
  auto c = make_scram_credential(user, password, m, 4096, std::move(salt));
  REQUIRE(c);
  return *c;
}

// The error of a failed result as describe() prints it, "code: context".
template <class T>
std::string failure(const caf::expected<T>& x) {
  REQUIRE_FALSE(x);
  return describe(x.error());
}

inline std::string failure(const caf::error& e) {
  REQUIRE(e);
  return describe(e);
}

class scram_test_client {
public:
  // `user_field`: the saslname as sent (escaped); `gs2_header`: "n,," or "n,a=<authzid>,".
  scram_test_client(scram_mechanism m, std::string user_field, std::string password,
                    std::string client_nonce, std::string gs2_header = "n,,")
    : md_(m == scram_mechanism::sha_256 ? EVP_sha256() : EVP_sha512()),
      password_(std::move(password)),
      gs2_header_(std::move(gs2_header)),
      bare_("n=" + user_field + ",r=" + client_nonce) {
  }

  std::string first() const { return gs2_header_ + bare_; }

  // The client-final-message answering `server_first` ("r=..,s=..,i=.."), with the channel
  // binding c=base64(gs2 header) and the nonce the server sent, or `nonce_override` instead
  // if not empty. Empty if `server_first` does not have that shape.
  std::string final(const std::string& server_first, const std::string& nonce_override = {}) {
    auto r = server_first.find("r=");
    auto s = server_first.find(",s=");
    auto i = server_first.find(",i=");
    if (r != 0 || s == std::string::npos || i == std::string::npos || i < s)
      return {};
    auto nonce = nonce_override.empty() ? server_first.substr(2, s - 2) : nonce_override;
    auto salt = base64_decode(server_first.substr(s + 3, i - s - 3));
    if (!salt)
      return {};
    auto iterations = std::stoi(server_first.substr(i + 3));
    std::string salted(static_cast<size_t>(EVP_MD_get_size(md_)), '\0');
    PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                      reinterpret_cast<const unsigned char*>(salt->data()),
                      static_cast<int>(salt->size()), iterations, md_,
                      static_cast<int>(salted.size()),
                      reinterpret_cast<unsigned char*>(salted.data()));
    auto without_proof = "c=" + base64_encode(gs2_header_) + ",r=" + nonce;
    auth_message_ = bare_ + "," + server_first + "," + without_proof;
    auto client_key = hmac(salted, "Client Key");
    auto signature = hmac(digest(client_key), auth_message_);
    std::string proof = client_key;
    for (size_t k = 0; k < proof.size(); ++k)
      proof[k] = static_cast<char>(proof[k] ^ signature[k]);
    server_key_ = hmac(salted, "Server Key");
    return without_proof + ",p=" + base64_encode(proof);
  }

  // The server-final-message a server that knows the password sends after final().
  std::string expected_server_final() const {
    return "v=" + base64_encode(hmac(server_key_, auth_message_));
  }

private:
  std::string hmac(std::string_view key, std::string_view data) const {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(md_, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
    return std::string{reinterpret_cast<char*>(out), n};
  }

  std::string digest(std::string_view data) const {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), out, &n, md_, nullptr);
    return std::string{reinterpret_cast<char*>(out), n};
  }

  const EVP_MD* md_;
  std::string password_;
  std::string gs2_header_;
  std::string bare_;  // client-first-message-bare
  std::string auth_message_;
  std::string server_key_;
};

} // namespace cafka::test
