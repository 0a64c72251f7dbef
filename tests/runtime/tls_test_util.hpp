// Helpers of the TLS tests: a scratch directory holding a cluster CA, and writing
// credentials there as PEM files. Test code only; call from the test thread.
#pragma once

#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/tls/certificate_authority.hpp"
#include "tests/temp_dir.hpp"

namespace cafka::test {

// The permission bits of a file or directory (-1 if it cannot be stat'ed).
inline int mode_of(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

// The whole file ("" if it cannot be read).
inline std::string read_text(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

class tls_dir {
public:
  tls_dir() {
    auto ca = tls::make_cluster_ca(30);
    REQUIRE(ca);
    ca_ = std::move(*ca);
    ca_file_ = write(ca_, "ca");
  }

  const tls::credentials& ca() const { return ca_; }
  const std::string& ca_file() const { return ca_file_; }
  std::string file(const std::string& name) const { return dir_.file(name); }

  // Writes <stem>.pem and <stem>.key (encrypted if `passphrase` is not empty); returns the
  // path of the .pem.
  std::string write(const tls::credentials& c, const std::string& stem,
                    const std::string& passphrase = {}) {
    auto cert = tls::certificate_pem(c.certificate.get());
    auto key = tls::private_key_pem(c.key.get(), passphrase);
    REQUIRE(cert);
    REQUIRE(key);
    write_text(stem + ".pem", *cert);
    write_text(stem + ".key", *key);
    return file(stem + ".pem");
  }

  void write_text(const std::string& name, const std::string& text) {
    std::ofstream out{file(name), std::ios::binary | std::ios::trunc};
    out << text;
  }

private:
  temp_dir dir_;
  tls::credentials ca_;
  std::string ca_file_;
};

} // namespace cafka::test
