#include "runtime/security/authorizer.hpp"

#include <algorithm>

namespace cafka {

namespace {

// Kafka's principal that every principal matches (StandardAuthorizerData.WILDCARD_PRINCIPAL).
constexpr std::string_view wildcard_principal = "User:*";

bool concrete_operation(acl_operation op) {
  return op > acl_operation::any && op <= acl_operation::idempotent_write;
}

bool concrete_resource_type(acl_resource_type type) {
  return type == acl_resource_type::topic || type == acl_resource_type::group
         || type == acl_resource_type::cluster;
}

// Rule 2: whether `b` is on the resource `type` `name`.
bool on_resource(const acl_binding& b, acl_resource_type type, std::string_view name) {
  if (b.resource_type != type)
    return false;
  switch (b.pattern_type) {
    case acl_pattern_type::literal:
      return b.resource_name == name || b.resource_name == acl_wildcard;
    case acl_pattern_type::prefixed:
      return name.substr(0, b.resource_name.size()) == b.resource_name;
    default:
      return false;
  }
}

// Rule 3: whether `b` (on the resource) applies to this principal and host.
bool applies_to(const acl_binding& b, std::string_view principal, std::string_view host) {
  return (b.principal == principal || b.principal == wildcard_principal)
         && (b.host == host || b.host == acl_wildcard);
}

// Rule 5: whether an ALLOW binding for `granted` allows `op`.
bool allow_covers(acl_operation granted, acl_operation op) {
  if (granted == acl_operation::all || granted == op)
    return true;
  switch (op) {
    case acl_operation::describe:
      return granted == acl_operation::read || granted == acl_operation::write
             || granted == acl_operation::delete_ || granted == acl_operation::alter;
    case acl_operation::describe_configs:
      return granted == acl_operation::alter_configs;
    default:
      return false;
  }
}

} // namespace

bool authorize(const std::vector<acl_binding>& acls, const authorizer_settings& cfg,
               std::string_view principal, std::string_view host, acl_operation op,
               acl_resource_type type, std::string_view name) {
  if (!concrete_operation(op) || !concrete_resource_type(type))
    return false;
  const auto& supers = cfg.super_users;
  if (std::find(supers.begin(), supers.end(), principal) != supers.end())
    return true;
  bool on_any = false;
  bool allowed = false;
  for (const auto& b : acls) {
    if (!on_resource(b, type, name))
      continue;
    on_any = true;
    if (!applies_to(b, principal, host))
      continue;
    if (b.permission == acl_permission::deny
        && (b.operation == op || b.operation == acl_operation::all))
      return false;
    if (b.permission == acl_permission::allow && allow_covers(b.operation, op))
      allowed = true;
  }
  if (allowed)
    return true;
  return !on_any && cfg.allow_everyone_if_no_acl_found;
}

} // namespace cafka
