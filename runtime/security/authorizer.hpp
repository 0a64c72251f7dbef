// The ACL authorizer: whether a principal connected from a host may perform an operation on
// one named resource, decided from the ACL bindings and the authorizer settings. Pure; any
// thread (the caller owns the bindings, e.g. the session's copy of access_metadata::acls).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/security/acl.hpp"

namespace cafka {

struct authorizer_settings {
  // Principals ("User:admin") allowed everything, whatever the bindings say (super.users).
  std::vector<std::string> super_users;
  // The answer for a resource that no binding applies to (allow.everyone.if.no.acl.found).
  bool allow_everyone_if_no_acl_found = false;
};

// Whether `principal` ("User:alice") from `host` (the client's address as text, compared
// exactly: no DNS, no address ranges) may perform `op` on the resource `type` `name`.
// The rules are Kafka's (StandardAuthorizerData.authorize, AclAuthorizer.authorizeAction):
// 1. A super user is allowed.
// 2. A binding is on the resource when its resource type is `type` and it is LITERAL named
//    `name`, LITERAL named "*", or PREFIXED with a prefix of `name` (`name` itself included).
//    A binding of any other pattern type is on no resource.
// 3. A binding on the resource applies to the request when its principal is `principal` or
//    "User:*" and its host is `host` or "*".
// 4. An applicable DENY binding for `op` or for ALL denies. A DENY binding implies nothing:
//    DENY READ does not deny DESCRIBE.
// 5. Otherwise an applicable ALLOW binding for `op`, for ALL, or for an operation implying
//    `op` allows: READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies
//    DESCRIBE_CONFIGS.
// 6. Otherwise, if no binding at all is on the resource (whatever its principal, host,
//    operation and permission), allow_everyone_if_no_acl_found decides.
// 7. Otherwise denied.
// A question no binding can answer (`op` unknown or any, `type` unknown or any) is denied,
// for super users too.
bool authorize(const std::vector<acl_binding>& acls, const authorizer_settings& cfg,
               std::string_view principal, std::string_view host, acl_operation op,
               acl_resource_type type, std::string_view name);

} // namespace cafka
