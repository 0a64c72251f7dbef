// Tests of sasl_server (runtime/security/sasl_server.hpp): the handshake's choices, PLAIN
// against stored SCRAM credentials, SCRAM through the server, and the order a session must
// keep.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/security/sasl_server.hpp"
#include "runtime/security/scram.hpp"
#include "tests/runtime/security_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

const std::vector<std::string> all_mechanisms{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};

// alice has both SCRAM credentials (SHA-512 with "secret", SHA-256 with "old"); carol only a
// SHA-256 one ("pw256").
access_metadata access() {
  access_metadata a;
  a.credentials.push_back(credential("alice", "secret", scram_mechanism::sha_512));
  a.credentials.push_back(credential("alice", "old", scram_mechanism::sha_256));
  a.credentials.push_back(credential("carol", "pw256", scram_mechanism::sha_256));
  return a;
}

std::string plain_token(std::string_view authzid, std::string_view user,
                        std::string_view password) {
  std::string out{authzid};
  out += '\0';
  out += user;
  out += '\0';
  out += password;
  return out;
}

// The client's final message after `server` (past its handshake) answered its first one.
std::string scram_client_final(sasl_server& server, scram_test_client& client,
                               const access_metadata& a) {
  auto first = server.authenticate(client.first(), a);
  REQUIRE(first);
  CHECK_FALSE(server.complete());
  return client.final(*first);
}

// The failure of one PLAIN token on a fresh server, which then refuses anything more.
std::string plain_failure(const std::string& token) {
  sasl_server server{all_mechanisms};
  REQUIRE_FALSE(server.handshake("PLAIN"));
  auto a = access();
  auto answer = server.authenticate(token, a);
  CHECK_FALSE(server.complete());
  CHECK(server.principal() == "");
  CHECK(errc_of(server.authenticate(plain_token("", "alice", "secret"), a).error())
        == errc::illegal_sasl_state);
  return failure(answer);
}

} // namespace

TEST_CASE("cafka serves PLAIN and the two SCRAM mechanisms, by their exact names",
          "[security][sasl]") {
  for (auto& m : all_mechanisms)
    CHECK(is_supported_sasl_mechanism(m));
  CHECK_FALSE(is_supported_sasl_mechanism("plain"));
  CHECK_FALSE(is_supported_sasl_mechanism("GSSAPI"));
  CHECK_FALSE(is_supported_sasl_mechanism("SCRAM-SHA-1"));
}

TEST_CASE("the handshake accepts one enabled mechanism once", "[security][sasl]") {
  sasl_server server{{"SCRAM-SHA-512", "PLAIN"}};
  CHECK(server.mechanisms() == std::vector<std::string>{"SCRAM-SHA-512", "PLAIN"});
  CHECK(server.mechanism() == "");
  CHECK(failure(server.handshake("SCRAM-SHA-256"))
        == "unsupported_sasl_mechanism: Unsupported SASL mechanism SCRAM-SHA-256; enabled: "
           "SCRAM-SHA-512, PLAIN");
  CHECK(failure(server.handshake("plain"))
        == "unsupported_sasl_mechanism: Unsupported SASL mechanism plain; enabled: "
           "SCRAM-SHA-512, PLAIN");
  CHECK_FALSE(server.handshake("PLAIN"));
  CHECK(server.mechanism() == "PLAIN");
  CHECK(failure(server.handshake("PLAIN"))
        == "illegal_sasl_state: SaslHandshake after the mechanism PLAIN was chosen");
  CHECK(server.mechanism() == "PLAIN");
}

TEST_CASE("a mechanism enabled but not served is refused at the handshake",
          "[security][sasl]") {
  sasl_server server{{"GSSAPI", "PLAIN"}};
  CHECK(failure(server.handshake("GSSAPI"))
        == "unsupported_sasl_mechanism: Unsupported SASL mechanism GSSAPI; enabled: GSSAPI, "
           "PLAIN");
}

TEST_CASE("authenticate before the handshake is an illegal state", "[security][sasl]") {
  sasl_server server{all_mechanisms};
  CHECK(failure(server.authenticate(plain_token("", "alice", "secret"), access()))
        == "illegal_sasl_state: SaslAuthenticate before SaslHandshake chose a mechanism");
  // Nothing was used up: the session can still choose.
  CHECK_FALSE(server.handshake("PLAIN"));
}

TEST_CASE("PLAIN authenticates against the user's SCRAM-SHA-512 credential, else its "
          "SCRAM-SHA-256 one",
          "[security][sasl]") {
  auto a = access();
  sasl_server server{all_mechanisms};
  REQUIRE_FALSE(server.handshake("PLAIN"));
  auto answer = server.authenticate(plain_token("", "alice", "secret"), a);
  REQUIRE(answer);
  CHECK(*answer == "");
  CHECK(server.complete());
  CHECK(server.principal() == "User:alice");
  CHECK(failure(server.authenticate(plain_token("", "alice", "secret"), a))
        == "illegal_sasl_state: SaslAuthenticate request received after successful "
           "authentication");
  CHECK(server.principal() == "User:alice");
  // alice's SHA-256 password is not checked while she has a SHA-512 credential.
  CHECK(plain_failure(plain_token("", "alice", "old"))
        == "sasl_authentication_failed: Authentication failed: Invalid username or password");
  sasl_server carol{{"PLAIN"}};
  REQUIRE_FALSE(carol.handshake("PLAIN"));
  REQUIRE(carol.authenticate(plain_token("carol", "carol", "pw256"), a));
  CHECK(carol.principal() == "User:carol");
}

