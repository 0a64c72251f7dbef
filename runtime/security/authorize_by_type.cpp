#include "runtime/security/authorize_by_type.hpp"

#include <algorithm>

namespace cafka {

namespace {

bool applies_to(const acl_binding& b, std::string_view principal, std::string_view host,
                acl_operation op, acl_resource_type type) {
  return b.resource_type == type && (b.principal == principal || b.principal == "User:*")
         && (b.host == host || b.host == acl_wildcard)
         && (b.operation == op || b.operation == acl_operation::all);
}

// A name no literal or prefixed binding names in practice (Kafka uses "hardcode").
constexpr std::string_view unnamed_resource = "\x01" "cafka-unnamed";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Whether the deny binding covers every resource the allow binding names.
bool covers(const acl_binding& deny, const acl_binding& allow) {
  if (deny.pattern_type == acl_pattern_type::literal && deny.resource_name == acl_wildcard)
    return true;
  if (deny.pattern_type == acl_pattern_type::prefixed)
    return starts_with(allow.resource_name, deny.resource_name)
           && !(allow.pattern_type == acl_pattern_type::literal
                && allow.resource_name == acl_wildcard);
  return allow.pattern_type == acl_pattern_type::literal
         && allow.resource_name == deny.resource_name;
}

} // namespace

bool authorize_by_resource_type(const std::vector<acl_binding>& acls,
                                const authorizer_settings& cfg, std::string_view principal,
                                std::string_view host, acl_operation op,
                                acl_resource_type type) {
  auto& su = cfg.super_users;
  if (std::find(su.begin(), su.end(), principal) != su.end())
    return true;
  for (auto& allow : acls) {
    if (allow.permission != acl_permission::allow
        || !applies_to(allow, principal, host, op, type))
      continue;
    bool denied = std::any_of(acls.begin(), acls.end(), [&](const acl_binding& deny) {
      return deny.permission == acl_permission::deny
             && applies_to(deny, principal, host, op, type) && covers(deny, allow);
    });
    if (!denied)
      return true;
  }
  // As Kafka: else what a resource named by no literal or prefixed binding would get (the
  // wildcard bindings and allow-everyone-if-no-acl-found decide).
  return authorize(acls, cfg, principal, host, op, type, unnamed_resource);
}

} // namespace cafka
