// A node's current copy of the access metadata (SCRAM credentials, ACLs): the broker
// publishes each newer version the controller pushes, and the node's Kafka sessions read it
// to authenticate and authorize. One per node, shared by its broker and Kafka listeners.
// Thread-safe: publish and current may run on any threads at once.
#pragma once

#include <memory>
#include <mutex>

#include "runtime/security/access_metadata.hpp"

namespace cafka {

class access_cache {
public:
  // Takes `a` if its version is newer than the current one, or if nothing was published yet
  // (the quorum's first copy may be version 0). True if it did.
  bool publish(access_metadata a);

  // Whether a copy from the quorum was published: before, the empty copy says nothing about
  // what the ACLs allow, and an authorizer must refuse (fail closed).
  bool loaded() const;

  // The newest published copy (an empty version 0 before the first publish); never null. A
  // reader keeps its copy alive as long as it holds the pointer, whatever is published since.
  std::shared_ptr<const access_metadata> current() const;

private:
  mutable std::mutex mtx_;
  // Invariant: not null; only replaced by a newer version.
  std::shared_ptr<const access_metadata> current_ = std::make_shared<const access_metadata>();
  bool loaded_ = false;
};

} // namespace cafka
