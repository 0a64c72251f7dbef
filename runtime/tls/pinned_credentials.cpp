#include "runtime/tls/pinned_credentials.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/base/errc.hpp"
#include "runtime/tls/certificate_authority.hpp"
#include "runtime/tls/pem_io.hpp"

namespace cafka::tls {

namespace {

// An anonymous memory file holding `contents`, open for the rest of the process; its path.
caf::expected<std::string> memory_file(const std::string& name, const std::string& contents) {
  int fd = ::memfd_create(("cafka-" + name).c_str(), MFD_CLOEXEC);
  if (fd < 0)
    return make_error(errc::invalid_config,
                      "cannot keep a copy of " + name + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < contents.size()) {
    auto n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ::close(fd);
      return make_error(errc::invalid_config,
                        "cannot keep a copy of " + name + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

} // namespace

caf::expected<pinned_credentials> pin_credentials(const std::string& ca_file,
                                                  const std::string& cert_file,
                                                  const std::string& key_file,
                                                  const std::string& passphrase) {
  auto ca = read_small_file(ca_file);
  if (!ca)
    return ca.error();
  auto chain = read_small_file(cert_file);
  if (!chain)
    return chain.error();
  auto key = read_private_key(key_file, passphrase);
  if (!key)
    return key.error();
  auto key_pem = private_key_pem(key->get(), "");
  if (!key_pem)
    return key_pem.error();
  auto ca_copy = memory_file("ca", *ca);
  if (!ca_copy)
    return ca_copy.error();
  auto chain_copy = memory_file("certificate", *chain);
  if (!chain_copy)
    return chain_copy.error();
  auto key_copy = memory_file("key", *key_pem);
  if (!key_copy)
    return key_copy.error();
  return pinned_credentials{*ca_copy, *chain_copy, *key_copy};
}

} // namespace cafka::tls
