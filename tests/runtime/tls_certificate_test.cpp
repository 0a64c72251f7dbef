// Tests of the cluster CA and the certificates it issues (runtime/tls/certificate_authority)
// and of reading a certificate's cafka identity (runtime/tls/peer_identity).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <openssl/x509v3.h>

#include "runtime/base/errc.hpp"
#include "runtime/tls/certificate_authority.hpp"
#include "runtime/tls/peer_identity.hpp"
#include "tests/runtime/tls_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

bool critical(X509* cert, int nid) {
  auto i = X509_get_ext_by_NID(cert, nid, -1);
  REQUIRE(i >= 0);
  return X509_EXTENSION_get_critical(X509_get_ext(cert, i)) == 1;
}

std::string common_name(X509* cert) {
  char buf[128] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  return buf;
}

// The SAN entries as "URI:...", "IP:<n bytes>" or "DNS:...".
std::vector<std::string> san_of(X509* cert) {
  std::vector<std::string> out;
  tls::general_names_ptr names{static_cast<GENERAL_NAMES*>(
    X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))};
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    auto g = sk_GENERAL_NAME_value(names.get(), i);
    auto s = g->d.ia5;
    std::string text{reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s))};
    if (g->type == GEN_URI)
      out.push_back("URI:" + text);
    else if (g->type == GEN_DNS)
      out.push_back("DNS:" + text);
    else if (g->type == GEN_IPADD)
      out.push_back("IP:" + std::to_string(text.size()) + " bytes");
  }
  return out;
}

tls::credentials leaf(const tls::credentials& ca, std::vector<std::string> uris) {
  auto c = tls::issue_certificate(ca, tls::leaf_spec{"test", std::move(uris), {}, 1});
  REQUIRE(c);
  return std::move(*c);
}

} // namespace

TEST_CASE("the cluster CA is a self-signed CA for one level of leaves", "[tls]") {
  auto ca = tls::make_cluster_ca(3650);
  REQUIRE(ca);
  auto x = ca->certificate.get();
  CHECK(common_name(x) == "cafka cluster CA");
  CHECK(X509_check_issued(x, x) == X509_V_OK);
  CHECK(X509_verify(x, ca->key.get()) == 1);
  CHECK(X509_check_ca(x) == 1);
  CHECK(X509_get_pathlen(x) == 0);
  CHECK(critical(x, NID_basic_constraints));
  CHECK(critical(x, NID_key_usage));
  CHECK(X509_get_key_usage(x) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(X509_get0_subject_key_id(x) != nullptr);
  CHECK(EVP_PKEY_is_a(ca->key.get(), "EC"));
  CHECK(EVP_PKEY_get_bits(ca->key.get()) == 256);
  // About ten years from now (the day boundaries of the check are generous).
  CHECK(X509_cmp_timeframe(nullptr, X509_get0_notBefore(x), X509_get0_notAfter(x)) == 0);
  int days = 0, secs = 0;
  REQUIRE(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(x)) == 1);
  CHECK(days >= 3649);
  CHECK(days <= 3650);
}

TEST_CASE("a node certificate names the node by URI and its host", "[tls]") {
  auto ca = tls::make_cluster_ca(30);
  REQUIRE(ca);
  auto node = tls::issue_node_certificate(*ca, node_id{2}, "127.0.0.1", 825);
  REQUIRE(node);
  auto x = node->certificate.get();
  CHECK(common_name(x) == "cafka node 2");
  CHECK(san_of(x) == std::vector<std::string>{"URI:urn:cafka:node:2", "IP:4 bytes"});
  CHECK(X509_verify(x, ca->key.get()) == 1);
  CHECK(X509_check_issued(ca->certificate.get(), x) == X509_V_OK);
  CHECK(X509_check_ca(x) == 0);
  CHECK(critical(x, NID_basic_constraints));
  CHECK(critical(x, NID_key_usage));
  CHECK(X509_get_key_usage(x) == (KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT));
  CHECK(X509_get_extended_key_usage(x) == (XKU_SSL_SERVER | XKU_SSL_CLIENT));
  CHECK(X509_get_signature_nid(x) == NID_ecdsa_with_SHA256);
  tls::bignum_ptr serial{ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr)};
  CHECK(BN_num_bits(serial.get()) == 128);
  CHECK_FALSE(BN_is_negative(serial.get()));
  int days = 0, secs = 0;
  REQUIRE(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), nullptr) == 1);
  CHECK(days == 0);
  CHECK(secs >= 3600);
  CHECK(secs < 3700);
  auto id = tls::identity_of(x);
  REQUIRE(id);
  CHECK(*id == tls::node_identity(node_id{2}));
  CHECK(to_string(*id) == "node 2");

  SECTION("an IPv6 host is an IP entry, a name is a DNS entry") {
    auto v6 = tls::issue_node_certificate(*ca, node_id{3}, "::1", 1);
    REQUIRE(v6);
    CHECK(san_of(v6->certificate.get())
          == std::vector<std::string>{"URI:urn:cafka:node:3", "IP:16 bytes"});
    auto dns = tls::issue_node_certificate(*ca, node_id{0}, "broker-0.example.com", 1);
    REQUIRE(dns);
    CHECK(san_of(dns->certificate.get())
          == std::vector<std::string>{"URI:urn:cafka:node:0", "DNS:broker-0.example.com"});
  }
  SECTION("a host that is neither an address nor a name is refused") {
    auto bad = tls::issue_node_certificate(*ca, node_id{4}, "a,URI:urn:cafka:node:1", 1);
    REQUIRE_FALSE(bad);
    CHECK(errc_of(bad.error()) == errc::invalid_config);
    CHECK(context_of(bad.error())
          == "node 4: host 'a,URI:urn:cafka:node:1' is neither an IP address nor a DNS name");
  }
}

