// In-memory copies of a process's TLS files for CAF's OpenSSL module, which reads the files
// again for every connection and throws (ending the process) if that fails. Made once at
// startup by configure_tls; the copies live as long as the process. Any thread.
#pragma once

#include <string>

#include <caf/expected.hpp>

namespace cafka::tls {

// Paths ("/proc/self/fd/N", anonymous memory files) holding what the files held when pinned:
// the CA certificates, the certificate chain, and the private key decrypted (so CAF needs no
// passphrase). Replacing or removing the files later changes nothing for this process.
struct pinned_credentials {
  std::string ca_file;
  std::string certificate;
  std::string key;
};

// Requires: the files passed check_credentials. Errors: errc::invalid_config naming the file
// that cannot be read or copied.
caf::expected<pinned_credentials> pin_credentials(const std::string& ca_file,
                                                  const std::string& cert_file,
                                                  const std::string& key_file,
                                                  const std::string& passphrase);

} // namespace cafka::tls
