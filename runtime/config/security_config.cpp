#include "runtime/config/security_config.hpp"

#include <algorithm>
#include <set>

#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

caf::error bad(const std::string& path, const std::string& what) {
  return make_error(errc::invalid_config, path + ": [security] " + what);
}

// A list of strings (a single string is taken as a list of one).
caf::error read_strings(const caf::settings& sec, const std::string& key,
                        const std::string& path, std::vector<std::string>& out) {
  auto i = sec.find(key);
  if (i == sec.end())
    return {};
  if (auto s = caf::get_if<std::string>(&i->second)) {
    out = {*s};
    return {};
  }
  auto lst = caf::get_if<caf::config_value::list>(&i->second);
  if (lst == nullptr)
    return bad(path, key + " must be a list of strings, got " + caf::to_string(i->second));
  out.clear();
  for (auto& v : *lst) {
    auto s = caf::get_if<std::string>(&v);
    if (s == nullptr)
      return bad(path, key + " must be a list of strings, got " + caf::to_string(i->second));
    out.push_back(*s);
  }
  return {};
}

caf::error check_mechanisms(const std::vector<std::string>& ms, const std::string& path) {
  static const std::set<std::string> served{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
  if (ms.empty())
    return bad(path, "sasl-enabled-mechanisms is empty");
  std::set<std::string> seen;
  for (auto& m : ms) {
    if (served.count(m) == 0)
      return bad(path, "sasl-enabled-mechanisms: '" + m
                         + "' is not served (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)");
    if (!seen.insert(m).second)
      return bad(path, "sasl-enabled-mechanisms: '" + m + "' appears twice");
  }
  return {};
}

} // namespace

bool security_config::offers(const std::string& mechanism) const {
  return std::find(sasl_enabled_mechanisms.begin(), sasl_enabled_mechanisms.end(), mechanism)
         != sasl_enabled_mechanisms.end();
}

caf::expected<security_config> security_config_from(const caf::settings* sec,
                                                    const std::string& path) {
  security_config out;
  if (sec == nullptr)
    return out;
  static const std::set<std::string> known{"sasl-enabled-mechanisms", "authorizer",
                                           "super-users", "allow-everyone-if-no-acl-found"};
  for (auto& kv : *sec)
    if (known.count(kv.first) == 0)
      return bad(path, "unknown key '" + kv.first + "'");
  if (auto err = read_strings(*sec, "sasl-enabled-mechanisms", path,
                              out.sasl_enabled_mechanisms))
    return err;
  if (auto err = check_mechanisms(out.sasl_enabled_mechanisms, path))
    return err;
  if (auto i = sec->find("authorizer"); i != sec->end()) {
    auto s = caf::get_if<std::string>(&i->second);
    if (s == nullptr || (*s != "acl" && *s != "none"))
      return bad(path, "authorizer must be \"acl\" or \"none\", got "
                         + caf::to_string(i->second));
    out.acl_authorizer = *s == "acl";
  }
  if (auto err = read_strings(*sec, "super-users", path, out.super_users))
    return err;
  for (auto& u : out.super_users) {
    auto colon = u.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == u.size())
      return bad(path, "super-users: '" + u + "' is not Type:name (e.g. User:admin)");
  }
  if (auto i = sec->find("allow-everyone-if-no-acl-found"); i != sec->end()) {
    auto b = caf::get_if<bool>(&i->second);
    if (b == nullptr)
      return bad(path, "allow-everyone-if-no-acl-found must be true or false, got "
                         + caf::to_string(i->second));
    out.allow_everyone_if_no_acl_found = *b;
  }
  return out;
}

} // namespace cafka
