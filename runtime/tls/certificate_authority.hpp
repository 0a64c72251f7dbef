// The cluster's certificate authority (OpenSSL's C API): EC P-256 keys, the self-signed CA
// and the node/client certificates it signs (peer_identity.hpp's URIs in the SAN). Used by
// `cafka tls init` (tls_init.hpp) and tests. Plain functions; any thread.
#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/tls/openssl_ptr.hpp"

namespace cafka::tls {

// A certificate and its private key.
struct credentials {
  cert_ptr certificate;
  key_ptr key;
};

// Validity bounds of the `days` arguments below (0: the certificate expires at once).
inline constexpr int max_days = 36500;
// The longest passphrase OpenSSL's PEM reader accepts back (PEM_BUFSIZE - 1).
inline constexpr size_t max_passphrase_bytes = 1023;

// What a leaf certificate carries. Requires nothing: issue_certificate checks it.
struct leaf_spec {
  std::string common_name;         // the subject's CN (1..64 bytes)
  std::vector<std::string> uris;   // subjectAltName URIs, in this order
  std::string host;                // empty: none; else one SAN entry, IP if it parses, else DNS
  int days = 825;                  // notAfter = now + days; notBefore = now - 1 h
};

// A fresh EC P-256 key.
caf::expected<key_ptr> generate_key();

// The self-signed cluster CA (CN "cafka cluster CA"; basicConstraints critical CA:TRUE,
// pathlen:0; keyUsage critical keyCertSign, cRLSign; subject key id), valid for `days`.
caf::expected<credentials> make_cluster_ca(int days);

// A leaf certificate for a fresh key, signed by `ca` with SHA-256: basicConstraints critical
// CA:FALSE; keyUsage critical digitalSignature, keyAgreement; extendedKeyUsage serverAuth,
// clientAuth; a random positive 128-bit serial; the SAN of `spec`.
caf::expected<credentials> issue_certificate(const credentials& ca, const leaf_spec& spec);

// CN "cafka node <id>", SAN URI urn:cafka:node:<id> plus `host` (IP or DNS). Errors: a
// negative id, a host that is neither an IP address nor a DNS name.
caf::expected<credentials> issue_node_certificate(const credentials& ca, node_id id,
                                                  const std::string& host, int days);

// CN "cafka client <name>", SAN URI urn:cafka:client:<name>. Errors: a name that is not
// valid_client_name (peer_identity.hpp).
caf::expected<credentials> issue_client_certificate(const credentials& ca,
                                                    const std::string& name, int days);

// The PEM text of a certificate.
caf::expected<std::string> certificate_pem(X509* cert);

// The PEM text of a private key as PKCS#8: encrypted with AES-256-CBC under `passphrase`,
// or plain if it is empty. Errors: a passphrase longer than max_passphrase_bytes.
caf::expected<std::string> private_key_pem(EVP_PKEY* key, const std::string& passphrase);

} // namespace cafka::tls
