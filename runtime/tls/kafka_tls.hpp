// TLS for SSL:// Kafka listeners, driven by hand over memory BIOs so that the connection
// broker never blocks: the server context (made once per listener at startup from [tls]) and
// one stream per connection. A stream belongs to its connection broker (CAF's multiplexer
// thread); a context is immutable once made and shared by its listener's streams.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <caf/expected.hpp>
#include <openssl/ssl.h>

#include "runtime/base/ids.hpp"
#include "runtime/config/tls_config.hpp"

namespace cafka::tls {

// An SSL_CTX for accepting Kafka clients: the node's certificate chain and key, the cluster
// CA for client certificates, TLS 1.2 or newer, client certificates per cfg.client_auth.
class kafka_server_context {
public:
  explicit kafka_server_context(SSL_CTX* ctx) : ctx_(ctx) {}
  ~kafka_server_context() { SSL_CTX_free(ctx_); }
  kafka_server_context(const kafka_server_context&) = delete;
  kafka_server_context& operator=(const kafka_server_context&) = delete;
  SSL_CTX* get() const { return ctx_; }

private:
  SSL_CTX* ctx_;
};

// The context of node `id` from [tls] (certificate_of(id), key_of(id), ca-file, the keys'
// passphrase). `listener` names the listener in errors. Errors (errc::invalid_config): no
// [tls] section ("listener SSL://...: needs the node's certificate, and cluster.conf has no
// [tls] section (run `cafka tls init`)"), or a file that does not load, named.
caf::expected<std::shared_ptr<const kafka_server_context>>
make_kafka_server_context(const tls_config& cfg, node_id id, const std::string& listener);

// The server side of one TLS connection. Feed it what the socket read; take what it wants
// written. Invariant: once failed() it stays failed and decrypts nothing more.
class kafka_tls_stream {
public:
  explicit kafka_tls_stream(std::shared_ptr<const kafka_server_context> ctx);
  ~kafka_tls_stream();
  kafka_tls_stream(const kafka_tls_stream&) = delete;
  kafka_tls_stream& operator=(const kafka_tls_stream&) = delete;

  // Hands `n` bytes from the socket to TLS and appends what they decrypt to `plain`
  // (handshake messages produce output only). Returns false if the connection failed
  // (failure() says why) or the client closed it with close_notify.
  bool feed(const char* data, size_t n, std::string& plain);

  // Encrypts `n` bytes of application data. Requires: handshake_done(). Returns false
  // if TLS failed.
  bool write(const char* data, size_t n);

  // The bytes TLS wants on the socket (handshake, alerts, records), emptied.
  std::string take_output();

  bool handshake_done() const;
  // The verified client certificate's subject in RFC 2253 form ("CN=client,O=cafka"), as
  // Kafka names an SSL client's principal; "" without a client certificate.
  std::string peer_subject() const;
  bool failed() const { return !failure_.empty(); }
  // Why the connection failed, one line (e.g. "wrong version number", "peer did not
  // return a certificate").
  const std::string& failure() const { return failure_; }

private:
  // Records why the last call on ssl_ failed with `rc`; false if it was only WANT_READ.
  bool note_failure(int rc);

  std::shared_ptr<const kafka_server_context> ctx_;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
  bool closed_ = false;
  std::string failure_;
};

// Logs a refused or failed Kafka TLS connection: each (peer address, reason) once, then at
// most every 10 s with the count of repeats in between (peer_refusal_log), e.g.
// "kafka TLS: refused 127.0.0.1:50312: wrong version number (a plaintext client?)".
void log_kafka_tls_refusal(const std::string& peer, const std::string& reason);

} // namespace cafka::tls
