#include "runtime/cluster/access_rules.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

// A binding as an ordered key, for duplicate checks that stay n log n at the caps.
using binding_key = std::tuple<int8_t, std::string, int8_t, std::string, std::string, int8_t,
                               int8_t>;

binding_key key_of(const acl_binding& b) {
  return {static_cast<int8_t>(b.resource_type), b.resource_name,
          static_cast<int8_t>(b.pattern_type),  b.principal,
          b.host,                               static_cast<int8_t>(b.operation),
          static_cast<int8_t>(b.permission)};
}

std::set<binding_key> keys_of(const std::vector<acl_binding>& bs) {
  std::set<binding_key> out;
  for (auto& b : bs)
    out.insert(key_of(b));
  return out;
}

size_t count_users(const access_metadata& a) {
  std::set<std::string> users;
  for (auto& c : a.credentials)
    users.insert(c.user);
  return users.size();
}

bool has_user(const access_metadata& a, const std::string& user) {
  return std::any_of(a.credentials.begin(), a.credentials.end(),
                     [&](const scram_credential& c) { return c.user == user; });
}

std::string too_long(const char* what, const std::string& s) {
  return std::string{what} + " is longer than " + std::to_string(max_access_name_bytes)
         + " bytes (" + std::to_string(s.size()) + ")";
}

} // namespace

size_t scram_key_size(scram_mechanism m) {
  switch (m) {
    case scram_mechanism::sha_256: return 32;
    case scram_mechanism::sha_512: return 64;
  }
  return 0;
}

namespace {

// check_credential without the cap on users.
caf::error check_credential_fields(const scram_credential& c) {
  if (c.user.empty())
    return make_error(errc::invalid_request, "the user name is empty");
  if (c.user.size() > max_access_name_bytes)
    return make_error(errc::invalid_request, too_long("the user name", c.user));
  auto key_size = scram_key_size(c.mechanism);
  auto who = "the credential of '" + c.user + "'";
  if (key_size == 0)
    return make_error(errc::unacceptable_credential,
                      who + " has an unknown mechanism ("
                        + std::to_string(static_cast<int>(c.mechanism)) + ")");
  who += " for " + std::string{to_string(c.mechanism)};
  if (c.iterations < scram_min_iterations || c.iterations > scram_max_iterations)
    return make_error(errc::unacceptable_credential,
                      who + ": iterations must be between "
                        + std::to_string(scram_min_iterations) + " and "
                        + std::to_string(scram_max_iterations) + ", got "
                        + std::to_string(c.iterations));
  if (c.salt.empty() || c.salt.size() > max_access_name_bytes)
    return make_error(errc::unacceptable_credential,
                      who + ": the salt must have 1 to " + std::to_string(max_access_name_bytes)
                        + " bytes, got " + std::to_string(c.salt.size()));
  if (c.stored_key.size() != key_size || c.server_key.size() != key_size)
    return make_error(errc::unacceptable_credential,
                      who + ": StoredKey and ServerKey must have " + std::to_string(key_size)
                        + " bytes, got " + std::to_string(c.stored_key.size()) + " and "
                        + std::to_string(c.server_key.size()));
  return {};
}

} // namespace

caf::error check_credential(const access_metadata& a, const scram_credential& c) {
  if (auto err = check_credential_fields(c))
    return err;
  if (!has_user(a, c.user) && count_users(a) >= max_scram_users)
    return make_error(errc::invalid_request, "there are already "
                                               + std::to_string(max_scram_users)
                                               + " users with credentials (the most kept)");
  return {};
}

bool upsert_credential(access_metadata& a, const scram_credential& c) {
  for (auto& x : a.credentials)
    if (x.user == c.user && x.mechanism == c.mechanism) {
      if (x == c)
        return false;
      x = c;
      return true;
    }
  a.credentials.push_back(c);
  return true;
}

