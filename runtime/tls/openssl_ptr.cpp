#include "runtime/tls/openssl_ptr.hpp"

#include <openssl/err.h>

#include "runtime/base/errc.hpp"

namespace cafka::tls {

std::string openssl_error_string() {
  auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0)
    return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

caf::error openssl_error(const std::string& what) {
  return make_error(errc::invalid_config, what + ": " + openssl_error_string());
}

} // namespace cafka::tls