TEST_CASE("a client certificate names the client by URI", "[tls]") {
  auto ca = tls::make_cluster_ca(30);
  REQUIRE(ca);
  auto c = tls::issue_client_certificate(*ca, "ops-team.1", 825);
  REQUIRE(c);
  CHECK(common_name(c->certificate.get()) == "cafka client ops-team.1");
  CHECK(san_of(c->certificate.get()) == std::vector<std::string>{"URI:urn:cafka:client:ops-team.1"});
  auto id = tls::identity_of(c->certificate.get());
  REQUIRE(id);
  CHECK(*id == tls::client_identity("ops-team.1"));
  CHECK(to_string(*id) == "client 'ops-team.1'");
  auto bad = tls::issue_client_certificate(*ca, "a b", 825);
  REQUIRE_FALSE(bad);
  CHECK(context_of(bad.error())
        == "client name 'a b' must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
}

TEST_CASE("validity days outside 0 to 36500 are refused", "[tls]") {
  auto ca = tls::make_cluster_ca(-1);
  REQUIRE_FALSE(ca);
  CHECK(context_of(ca.error()) == "certificate validity must be 0 to 36500 days, got -1");
}

TEST_CASE("identity_of wants exactly one well-formed cafka URI", "[tls]") {
  auto ca = tls::make_cluster_ca(30);
  REQUIRE(ca);
  auto refused = [&](std::vector<std::string> uris) {
    auto c = leaf(*ca, std::move(uris));
    auto id = tls::identity_of(c.certificate.get());
    REQUIRE_FALSE(id);
    CHECK(errc_of(id.error()) == errc::invalid_config);
    return context_of(id.error());
  };
  CHECK(refused({}) == "the certificate's subjectAltName has no urn:cafka: URI");
  CHECK(refused({"https://example.com/"})
        == "the certificate's subjectAltName has no urn:cafka: URI");
  CHECK(refused({"urn:cafka:node:1", "urn:cafka:node:2"})
        == "the certificate's subjectAltName has 2 urn:cafka: URIs ('urn:cafka:node:1', "
           "'urn:cafka:node:2'); a certificate names one node or client");
  CHECK(refused({"urn:cafka:node:1", "urn:cafka:client:x"})
        == "the certificate's subjectAltName has 2 urn:cafka: URIs ('urn:cafka:node:1', "
           "'urn:cafka:client:x'); a certificate names one node or client");
  auto bad_id = "the node id must be a decimal number from 0 to 2147483647";
  CHECK(refused({"urn:cafka:node:2x"})
        == "malformed cafka URI 'urn:cafka:node:2x' (" + std::string{bad_id} + ")");
  for (auto id : {"", "-1", "+1", "01", "2147483648", "99999999999", " 1"}) {
    auto uri = std::string{"urn:cafka:node:"} + id;
    CHECK(refused({uri}) == "malformed cafka URI '" + uri + "' (" + bad_id + ")");
  }
  CHECK(refused({"urn:cafka:client:"})
        == "malformed cafka URI 'urn:cafka:client:' (a client name is 1 to 64 characters "
           "of A-Z a-z 0-9 . _ -)");
  CHECK(refused({"urn:cafka:admin:1"})
        == "malformed cafka URI 'urn:cafka:admin:1' (expected urn:cafka:node:<id> or "
           "urn:cafka:client:<name>)");
  // Other URIs beside the one cafka URI do not matter.
  auto ok = leaf(*ca, {"https://example.com/", "urn:cafka:node:2147483647"});
  auto id = tls::identity_of(ok.certificate.get());
  REQUIRE(id);
  CHECK(*id == tls::node_identity(node_id{2147483647}));
  CHECK(context_of(tls::identity_of(nullptr).error()) == "no certificate");
}

TEST_CASE("identity_of_file reads the first certificate of a PEM file", "[tls]") {
  tls_dir dir;
  auto node = tls::issue_node_certificate(dir.ca(), node_id{7}, "localhost", 1);
  REQUIRE(node);
  auto id = tls::identity_of_file(dir.write(*node, "node-7"));
  REQUIRE(id);
  CHECK(*id == tls::node_identity(node_id{7}));
  auto ca_id = tls::identity_of_file(dir.ca_file());
  REQUIRE_FALSE(ca_id);
  CHECK(context_of(ca_id.error())
        == dir.ca_file() + ": the certificate's subjectAltName has no urn:cafka: URI");
  auto missing = tls::identity_of_file(dir.file("none.pem"));
  REQUIRE_FALSE(missing);
  CHECK(context_of(missing.error())
        == dir.file("none.pem") + ": cannot read (No such file or directory)");
  dir.write_text("junk.pem", "hello\n");
  CHECK(context_of(tls::identity_of_file(dir.file("junk.pem")).error())
        == dir.file("junk.pem") + ": no PEM certificate");
}
