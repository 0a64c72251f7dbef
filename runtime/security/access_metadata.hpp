// Who may use the Kafka listeners: SCRAM credentials and ACL bindings, kept by the metadata
// quorum (metadata_state) and pushed by the controller to every broker, which publishes its
// copy to its Kafka sessions (access_cache). Never sent to clients. Plain value; any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/security/acl.hpp"
#include "runtime/security/scram_credential.hpp"

namespace cafka {

// What a broker reports as its access version before it got the quorum's first copy.
inline constexpr uint64_t access_not_loaded = UINT64_MAX;

struct access_metadata {
  uint64_t version = 0;  // bumped by every change; newer versions replace older ones
  std::vector<scram_credential> credentials;  // at most one per (user, mechanism)
  std::vector<acl_binding> acls;              // no two equal

  // The credential of `user` for `mechanism`, or nullptr.
  const scram_credential* find_credential(const std::string& user,
                                          scram_mechanism mechanism) const {
    for (auto& c : credentials)
      if (c.user == user && c.mechanism == mechanism)
        return &c;
    return nullptr;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, access_metadata& x) {
  return f(x.version, x.credentials, x.acls);
}

} // namespace cafka
