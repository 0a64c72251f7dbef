// The metadata quorum's rules for SCRAM credentials and ACL bindings: what a change must
// satisfy and how it changes an access_metadata value. Called by metadata_state when it
// applies an access command and by the controller to refuse what cannot apply before it
// proposes it. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "runtime/security/access_metadata.hpp"

namespace cafka {

// The most users with a credential, bindings, and bytes in a user name, principal, host or
// resource name the quorum keeps (every broker holds a copy of all of it).
inline constexpr size_t max_scram_users = 10000;
inline constexpr size_t max_acl_bindings = 100000;
inline constexpr size_t max_access_name_bytes = 255;

// The size of StoredKey and ServerKey for `m` (its hash's output), 0 for an unknown value.
size_t scram_key_size(scram_mechanism m);

// The error upsert_credential(a, c) gives, or none: invalid_request for an empty or too long
// user name or one user past max_scram_users; unacceptable_credential for an unknown
// mechanism, iterations outside [scram_min_iterations, scram_max_iterations], an empty or
// too long salt, or keys whose size is not the mechanism's.
caf::error check_credential(const access_metadata& a, const scram_credential& c);
// Stores c, replacing the user's credential of the same mechanism. True if `a` changed.
// Requires: !check_credential(a, c).
bool upsert_credential(access_metadata& a, const scram_credential& c);
// resource_not_found unless `user` has a credential for `m`.
caf::error check_delete_credential(const access_metadata& a, const std::string& user,
                                   scram_mechanism m);
// Requires: !check_delete_credential(a, user, m).
void delete_credential(access_metadata& a, const std::string& user, scram_mechanism m);

// Why `b` cannot be stored (check_binding's text, or a name over max_access_name_bytes), or "".
std::string check_new_binding(const acl_binding& b);
// invalid_request naming the first binding check_new_binding refuses, or the count of
// bindings that creating `bs` would exceed max_acl_bindings with; else none.
caf::error check_create_acls(const access_metadata& a, const std::vector<acl_binding>& bs);
// Adds the bindings `a` does not hold yet (an existing one is left alone); the count added.
// Requires: !check_create_acls(a, bs).
size_t create_acls(access_metadata& a, const std::vector<acl_binding>& bs);
// Removes every binding some filter matches; per filter (in order), the bindings it matched,
// so one matched by two filters is listed under both.
std::vector<std::vector<acl_binding>> delete_acls(access_metadata& a,
                                                  const std::vector<acl_filter>& fs);
// The bindings `f` matches, in stored order.
std::vector<acl_binding> describe_acls(const access_metadata& a, const acl_filter& f);

// What a snapshot's access part must satisfy beyond parsing (every credential and binding
// as check_credential / check_new_binding want it, no duplicates, within the caps):
// why not, or "".
std::string check_access_metadata(const access_metadata& a);

} // namespace cafka
