// Tests of the Kafka listener's TLS stream (runtime/tls/kafka_tls): a handshake and data both
// ways with an in-memory OpenSSL client, a plaintext client refused with the reason, and
// ssl-client-auth=required refusing a client without a certificate.
#include <catch2/catch.hpp>

#include <string>

#include <openssl/ssl.h>

#include "runtime/base/errc.hpp"
#include "runtime/tls/certificate_authority.hpp"
#include "runtime/tls/kafka_tls.hpp"
#include "tests/runtime/tls_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

// [tls] of a node 1 whose files are in `dir`.
tls_config node_files(tls_dir& dir, ssl_client_auth auth) {
  auto node = tls::issue_node_certificate(dir.ca(), node_id{1}, "127.0.0.1", 30);
  auto client = tls::issue_client_certificate(dir.ca(), "client", 30);
  REQUIRE(node);
  REQUIRE(client);
  dir.write(*node, "node-1");
  dir.write(*client, "client");
  tls_config cfg;
  cfg.enabled = true;
  cfg.ca_file = dir.ca_file();
  cfg.certificate = dir.file("node-{id}.pem");
  cfg.key = dir.file("node-{id}.key");
  cfg.client_auth = auth;
  return cfg;
}

// An OpenSSL client over memory BIOs that trusts the CA and checks the host 127.0.0.1.
struct memory_client {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = nullptr;
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());

  memory_client(const std::string& ca_file, const std::string& cert, const std::string& key) {
    REQUIRE(SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!cert.empty()) {
      REQUIRE(SSL_CTX_use_certificate_file(ctx, cert.c_str(), SSL_FILETYPE_PEM) == 1);
      REQUIRE(SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) == 1);
    }
    ssl = SSL_new(ctx);
    SSL_set_bio(ssl, in, out);
    SSL_set1_host(ssl, "127.0.0.1");
    SSL_set_connect_state(ssl);
  }
  ~memory_client() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }

  std::string take() {
    std::string s(BIO_ctrl_pending(out), '\0');
    if (!s.empty())
      BIO_read(out, s.data(), static_cast<int>(s.size()));
    return s;
  }
};

// Moves bytes between client and server until neither has any; what the server decrypted
// goes to `plain`. Returns the server's last feed result.
bool pump(memory_client& c, tls::kafka_tls_stream& s, std::string& plain) {
  bool ok = true;
  for (int round = 0; round < 20; ++round) {
    SSL_do_handshake(c.ssl);
    auto to_server = c.take();
    if (!to_server.empty())
      ok = s.feed(to_server.data(), to_server.size(), plain);
    auto to_client = s.take_output();
    if (!to_client.empty())
      BIO_write(c.in, to_client.data(), static_cast<int>(to_client.size()));
    if (!ok || (to_server.empty() && to_client.empty()))
      break;
  }
  return ok;
}

} // namespace

TEST_CASE("a Kafka TLS stream handshakes and carries data both ways", "[tls]") {
  tls_dir dir;
  auto cfg = node_files(dir, ssl_client_auth::none);
  auto ctx = tls::make_kafka_server_context(cfg, node_id{1}, "SSL://127.0.0.1:9093");
  REQUIRE(ctx);
  tls::kafka_tls_stream s{*ctx};
  memory_client c{dir.ca_file(), {}, {}};
  std::string plain;
  REQUIRE(pump(c, s, plain));
  CHECK(s.handshake_done());
  CHECK(SSL_is_init_finished(c.ssl) == 1);
  REQUIRE(SSL_write(c.ssl, "request", 7) == 7);
  REQUIRE(pump(c, s, plain));
  CHECK(plain == "request");
  REQUIRE(s.write("answer", 6));
  auto out = s.take_output();
  BIO_write(c.in, out.data(), static_cast<int>(out.size()));
  char buf[16];
  REQUIRE(SSL_read(c.ssl, buf, sizeof(buf)) == 6);
  CHECK(std::string(buf, 6) == "answer");
  CHECK_FALSE(s.failed());
}

TEST_CASE("a plaintext Kafka client on a TLS stream fails with the reason", "[tls]") {
  tls_dir dir;
  auto ctx = tls::make_kafka_server_context(node_files(dir, ssl_client_auth::none), node_id{1},
                                            "SSL://127.0.0.1:9093");
  REQUIRE(ctx);
  tls::kafka_tls_stream s{*ctx};
  std::string api_versions("\0\0\0\x0e\0\x12\0\0\0\0\0\x01\0\x04kcat", 18);
  std::string plain;
  CHECK_FALSE(s.feed(api_versions.data(), api_versions.size(), plain));
  CHECK(s.failed());
  CHECK(s.failure() == "wrong version number (a plaintext client?)");
  CHECK(plain.empty());
}

TEST_CASE("ssl-client-auth=required refuses a Kafka client without a certificate", "[tls]") {
  tls_dir dir;
  auto ctx = tls::make_kafka_server_context(node_files(dir, ssl_client_auth::required),
                                            node_id{1}, "SSL://127.0.0.1:9093");
  REQUIRE(ctx);
  SECTION("without one") {
    tls::kafka_tls_stream s{*ctx};
    memory_client c{dir.ca_file(), {}, {}};
    std::string plain;
    CHECK_FALSE(pump(c, s, plain));
    CHECK(s.failure() == "peer did not return a certificate");
  }
  SECTION("with the cluster's client certificate") {
    tls::kafka_tls_stream s{*ctx};
    memory_client c{dir.ca_file(), dir.file("client.pem"), dir.file("client.key")};
    std::string plain;
    CHECK(pump(c, s, plain));
    CHECK(s.handshake_done());
  }
}

TEST_CASE("a Kafka TLS context needs [tls]", "[tls]") {
  auto ctx = tls::make_kafka_server_context(tls_config{}, node_id{1}, "SSL://127.0.0.1:9093");
  REQUIRE_FALSE(ctx);
  CHECK(errc_of(ctx.error()) == errc::invalid_config);
  CHECK(context_of(ctx.error())
        == "listener SSL://127.0.0.1:9093: needs the node's certificate, and the config has "
           "no [tls] section (run `cafka tls init`)");
}
