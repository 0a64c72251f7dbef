// Which cafka identity stands behind each CAF node id that spoke to this process over TLS:
// the BASP filter (openssl_shim.cpp) binds a connection's handshake node id to the identity
// of the certificate that connection presented; actors read it to authorize senders
// (actors/node/sender_identity.hpp). One per process; any thread (one mutex).
#pragma once

#include <optional>
#include <unordered_map>
#include <mutex>

#include <caf/error.hpp>
#include <caf/node_id.hpp>

#include "runtime/tls/peer_identity.hpp"

namespace cafka::tls {

class peer_registry {
public:
  // The process's registry.
  static peer_registry& process();

  // Turns authorization on: from now on a remote CAF node id that no TLS connection bound is
  // unknown, not merely unauthenticated. Called once a process configured TLS; a plaintext
  // process never calls it and its actors trust what messages claim.
  void enforce();
  bool enforcing() const;

  // Binds `caf_node` to `who`. Rebinding to the same identity is a no-op. Errors
  // (errc::cluster_authorization_failed): the id is bound to another identity (another process claimed it).
  // Each successful bind counts one holder (a TLS connection) until its release.
  caf::error bind(const caf::node_id& caf_node, const peer_identity& who);

  // Drops one holder of `caf_node`'s binding; the binding ends with its last holder, so a
  // later process that gets the same CAF node id (a reused process id) can bind it.
  void release(const caf::node_id& caf_node);

  // The identity bound to `caf_node`, if any.
  std::optional<peer_identity> lookup(const caf::node_id& caf_node) const;

  // Forgets every binding (tests).
  void clear();

private:
  mutable std::mutex mtx_;
  bool enforcing_ = false;
  struct binding {
    peer_identity who;
    size_t holders = 0;
  };
  std::unordered_map<caf::node_id, binding> bound_;
};

} // namespace cafka::tls
