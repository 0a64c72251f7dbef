#include "runtime/tls/tls_credentials.hpp"

#include <vector>

#include <openssl/err.h>

#include "runtime/base/errc.hpp"
#include "runtime/tls/openssl_ptr.hpp"
#include "runtime/tls/pem_io.hpp"

namespace cafka::tls {

namespace {

caf::error bad(const std::string& path, const std::string& what) {
  return make_error(errc::invalid_config, path + ": " + what);
}

bool is_signature_error(int code) {
  switch (code) {
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return true;
    default:
      return false;
  }
}

// The verification failure of `ctx` as one line naming the file of the failing certificate.
caf::error verify_failure(X509_STORE_CTX* ctx, const std::vector<cert_ptr>& cas,
                          const std::string& ca_file, const std::string& cert_file) {
  auto code = X509_STORE_CTX_get_error(ctx);
  auto failing = X509_STORE_CTX_get_current_cert(ctx);
  auto file = cert_file;
  for (auto& ca : cas)
    if (failing != nullptr && X509_cmp(failing, ca.get()) == 0)
      file = ca_file;
  std::string reason = X509_verify_cert_error_string(code);
  if (code == X509_V_ERR_CERT_HAS_EXPIRED)
    return bad(file, "expired");
  if (code == X509_V_ERR_CERT_NOT_YET_VALID)
    return bad(file, "not valid yet");
  if (is_signature_error(code))
    return bad(cert_file, "not signed by the CA in " + ca_file + " (" + reason + ")");
  return bad(file, "does not verify against the CA in " + ca_file + " (" + reason + ")");
}

// Verifies chain[0] (with chain[1..] as untrusted intermediates) against `cas`, now.
caf::error verify(const std::vector<cert_ptr>& cas, const std::vector<cert_ptr>& chain,
                  const std::string& ca_file, const std::string& cert_file) {
  store_ptr store{X509_STORE_new()};
  cert_stack_ptr untrusted{sk_X509_new_null()};
  store_ctx_ptr ctx{X509_STORE_CTX_new()};
  if (!store || !untrusted || !ctx)
    return openssl_error(cert_file + ": cannot verify");
  for (auto& ca : cas)
    if (X509_STORE_add_cert(store.get(), ca.get()) != 1)
      return openssl_error(ca_file + ": cannot use as a CA");
  for (size_t i = 1; i < chain.size(); ++i) {
    if (sk_X509_push(untrusted.get(), chain[i].get()) == 0)
      return openssl_error(cert_file + ": cannot verify");
    X509_up_ref(chain[i].get());
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get()) != 1
      || X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_ANY) != 1)
    return openssl_error(cert_file + ": cannot verify");
  auto ok = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (ok == 1)
    return {};
  return verify_failure(ctx.get(), cas, ca_file, cert_file);
}

} // namespace

caf::expected<peer_identity> check_credentials(const std::string& ca_file,
                                               const std::string& cert_file,
                                               const std::string& key_file,
                                               const std::string& passphrase) {
  auto cas = read_certificates(ca_file);
  if (!cas)
    return std::move(cas.error());
  auto chain = read_certificates(cert_file);
  if (!chain)
    return std::move(chain.error());
  auto key = read_private_key(key_file, passphrase);
  if (!key)
    return std::move(key.error());
  auto leaf = chain->front().get();
  auto matches = X509_check_private_key(leaf, key->get());
  ERR_clear_error();
  if (matches != 1)
    return bad(key_file, "does not belong to the certificate in " + cert_file);
  if (auto err = verify(*cas, *chain, ca_file, cert_file))
    return err;
  auto id = identity_of(leaf);
  if (!id)
    return bad(cert_file, context_of(id.error()));
  return id;
}

} // namespace cafka::tls
