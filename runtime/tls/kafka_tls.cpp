#include "runtime/tls/kafka_tls.hpp"


#include <openssl/err.h>

#include "runtime/base/errc.hpp"
#include "runtime/tls/peer_refusal_log.hpp"
#include "runtime/tls/pem_io.hpp"

namespace cafka::tls {

namespace {

caf::error context_error(const std::string& what) {
  return openssl_error(what);
}

// Loads the chain and key into ctx and the CA into its store. Errors name the file.
caf::error load_credentials(SSL_CTX* ctx, const tls_config& cfg, node_id id) {
  auto passphrase = read_key_passphrase(cfg);
  if (!passphrase)
    return passphrase.error();
  auto chain = read_certificates(cfg.certificate_of(id));
  if (!chain)
    return chain.error();
  auto key = read_private_key(cfg.key_of(id), *passphrase);
  if (!key)
    return key.error();
  auto ca = read_certificates(cfg.ca_file);
  if (!ca)
    return ca.error();
  if (SSL_CTX_use_certificate(ctx, (*chain)[0].get()) != 1)
    return context_error(cfg.certificate_of(id));
  for (size_t i = 1; i < chain->size(); ++i)
    if (SSL_CTX_add1_chain_cert(ctx, (*chain)[i].get()) != 1)
      return context_error(cfg.certificate_of(id));
  if (SSL_CTX_use_PrivateKey(ctx, key->get()) != 1 || SSL_CTX_check_private_key(ctx) != 1)
    return context_error(cfg.key_of(id) + ": does not belong to the certificate in "
                         + cfg.certificate_of(id));
  auto store = SSL_CTX_get_cert_store(ctx);
  for (auto& c : *ca) {
    if (X509_STORE_add_cert(store, c.get()) != 1)
      return context_error(cfg.ca_file);
    if (SSL_CTX_add_client_CA(ctx, c.get()) != 1)
      return context_error(cfg.ca_file);
  }
  return {};
}

int verify_mode(ssl_client_auth auth) {
  switch (auth) {
    case ssl_client_auth::required:
      return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    case ssl_client_auth::requested:
      return SSL_VERIFY_PEER;
    case ssl_client_auth::none:
      break;
  }
  return SSL_VERIFY_NONE;
}

} // namespace

caf::expected<std::shared_ptr<const kafka_server_context>>
make_kafka_server_context(const tls_config& cfg, node_id id, const std::string& listener) {
  if (!cfg.enabled)
    return make_error(errc::invalid_config,
                      "listener " + listener + ": needs the node's certificate, and the "
                      "config has no [tls] section (run `cafka tls init`)");
  ERR_clear_error();
  auto ctx = std::make_shared<kafka_server_context>(SSL_CTX_new(TLS_server_method()));
  if (ctx->get() == nullptr)
    return context_error("listener " + listener);
  SSL_CTX_set_min_proto_version(ctx->get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx->get(), SSL_MODE_RELEASE_BUFFERS);
  if (auto err = load_credentials(ctx->get(), cfg, id))
    return err;
  SSL_CTX_set_verify(ctx->get(), verify_mode(cfg.client_auth), nullptr);
  ERR_clear_error();
  return std::shared_ptr<const kafka_server_context>{std::move(ctx)};
}

kafka_tls_stream::kafka_tls_stream(std::shared_ptr<const kafka_server_context> ctx)
  : ctx_(std::move(ctx)) {
  ssl_ = SSL_new(ctx_->get());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || in_ == nullptr || out_ == nullptr) {
    BIO_free(in_);
    BIO_free(out_);
    in_ = out_ = nullptr;
    failure_ = "cannot make a TLS session: " + openssl_error_string();
    return;
  }
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_accept_state(ssl_);
}

kafka_tls_stream::~kafka_tls_stream() {
  SSL_free(ssl_);
}

bool kafka_tls_stream::note_failure(int rc) {
  auto code = SSL_get_error(ssl_, rc);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return false;
  }
  if (code == SSL_ERROR_ZERO_RETURN) {
    closed_ = true;
    ERR_clear_error();
    return true;
  }
  auto err = ERR_peek_last_error();
  auto reason = err != 0 && ERR_reason_error_string(err) != nullptr
                  ? std::string{ERR_reason_error_string(err)}
                  : std::string{"connection failed (OpenSSL error "} + std::to_string(code)
                      + ")";
  auto verified = SSL_get_verify_result(ssl_);
  if (verified != X509_V_OK)
    reason += std::string{": "} + X509_verify_cert_error_string(verified);
  if (ERR_GET_REASON(err) == SSL_R_WRONG_VERSION_NUMBER
      || ERR_GET_REASON(err) == SSL_R_HTTP_REQUEST)
    reason += " (a plaintext client?)";
  failure_ = reason;
  ERR_clear_error();
  return true;
}

bool kafka_tls_stream::feed(const char* data, size_t n, std::string& plain) {
  if (failed() || closed_)
    return false;
  ERR_clear_error();
  if (n > 0 && BIO_write(in_, data, static_cast<int>(n)) != static_cast<int>(n)) {
    failure_ = "cannot buffer TLS input: " + openssl_error_string();
    return false;
  }
  char buf[16 * 1024];
  for (;;) {
    ERR_clear_error();
    int rc = SSL_read(ssl_, buf, sizeof(buf));
    if (rc > 0) {
      plain.append(buf, static_cast<size_t>(rc));
      continue;
    }
    if (note_failure(rc))
      return false;
    return true;
  }
}

bool kafka_tls_stream::write(const char* data, size_t n) {
  if (failed() || closed_)
    return false;
  while (n > 0) {
    ERR_clear_error();
    int rc = SSL_write(ssl_, data, static_cast<int>(std::min<size_t>(n, 1 << 30)));
    if (rc <= 0) {
      note_failure(rc);
      if (failure_.empty())
        failure_ = "TLS write failed";
      return false;
    }
    data += rc;
    n -= static_cast<size_t>(rc);
  }
  return true;
}

std::string kafka_tls_stream::take_output() {
  std::string out;
  if (out_ == nullptr)
    return out;
  auto pending = BIO_ctrl_pending(out_);
  if (pending == 0)
    return out;
  out.resize(pending);
  auto got = BIO_read(out_, out.data(), static_cast<int>(pending));
  out.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return out;
}

bool kafka_tls_stream::handshake_done() const {
  return ssl_ != nullptr && SSL_is_init_finished(ssl_) == 1;
}

std::string kafka_tls_stream::peer_subject() const {
  if (ssl_ == nullptr || SSL_get_verify_result(ssl_) != X509_V_OK)
    return {};
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr)
    return {};
  std::string out;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      auto n = BIO_get_mem_data(bio, &data);
      if (n > 0)
        out.assign(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
  }
  X509_free(cert);
  return out;
}

void log_kafka_tls_refusal(const std::string& peer, const std::string& reason) {
  static peer_refusal_log log{"kafka TLS: "};
  log.write(peer, reason, "refused " + peer + ": " + reason);
}

} // namespace cafka::tls
