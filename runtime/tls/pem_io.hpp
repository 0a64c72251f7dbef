// Reading PEM files (certificates, private keys) for runtime/tls/, with one-line errors that
// start with the file's path. Plain functions; any thread.
#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/tls/openssl_ptr.hpp"

namespace cafka::tls {

// The largest PEM file read (certificates and keys are a few KiB).
inline constexpr size_t max_pem_file_bytes = 1 << 20;

// The whole of a file of at most max_pem_file_bytes (a PEM file, a passphrase file). Errors
// (errc::invalid_config): "<path>: cannot read (<reason>)", "<path>: larger than N bytes".
caf::expected<std::string> read_small_file(const std::string& path);

// A passphrase file's passphrase: its content without trailing line breaks (\n, \r), the
// way `cafka tls init` and a node read it. Errors as read_small_file's.
caf::expected<std::string> read_passphrase_file(const std::string& path);

// Every certificate of a PEM file, in file order (at least one). Errors
// (errc::invalid_config): "<path>: cannot read (<reason>)", "<path>: no PEM certificate",
// "<path>: not a PEM certificate (<OpenSSL's error>)".
caf::expected<std::vector<cert_ptr>> read_certificates(const std::string& path);

// The private key of a PEM file, decrypted with `passphrase` if it is encrypted. Never
// prompts. Errors (errc::invalid_config): "<path>: cannot read (<reason>)",
// "<path>: wrong passphrase or not a PEM private key",
// "<path>: encrypted, and no passphrase was given", "<path>: not a PEM private key".
caf::expected<key_ptr> read_private_key(const std::string& path, const std::string& passphrase);

} // namespace cafka::tls