caf::error check_delete_credential(const access_metadata& a, const std::string& user,
                                   scram_mechanism m) {
  if (a.find_credential(user, m) == nullptr)
    return make_error(errc::resource_not_found, "user '" + user + "' has no "
                                                  + std::string{to_string(m)}
                                                  + " credential");
  return {};
}

void delete_credential(access_metadata& a, const std::string& user, scram_mechanism m) {
  auto& cs = a.credentials;
  cs.erase(std::remove_if(cs.begin(), cs.end(),
                          [&](const scram_credential& c) {
                            return c.user == user && c.mechanism == m;
                          }),
           cs.end());
}

std::string check_new_binding(const acl_binding& b) {
  if (auto why = check_binding(b); !why.empty())
    return why;
  if (b.resource_name.size() > max_access_name_bytes)
    return too_long("the resource name", b.resource_name);
  if (b.principal.size() > max_access_name_bytes)
    return too_long("the principal", b.principal);
  if (b.host.size() > max_access_name_bytes)
    return too_long("the host", b.host);
  return {};
}

caf::error check_create_acls(const access_metadata& a, const std::vector<acl_binding>& bs) {
  for (auto& b : bs)
    if (auto why = check_new_binding(b); !why.empty())
      return make_error(errc::invalid_request, "ACL binding (" + describe(b) + "): " + why);
  auto keys = keys_of(a.acls);
  size_t before = keys.size();
  for (auto& b : bs)
    keys.insert(key_of(b));
  if (keys.size() > max_acl_bindings)
    return make_error(errc::invalid_request,
                      "creating " + std::to_string(keys.size() - before)
                        + " ACL binding(s) would exceed the most kept ("
                        + std::to_string(max_acl_bindings) + ")");
  return {};
}

size_t create_acls(access_metadata& a, const std::vector<acl_binding>& bs) {
  auto keys = keys_of(a.acls);
  size_t added = 0;
  for (auto& b : bs)
    if (keys.insert(key_of(b)).second) {
      a.acls.push_back(b);
      ++added;
    }
  return added;
}

std::vector<std::vector<acl_binding>> delete_acls(access_metadata& a,
                                                  const std::vector<acl_filter>& fs) {
  std::vector<std::vector<acl_binding>> out;
  out.reserve(fs.size());
  std::vector<bool> gone(a.acls.size(), false);
  for (auto& f : fs) {
    auto& removed = out.emplace_back();
    for (size_t i = 0; i < a.acls.size(); ++i)
      if (matches(f, a.acls[i])) {
        removed.push_back(a.acls[i]);
        gone[i] = true;
      }
  }
  std::vector<acl_binding> kept;
  for (size_t i = 0; i < a.acls.size(); ++i)
    if (!gone[i])
      kept.push_back(std::move(a.acls[i]));
  a.acls = std::move(kept);
  return out;
}

std::vector<acl_binding> describe_acls(const access_metadata& a, const acl_filter& f) {
  std::vector<acl_binding> out;
  for (auto& b : a.acls)
    if (matches(f, b))
      out.push_back(b);
  return out;
}

std::string check_access_metadata(const access_metadata& a) {
  std::set<std::pair<std::string, scram_mechanism>> seen;
  for (auto& c : a.credentials) {
    if (auto err = check_credential_fields(c))
      return describe(err);
    if (!seen.emplace(c.user, c.mechanism).second)
      return "user '" + c.user + "' has two " + to_string(c.mechanism) + " credentials";
  }
  if (auto users = count_users(a); users > max_scram_users)
    return std::to_string(users) + " users with credentials (the most kept is "
           + std::to_string(max_scram_users) + ")";
  if (a.acls.size() > max_acl_bindings)
    return std::to_string(a.acls.size()) + " ACL bindings (the most kept is "
           + std::to_string(max_acl_bindings) + ")";
  for (auto& b : a.acls)
    if (auto why = check_new_binding(b); !why.empty())
      return "ACL binding (" + describe(b) + "): " + why;
  if (keys_of(a.acls).size() != a.acls.size())
    return "an ACL binding is stored twice";
  return {};
}

} // namespace cafka
