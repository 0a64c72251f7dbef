// Tests of check_credentials (runtime/tls/tls_credentials): the startup check of a CA file,
// a certificate and its key, with one error line naming the bad file.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/tls/certificate_authority.hpp"
#include "runtime/tls/tls_credentials.hpp"
#include "tests/runtime/tls_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

// The one-line error of a refused check.
std::string refusal(const caf::expected<tls::peer_identity>& r) {
  REQUIRE_FALSE(r);
  CHECK(errc_of(r.error()) == errc::invalid_config);
  return context_of(r.error());
}

} // namespace

TEST_CASE("check_credentials accepts the CA's node and client certificates", "[tls]") {
  tls_dir dir;
  auto node = tls::issue_node_certificate(dir.ca(), node_id{2}, "127.0.0.1", 825);
  auto client = tls::issue_client_certificate(dir.ca(), "client", 825);
  REQUIRE(node);
  REQUIRE(client);
  dir.write(*node, "node-2");
  dir.write(*client, "client", "s3cret passphrase");
  auto n = tls::check_credentials(dir.ca_file(), dir.file("node-2.pem"),
                                  dir.file("node-2.key"), "");
  REQUIRE(n);
  CHECK(*n == tls::node_identity(node_id{2}));
  auto c = tls::check_credentials(dir.ca_file(), dir.file("client.pem"),
                                  dir.file("client.key"), "s3cret passphrase");
  REQUIRE(c);
  CHECK(*c == tls::client_identity("client"));
  // A passphrase for a plain key does no harm.
  CHECK(tls::check_credentials(dir.ca_file(), dir.file("node-2.pem"), dir.file("node-2.key"),
                               "unused"));
}

TEST_CASE("check_credentials refuses a certificate of another CA", "[tls]") {
  tls_dir dir;
  auto other_ca = tls::make_cluster_ca(30);
  REQUIRE(other_ca);
  auto node = tls::issue_node_certificate(*other_ca, node_id{2}, "127.0.0.1", 825);
  REQUIRE(node);
  dir.write(*node, "node-2");
  auto pem = dir.file("node-2.pem");
  CHECK(refusal(tls::check_credentials(dir.ca_file(), pem, dir.file("node-2.key"), ""))
        == pem + ": not signed by the CA in " + dir.ca_file()
             + " (unable to get local issuer certificate)");
}

TEST_CASE("check_credentials refuses a wrong or missing passphrase", "[tls]") {
  tls_dir dir;
  auto node = tls::issue_node_certificate(dir.ca(), node_id{2}, "127.0.0.1", 825);
  REQUIRE(node);
  dir.write(*node, "node-2", "right");
  auto key = dir.file("node-2.key");
  auto check = [&](const std::string& passphrase) {
    return tls::check_credentials(dir.ca_file(), dir.file("node-2.pem"), key, passphrase);
  };
  CHECK(refusal(check("wrong")) == key + ": wrong passphrase or not a PEM private key");
  CHECK(refusal(check("")) == key + ": encrypted, and no passphrase was given");
  CHECK(check("right"));
  auto text = read_text(key);
  CHECK(text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") == 0);
}

TEST_CASE("check_credentials refuses a key that is not the certificate's", "[tls]") {
  tls_dir dir;
  auto a = tls::issue_node_certificate(dir.ca(), node_id{1}, "127.0.0.1", 825);
  auto b = tls::issue_node_certificate(dir.ca(), node_id{2}, "127.0.0.1", 825);
  REQUIRE(a);
  REQUIRE(b);
  dir.write(*a, "node-1");
  dir.write(*b, "node-2");
  auto key = dir.file("node-1.key");
  CHECK(refusal(tls::check_credentials(dir.ca_file(), dir.file("node-2.pem"), key, ""))
        == key + ": does not belong to the certificate in " + dir.file("node-2.pem"));
  dir.write_text("junk.key", "not a key\n");
  CHECK(refusal(tls::check_credentials(dir.ca_file(), dir.file("node-2.pem"),
                                       dir.file("junk.key"), ""))
        == dir.file("junk.key") + ": not a PEM private key");
}

TEST_CASE("check_credentials refuses an expired certificate or CA", "[tls]") {
  tls_dir dir;
  auto node = tls::issue_node_certificate(dir.ca(), node_id{2}, "127.0.0.1", 0);
  REQUIRE(node);
  dir.write(*node, "node-2");
  auto pem = dir.file("node-2.pem");
  CHECK(refusal(tls::check_credentials(dir.ca_file(), pem, dir.file("node-2.key"), ""))
        == pem + ": expired");

  auto old_ca = tls::make_cluster_ca(0);
  REQUIRE(old_ca);
  auto ca_file = dir.write(*old_ca, "old-ca");
  auto fresh = tls::issue_node_certificate(*old_ca, node_id{3}, "127.0.0.1", 825);
  REQUIRE(fresh);
  dir.write(*fresh, "node-3");
  CHECK(refusal(tls::check_credentials(ca_file, dir.file("node-3.pem"),
                                       dir.file("node-3.key"), ""))
        == ca_file + ": expired");
}

TEST_CASE("check_credentials names a missing or unreadable file", "[tls]") {
  tls_dir dir;
  auto missing = dir.file("nope.pem");
  CHECK(refusal(tls::check_credentials(missing, dir.ca_file(), dir.file("ca.key"), ""))
        == missing + ": cannot read (No such file or directory)");
  CHECK(refusal(tls::check_credentials(dir.ca_file(), missing, dir.file("ca.key"), ""))
        == missing + ": cannot read (No such file or directory)");
  dir.write_text("empty.pem", "");
  CHECK(refusal(tls::check_credentials(dir.file("empty.pem"), dir.ca_file(),
                                       dir.file("ca.key"), ""))
        == dir.file("empty.pem") + ": no PEM certificate");
  dir.write_text("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  auto broken = refusal(tls::check_credentials(dir.ca_file(), dir.file("broken.pem"),
                                               dir.file("ca.key"), ""));
  CHECK(broken.rfind(dir.file("broken.pem") + ": not a PEM certificate (", 0) == 0);
}

TEST_CASE("check_credentials refuses a certified key without a cafka identity", "[tls]") {
  tls_dir dir;
  // The CA's own files: they verify, but name no node or client.
  CHECK(refusal(tls::check_credentials(dir.ca_file(), dir.ca_file(), dir.file("ca.key"), ""))
        == dir.ca_file() + ": the certificate's subjectAltName has no urn:cafka: URI");
}
