// The startup check of a node's or client's TLS files (CA, certificate chain, key and its
// passphrase) before CAF's openssl transport gets them: a bad file is named in one line
// instead of failing at the first handshake. Plain function; any thread.
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "runtime/tls/peer_identity.hpp"

namespace cafka::tls {

// Loads the CA file (one or more PEM certificates, all trusted), the certificate file (the
// leaf first, then any intermediates) and the PEM private key (decrypted with `passphrase`
// if encrypted; empty: none); checks that the key belongs to the certificate and that the
// certificate verifies against the CA now (any purpose); returns the identity the
// certificate carries (identity_of). Errors are errc::invalid_config, one line naming the
// file, e.g. "tls/node-2.key: wrong passphrase or not a PEM private key",
// "tls/node-2.pem: not signed by the CA in tls/ca.pem (certificate signature failure)",
// "tls/node-2.pem: expired", "tls/node-2.key: does not belong to the certificate in
// tls/node-2.pem".
caf::expected<peer_identity> check_credentials(const std::string& ca_file,
                                               const std::string& cert_file,
                                               const std::string& key_file,
                                               const std::string& passphrase);

} // namespace cafka::tls
