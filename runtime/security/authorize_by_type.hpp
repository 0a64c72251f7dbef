// Kafka's authorizeByResourceType: whether any resource of a type may get an operation from
// a principal, used where Kafka asks "may this client write to some topic" (an idempotent
// producer id, KIP-679). Pure; any thread.
#pragma once

#include <string_view>
#include <vector>

#include "runtime/security/acl.hpp"
#include "runtime/security/authorizer.hpp"

namespace cafka {

// True for a super user; else true if some ALLOW binding of `type` grants `op` (or ALL) to
// the principal (or User:*) from the host (or *) and no DENY binding for the same principal,
// host and operation covers that binding's whole pattern (a literal "*", an equal literal, or
// a prefix of its name). Else what authorize() says for a resource of `type` no literal or
// prefixed binding names: wildcard bindings, then allow_everyone_if_no_acl_found.
bool authorize_by_resource_type(const std::vector<acl_binding>& acls,
                                const authorizer_settings& cfg, std::string_view principal,
                                std::string_view host, acl_operation op,
                                acl_resource_type type);

} // namespace cafka
