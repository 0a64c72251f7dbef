// Tests of SCRAM (runtime/security/scram.hpp): credentials as make_scram_credential derives
// them, RFC 7677's SCRAM-SHA-256 exchange byte for byte, a SCRAM-SHA-512 exchange against an
// independent client, and every way the server refuses a client.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/security/base64.hpp"
#include "runtime/security/scram.hpp"
#include "tests/runtime/security_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

// RFC 7677 section 3.
constexpr const char* rfc_salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr const char* rfc_client_first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr const char* rfc_server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* rfc_server_first =
  "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr const char* rfc_client_final =
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* rfc_server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

constexpr const char* invalid_sha512 =
  "Authentication failed during authentication due to invalid credentials with SASL "
  "mechanism SCRAM-SHA-512";

access_metadata rfc_access() {
  access_metadata access;
  access.credentials.push_back(
    credential("user", "pencil", scram_mechanism::sha_256, *base64_decode(rfc_salt)));
  return access;
}

access_metadata sha512_access(const std::string& user = "alice") {
  access_metadata access;
  access.credentials.push_back(credential(user, "secret", scram_mechanism::sha_512));
  return access;
}

// The failure of a client-first-message sent to a fresh SCRAM-SHA-512 server for "alice".
std::string first_failure(const std::string& client_first) {
  scram_server server{scram_mechanism::sha_512, "SN"};
  auto answer = server.respond(client_first, sha512_access());
  CHECK(server.failed());
  return failure(answer);
}

// The failure of a client-final-message after "n,,n=alice,r=CN" (combined nonce "CNSN").
std::string final_failure(const std::string& client_final) {
  scram_server server{scram_mechanism::sha_512, "SN"};
  auto access = sha512_access();
  REQUIRE(server.respond("n,,n=alice,r=CN", access));
  auto answer = server.respond(client_final, access);
  CHECK(server.failed());
  return failure(answer);
}

} // namespace

