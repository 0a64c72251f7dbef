#include "runtime/config/tls_config.hpp"

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "runtime/base/errc.hpp"
#include "runtime/tls/pem_io.hpp"

namespace cafka {

namespace {

caf::error bad(const std::string& path, const std::string& what) {
  return make_error(errc::invalid_config, path + ": [tls] " + what);
}

std::string replace_id(std::string pattern, node_id id) {
  static const std::string placeholder = "{id}";
  for (auto pos = pattern.find(placeholder); pos != std::string::npos;
       pos = pattern.find(placeholder, pos))
    pattern.replace(pos, placeholder.size(), to_string(id));
  return pattern;
}

// A string key of the section; "" if absent. Relative file names become absolute, taken from
// the config file's directory.
caf::error read_path(const caf::settings& tls, const std::string& key, const std::string& path,
                     bool is_file, std::string& out) {
  auto i = tls.find(key);
  if (i == tls.end())
    return {};
  auto s = caf::get_if<std::string>(&i->second);
  if (s == nullptr || s->empty())
    return bad(path, key + " must be a non-empty string, got " + caf::to_string(i->second));
  out = *s;
  if (is_file && std::filesystem::path{out}.is_relative())
    out = (std::filesystem::absolute(std::filesystem::path{path}).parent_path() / out)
            .lexically_normal()
            .string();
  return {};
}

} // namespace

std::string tls_config::certificate_of(node_id id) const {
  return replace_id(certificate, id);
}

std::string tls_config::key_of(node_id id) const {
  return replace_id(key, id);
}

caf::expected<tls_config> tls_config_from(const caf::settings* tls, const std::string& path) {
  tls_config cfg;
  if (tls == nullptr)
    return cfg;
  static const char* files[] = {"ca-file", "certificate", "key", "client-certificate",
                                "client-key"};
  for (auto& kv : *tls) {
    auto& k = kv.first;
    bool known = k == "key-passphrase-file" || k == "key-passphrase-env"
                 || k == "ssl-client-auth";
    for (auto f : files)
      known = known || k == f;
    if (!known)
      return bad(path, "unknown key '" + k + "'");
  }
  caf::error err;
  if ((err = read_path(*tls, "ca-file", path, true, cfg.ca_file))
      || (err = read_path(*tls, "certificate", path, true, cfg.certificate))
      || (err = read_path(*tls, "key", path, true, cfg.key))
      || (err = read_path(*tls, "client-certificate", path, true, cfg.client_certificate))
      || (err = read_path(*tls, "client-key", path, true, cfg.client_key))
      || (err = read_path(*tls, "key-passphrase-file", path, true, cfg.key_passphrase_file))
      || (err = read_path(*tls, "key-passphrase-env", path, false, cfg.key_passphrase_env)))
    return err;
  if (auto i = tls->find("ssl-client-auth"); i != tls->end()) {
    auto s = caf::get_if<std::string>(&i->second);
    if (s != nullptr && *s == "none")
      cfg.client_auth = ssl_client_auth::none;
    else if (s != nullptr && *s == "requested")
      cfg.client_auth = ssl_client_auth::requested;
    else if (s != nullptr && *s == "required")
      cfg.client_auth = ssl_client_auth::required;
    else
      return bad(path, "ssl-client-auth must be \"none\", \"requested\" or \"required\", got "
                         + caf::to_string(i->second));
  }
  for (auto f : files)
    if (tls->find(caf::string_view{f, std::strlen(f)}) == tls->end())
      return bad(path, std::string{"needs "} + f + " (run `cafka tls init` to create the "
                       "files and the section)");
  if (!cfg.key_passphrase_file.empty() && !cfg.key_passphrase_env.empty())
    return bad(path, "set key-passphrase-file or key-passphrase-env, not both");
  cfg.enabled = true;
  return cfg;
}

caf::expected<std::string> read_key_passphrase(const tls_config& cfg) {
  if (!cfg.key_passphrase_env.empty()) {
    auto v = std::getenv(cfg.key_passphrase_env.c_str());
    if (v == nullptr)
      return make_error(errc::invalid_config,
                        "[tls] key-passphrase-env names " + cfg.key_passphrase_env
                          + ", which is not set in this process's environment");
    return std::string{v};
  }
  if (!cfg.key_passphrase_file.empty()) {
    auto text = tls::read_passphrase_file(cfg.key_passphrase_file);
    if (!text)
      return make_error(errc::invalid_config, "[tls] key-passphrase-file: cannot read "
                                                + cfg.key_passphrase_file);
    if (text->empty())
      return make_error(errc::invalid_config, "[tls] key-passphrase-file: cannot read "
                                                + cfg.key_passphrase_file
                                                + " or it is empty");
    return text;
  }
  return std::string{};
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost")
    return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

} // namespace cafka
