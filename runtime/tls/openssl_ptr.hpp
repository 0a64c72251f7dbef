// RAII owners of OpenSSL objects (unique_ptr with OpenSSL's free functions) and the error
// value of a failed OpenSSL call. Used by runtime/tls/; plain values, any thread (OpenSSL 3
// keeps its error queue per thread).
#pragma once

#include <memory>
#include <string>

#include <caf/error.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace cafka::tls {

struct openssl_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAME* p) const { GENERAL_NAME_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(ASN1_OCTET_STRING* p) const { ASN1_OCTET_STRING_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};

using key_ptr = std::unique_ptr<EVP_PKEY, openssl_free>;
using cert_ptr = std::unique_ptr<X509, openssl_free>;
using name_ptr = std::unique_ptr<X509_NAME, openssl_free>;
using store_ptr = std::unique_ptr<X509_STORE, openssl_free>;
using store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, openssl_free>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, openssl_free>;
using general_name_ptr = std::unique_ptr<GENERAL_NAME, openssl_free>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, openssl_free>;
using octets_ptr = std::unique_ptr<ASN1_OCTET_STRING, openssl_free>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_free>;
using bio_ptr = std::unique_ptr<BIO, openssl_free>;
using cert_stack_ptr = std::unique_ptr<STACK_OF(X509), openssl_free>;

// OpenSSL's oldest queued error as text ("error:...:reason"), or "unknown OpenSSL error";
// empties this thread's error queue.
std::string openssl_error_string();

// errc::invalid_config "<what>: <OpenSSL's error>"; empties this thread's error queue.
caf::error openssl_error(const std::string& what);

} // namespace cafka::tls
