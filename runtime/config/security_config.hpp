// cluster.conf's [security] section: the SASL mechanisms the Kafka listeners serve and the
// ACL authorizer (Kafka's sasl.enabled.mechanisms, authorizer.class.name, super.users,
// allow.everyone.if.no.acl.found). Parsed by cluster_config_from; plain values, any thread.
#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/settings.hpp>

namespace cafka {

// Invariant: sasl_enabled_mechanisms is non-empty, each entry PLAIN, SCRAM-SHA-256 or
// SCRAM-SHA-512, none twice; every super user is "Type:name".
struct security_config {
  // sasl-enabled-mechanisms: what SASL_SSL:// and SASL_PLAINTEXT:// listeners offer.
  std::vector<std::string> sasl_enabled_mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-512"};
  // authorizer = "acl": Kafka requests are checked against the quorum's ACLs; "none"
  // (default): every authenticated client may do everything, as Kafka without an authorizer.
  bool acl_authorizer = false;
  // super-users: principals ("User:admin") the authorizer always allows.
  std::vector<std::string> super_users;
  // allow-everyone-if-no-acl-found: a resource without any ACL is open to everyone.
  bool allow_everyone_if_no_acl_found = false;

  bool offers(const std::string& mechanism) const;
};

// Parses the [security] section (`sec` may be null: no section, the defaults) of the config at
// `path`. Errors are errc::invalid_config naming the key ("path: [security] super-users: 'bob'
// is not Type:name (e.g. User:bob)").
caf::expected<security_config> security_config_from(const caf::settings* sec,
                                                    const std::string& path);

} // namespace cafka