TEST_CASE("PLAIN refuses wrong passwords, unknown users, other authzids and malformed "
          "tokens",
          "[security][sasl]") {
  auto invalid =
    "sasl_authentication_failed: Authentication failed: Invalid username or password";
  CHECK(plain_failure(plain_token("", "alice", "wrong")) == invalid);
  CHECK(plain_failure(plain_token("", "bob", "secret")) == invalid);
  CHECK(plain_failure(plain_token("admin", "alice", "secret"))
        == "sasl_authentication_failed: Authentication failed: Client requested an "
           "authorization id that is different from username");
  CHECK(plain_failure("alicesecret")
        == "sasl_authentication_failed: Invalid SASL/PLAIN response: expected 3 "
           "NUL-separated tokens, got 1");
  CHECK(plain_failure(std::string{"alice\0secret", 12})
        == "sasl_authentication_failed: Invalid SASL/PLAIN response: expected 3 "
           "NUL-separated tokens, got 2");
  CHECK(plain_failure(plain_token("", "alice", std::string{"sec\0ret", 7}))
        == "sasl_authentication_failed: Invalid SASL/PLAIN response: expected 3 "
           "NUL-separated tokens, got 4");
  CHECK(plain_failure(plain_token("", "", "secret"))
        == "sasl_authentication_failed: Authentication failed: username not specified");
  CHECK(plain_failure(plain_token("", "alice", ""))
        == "sasl_authentication_failed: Authentication failed: password not specified");
}

TEST_CASE("a token over 64 KiB fails the exchange", "[security][sasl]") {
  std::string big = plain_token("", "alice", std::string(sasl_max_token_size, 'x'));
  CHECK(plain_failure(big)
        == "sasl_authentication_failed: SASL token of 65543 bytes is over the limit of 65536");
  // The largest token passes the size check (and fails as a wrong password).
  auto max = plain_token("", "alice", std::string(sasl_max_token_size - 7, 'x'));
  REQUIRE(max.size() == sasl_max_token_size);
  CHECK(plain_failure(max)
        == "sasl_authentication_failed: Authentication failed: Invalid username or password");
}

TEST_CASE("SCRAM-SHA-512 through the SASL server: server-first, then server-final and the "
          "principal",
          "[security][sasl]") {
  auto a = access();
  sasl_server server{all_mechanisms};
  REQUIRE_FALSE(server.handshake("SCRAM-SHA-512"));
  scram_test_client client{scram_mechanism::sha_512, "alice", "secret", "nonce1"};
  auto first = server.authenticate(client.first(), a);
  REQUIRE(first);
  CHECK(first->rfind("r=nonce1", 0) == 0);
  CHECK_FALSE(server.complete());
  CHECK(server.principal() == "");
  auto final = server.authenticate(client.final(*first), a);
  REQUIRE(final);
  CHECK(*final == client.expected_server_final());
  CHECK(server.complete());
  CHECK(server.principal() == "User:alice");
  CHECK(failure(server.authenticate(client.final(*first), a))
        == "illegal_sasl_state: SaslAuthenticate request received after successful "
           "authentication");
}

TEST_CASE("SCRAM-SHA-256 through the SASL server uses the SHA-256 credential",
          "[security][sasl]") {
  auto a = access();
  sasl_server server{all_mechanisms};
  REQUIRE_FALSE(server.handshake("SCRAM-SHA-256"));
  scram_test_client client{scram_mechanism::sha_256, "carol", "pw256", "n2"};
  auto final = server.authenticate(scram_client_final(server, client, a), a);
  REQUIRE(final);
  CHECK(*final == client.expected_server_final());
  CHECK(server.principal() == "User:carol");
}

TEST_CASE("a failed SCRAM exchange through the SASL server refuses what follows",
          "[security][sasl]") {
  auto a = access();
  sasl_server server{all_mechanisms};
  REQUIRE_FALSE(server.handshake("SCRAM-SHA-512"));
  scram_test_client client{scram_mechanism::sha_512, "alice", "wrong", "n3"};
  auto final = scram_client_final(server, client, a);
  CHECK(failure(server.authenticate(final, a))
        == "sasl_authentication_failed: Authentication failed during authentication due to "
           "invalid credentials with SASL mechanism SCRAM-SHA-512");
  CHECK_FALSE(server.complete());
  CHECK(server.principal() == "");
  CHECK(failure(server.authenticate(final, a))
        == "illegal_sasl_state: SaslAuthenticate request received after authentication "
           "failed");
}