TEST_CASE("a SCRAM credential holds the salt, the iterations and RFC 5802's two keys",
          "[security][scram]") {
  auto c = credential("user", "pencil", scram_mechanism::sha_256, *base64_decode(rfc_salt));
  CHECK(c.user == "user");
  CHECK(c.mechanism == scram_mechanism::sha_256);
  CHECK(base64_encode(c.salt) == rfc_salt);
  CHECK(c.iterations == 4096);
  // RFC 7677's password and salt; the keys computed with Python's hashlib.pbkdf2_hmac and hmac.
  CHECK(base64_encode(c.stored_key) == "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=");
  CHECK(base64_encode(c.server_key) == "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
  auto c512 = credential("user", "pencil", scram_mechanism::sha_512);
  CHECK(c512.salt.size() == 32);
  CHECK(c512.stored_key.size() == 64);
  CHECK(c512.server_key.size() == 64);
  CHECK(credential("user", "pencil", scram_mechanism::sha_512).salt != c512.salt);
}

TEST_CASE("make_scram_credential refuses an empty user or password and iterations out of "
          "Kafka's bounds",
          "[security][scram]") {
  auto m = scram_mechanism::sha_512;
  CHECK(failure(make_scram_credential("", "pw", m, 4096))
        == "unacceptable_credential: the user name is empty");
  CHECK(failure(make_scram_credential("u", "", m, 4096))
        == "unacceptable_credential: the password is empty");
  CHECK(failure(make_scram_credential("u", "pw", m, 4095))
        == "unacceptable_credential: iterations 4095 outside [4096, 16384]");
  CHECK(failure(make_scram_credential("u", "pw", m, 16385))
        == "unacceptable_credential: iterations 16385 outside [4096, 16384]");
  CHECK(make_scram_credential("u", "pw", m, 16384));
}

TEST_CASE("verify_password accepts only the password the credential was made from",
          "[security][scram]") {
  auto c = credential("user", "pencil", scram_mechanism::sha_512);
  CHECK(verify_password(c, "pencil"));
  CHECK_FALSE(verify_password(c, "pencil2"));
  CHECK_FALSE(verify_password(c, "Pencil"));
  CHECK_FALSE(verify_password(c, ""));
  auto corrupt = c;
  corrupt.iterations = 1;
  CHECK_FALSE(verify_password(corrupt, "pencil"));
  corrupt = c;
  corrupt.stored_key.pop_back();
  CHECK_FALSE(verify_password(corrupt, "pencil"));
}

TEST_CASE("the SCRAM-SHA-256 server reproduces RFC 7677's exchange byte for byte",
          "[security][scram]") {
  scram_server server{scram_mechanism::sha_256, rfc_server_nonce};
  auto access = rfc_access();
  auto first = server.respond(rfc_client_first, access);
  REQUIRE(first);
  CHECK(*first == rfc_server_first);
  CHECK_FALSE(server.complete());
  CHECK(server.user() == "");
  auto final = server.respond(rfc_client_final, access);
  REQUIRE(final);
  CHECK(*final == rfc_server_final);
  CHECK(server.complete());
  CHECK(server.user() == "user");
}

TEST_CASE("the RFC 7677 client's final message replayed after completion is an illegal state",
          "[security][scram]") {
  scram_server server{scram_mechanism::sha_256, rfc_server_nonce};
  auto access = rfc_access();
  REQUIRE(server.respond(rfc_client_first, access));
  REQUIRE(server.respond(rfc_client_final, access));
  CHECK(failure(server.respond(rfc_client_final, access))
        == "illegal_sasl_state: SCRAM message after the exchange completed");
  CHECK(failure(server.respond(rfc_client_first, access))
        == "illegal_sasl_state: SCRAM message after the exchange completed");
  CHECK(server.complete());
}

TEST_CASE("a SCRAM-SHA-512 exchange with a random server nonce authenticates an independent "
          "client",
          "[security][scram]") {
  auto access = sha512_access();
  scram_test_client client{scram_mechanism::sha_512, "alice", "secret", "clientnonce"};
  scram_server server{scram_mechanism::sha_512};
  auto first = server.respond(client.first(), access);
  REQUIRE(first);
  // r= the client's nonce and 32 random base64 characters, then the stored salt.
  CHECK(first->rfind("r=clientnonce", 0) == 0);
  auto s = first->find(",s=");
  REQUIRE(s == 2 + 11 + 32);
  CHECK(first->substr(s) == ",s=" + base64_encode(access.credentials[0].salt) + ",i=4096");
  auto final = server.respond(client.final(*first), access);
  REQUIRE(final);
  CHECK(*final == client.expected_server_final());
  CHECK(server.complete());
  CHECK(server.user() == "alice");
  // Another server draws another nonce.
  scram_server other{scram_mechanism::sha_512};
  auto other_first = other.respond(client.first(), access);
  REQUIRE(other_first);
  CHECK(other_first->substr(0, s) != first->substr(0, s));
}

TEST_CASE("a wrong SCRAM password fails with Kafka's text and ends the exchange",
          "[security][scram]") {
  auto access = sha512_access();
  scram_test_client client{scram_mechanism::sha_512, "alice", "wrong", "cn"};
  scram_server server{scram_mechanism::sha_512};
  auto first = server.respond(client.first(), access);
  REQUIRE(first);
  auto final = client.final(*first);
  CHECK(failure(server.respond(final, access))
        == std::string{"sasl_authentication_failed: "} + invalid_sha512);
  CHECK(server.failed());
  CHECK(server.user() == "");
  CHECK(failure(server.respond(final, access))
        == "illegal_sasl_state: SCRAM message after the exchange failed");
}

TEST_CASE("an unknown SCRAM user fails at the first message with the wrong password's text",
          "[security][scram]") {
  auto expected = std::string{"sasl_authentication_failed: "} + invalid_sha512;
  CHECK(first_failure("n,,n=bob,r=cn") == expected);
  // alice has no SCRAM-SHA-256 credential: a SCRAM-SHA-256 exchange does not know her.
  scram_server server{scram_mechanism::sha_256};
  CHECK(failure(server.respond("n,,n=alice,r=cn", sha512_access()))
        == "sasl_authentication_failed: Authentication failed during authentication due to "
           "invalid credentials with SASL mechanism SCRAM-SHA-256");
}

TEST_CASE("a stored credential outside Kafka's bounds refuses like an unknown user",
          "[security][scram]") {
  auto access = sha512_access();
  access.credentials[0].iterations = 100000000;
  scram_server server{scram_mechanism::sha_512};
  CHECK(failure(server.respond("n,,n=alice,r=cn", access))
        == std::string{"sasl_authentication_failed: "} + invalid_sha512);
}

TEST_CASE("a client final message with another nonce fails with Kafka's text",
          "[security][scram]") {
  auto access = sha512_access();
  scram_test_client client{scram_mechanism::sha_512, "alice", "secret", "cn"};
  scram_server server{scram_mechanism::sha_512, "SN"};
  auto first = server.respond(client.first(), access);
  REQUIRE(first);
  CHECK(failure(server.respond(client.final(*first, "cnSX"), access))
        == "sasl_authentication_failed: Invalid client nonce in the final client message.");
  CHECK(server.failed());
}

TEST_CASE("a final nonce with more in front of the combined one passes, as librdkafka sends it",
          "[security][scram]") {
  // librdkafka 2.0.2 sends its own nonce followed by the whole combined nonce; Kafka checks
  // only that the final nonce ends with the combined one.
  auto access = sha512_access();
  scram_test_client client{scram_mechanism::sha_512, "alice", "secret", "cn"};
  scram_server server{scram_mechanism::sha_512, "SN"};
  auto first = server.respond(client.first(), access);
  REQUIRE(first);
  auto last = server.respond(client.final(*first, "cncnSN"), access);
  INFO((last ? std::string{} : failure(last)));
  CHECK(last);
  CHECK(server.complete());
}

TEST_CASE("SCRAM channel binding is refused in the first message and checked in the final",
          "[security][scram]") {
  CHECK(first_failure("y,,n=alice,r=cn")
        == "sasl_authentication_failed: Invalid SCRAM client first message: channel binding "
           "(gs2 flag 'y') is not supported");
  CHECK(first_failure("p=tls-unique,,n=alice,r=cn")
        == "sasl_authentication_failed: Invalid SCRAM client first message: channel binding "
           "(gs2 flag 'p') is not supported");
  // c= must be the base64 of the gs2 header the client sent ("n,," is "biws"); "eSws" is
  // "y,,".
  CHECK(final_failure("c=eSws,r=CNSN,p=" + base64_encode(std::string(64, 'x')))
        == "sasl_authentication_failed: Invalid SCRAM client final message: the channel "
           "binding c= is not the base64 of the gs2 header");
}

TEST_CASE("a SCRAM authzid is accepted only when it names the user", "[security][scram]") {
  CHECK(first_failure("n,a=admin,n=alice,r=cn")
        == "sasl_authentication_failed: Authentication failed: Client requested an "
           "authorization id that is different from username");
  auto access = sha512_access();
  scram_test_client client{scram_mechanism::sha_512, "alice", "secret", "cn", "n,a=alice,"};
  scram_server server{scram_mechanism::sha_512};
  auto first = server.respond(client.first(), access);
  REQUIRE(first);
  auto final = client.final(*first);
  CHECK(final.rfind("c=bixhPWFsaWNlLA==,", 0) == 0);
  auto answer = server.respond(final, access);
  REQUIRE(answer);
  CHECK(*answer == client.expected_server_final());
  CHECK(server.user() == "alice");
  // After "n,a=alice," the channel binding must say so: c=biws ("n,,") does not.
  scram_server other{scram_mechanism::sha_512};
  scram_test_client plain_gs2{scram_mechanism::sha_512, "alice", "secret", "cn"};
  first = other.respond(client.first(), access);
  REQUIRE(first);
  CHECK(failure(other.respond(plain_gs2.final(*first), access))
        == "sasl_authentication_failed: Invalid SCRAM client final message: the channel "
           "binding c= is not the base64 of the gs2 header");
}

TEST_CASE("SCRAM saslnames are unescaped (=2C is ',' and =3D is '=')", "[security][scram]") {
  auto access = sha512_access("a,b=c");
  scram_test_client client{scram_mechanism::sha_512, "a=2Cb=3Dc", "secret", "cn"};
  scram_server server{scram_mechanism::sha_512};
  auto first = server.respond(client.first(), access);
  REQUIRE(first);
  auto final = server.respond(client.final(*first), access);
  REQUIRE(final);
  CHECK(*final == client.expected_server_final());
  CHECK(server.user() == "a,b=c");
  CHECK(first_failure("n,,n=a=2Xb,r=cn")
        == "sasl_authentication_failed: Invalid SCRAM client first message: the username is "
           "empty or has an invalid '=' escape");
}

TEST_CASE("SCRAM extensions are ignored except tokenauth=true", "[security][scram]") {
  scram_server server{scram_mechanism::sha_512, "SN"};
  auto first = server.respond("n,,n=alice,r=cn,ext=1,tokenauth=false", sha512_access());
  REQUIRE(first);
  CHECK(first->rfind("r=cnSN,s=", 0) == 0);
  CHECK(first_failure("n,,n=alice,r=cn,tokenauth=TRUE")
        == "sasl_authentication_failed: Invalid SCRAM client first message: delegation token "
           "authentication (tokenauth) is not supported");
}

TEST_CASE("malformed SCRAM client first messages fail with what is wrong",
          "[security][scram]") {
  auto prefix = std::string{"sasl_authentication_failed: Invalid SCRAM client first message: "};
  CHECK(first_failure("") == prefix + "no gs2 header");
  CHECK(first_failure("n,") == prefix + "no gs2 header");
  CHECK(first_failure("x,,n=alice,r=cn") == prefix + "the gs2 header does not start with 'n,'");
  CHECK(first_failure("n,alice,n=alice,r=cn")
        == prefix + "the gs2 header's authzid is not a=<saslname>");
  CHECK(first_failure("n,,") == prefix + "no n=<username>");
  CHECK(first_failure("n,,r=cn,n=alice") == prefix + "no n=<username>");
  CHECK(first_failure("n,,m=x,n=alice,r=cn")
        == prefix + "mandatory extensions (m=) are not supported");
  CHECK(first_failure("n,,n=,r=cn")
        == prefix + "the username is empty or has an invalid '=' escape");
  CHECK(first_failure(std::string{"n,,n=al\0ce,r=cn", 15})
        == prefix + "the username is empty or has an invalid '=' escape");
  CHECK(first_failure("n,,n=alice") == prefix + "no r=<nonce> after the username");
  CHECK(first_failure("n,,n=alice,r=") == prefix + "the nonce is empty or not printable ASCII");
  CHECK(first_failure("n,,n=alice,r=c n")
        == prefix + "the nonce is empty or not printable ASCII");
  CHECK(first_failure("n,,n=alice,r=cn,x") == prefix + "an extension is not name=value");
  CHECK(first_failure("n,,n=alice,r=cn,=1") == prefix + "an extension is not name=value");
  CHECK(first_failure("n,,n=alice,r=cn,x1=1")
        == prefix + "an extension name has a character other than a letter");
}

TEST_CASE("malformed SCRAM client final messages fail with what is wrong",
          "[security][scram]") {
  auto prefix = std::string{"sasl_authentication_failed: Invalid SCRAM client final message: "};
  auto proof = base64_encode(std::string(64, 'x'));
  CHECK(final_failure("") == prefix + "no p=<proof> at the end");
  CHECK(final_failure("c=biws,r=CNSN") == prefix + "no p=<proof> at the end");
  CHECK(final_failure("r=CNSN,p=" + proof) == prefix + "no c=<channel binding> at the start");
  CHECK(final_failure("c=biw,r=CNSN,p=" + proof)
        == prefix + "the channel binding is not base64");
  CHECK(final_failure("c=biws,p=" + proof)
        == prefix + "no r=<nonce> after the channel binding");
  CHECK(final_failure("c=biws,r=CNSN,p=abc") == prefix + "the proof is not base64");
  CHECK(final_failure("c=biws,r=CNSN,p=" + base64_encode("short"))
        == prefix + "the proof has 5 bytes, not 64");
  // Well formed but not from the password: Kafka's text.
  CHECK(final_failure("c=biws,r=CNSN,ext=1,p=" + proof)
        == std::string{"sasl_authentication_failed: "} + invalid_sha512);
}
