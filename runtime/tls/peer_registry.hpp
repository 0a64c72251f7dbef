// Which cafka identity stands behind each CAF node id that spoke to this process over TLS:
// the BASP filter (openssl_shim.cpp) binds a connection's handshake node id to the identity
// of the certificate that connection presented; actors read it to authorize senders
// (actors/node/sender_identity.hpp). One per process; any thread (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <mutex>
#include <vector>

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

  // Closes the connection of one holder: the registry calls it, outside its lock, when a
  // node's certificate takes over the CAF node id that holder's client claimed.
  using evict_fn = std::function<void()>;

  // Binds `caf_node` to `who` for one holder (a TLS connection; `holder` tells it apart for
  // release). Rebinding to the same identity adds a holder. A node takes over an id bound to
  // a client: that client's holders are evicted (a client that claimed a node's CAF node id
  // first would otherwise keep the node's link from forming). Errors
  // (errc::cluster_authorization_failed): the id is bound to another identity and this is
  // not such a takeover, or a client claims an id a node held within the last
  // `pin_duration` (so that an evicted client cannot claim it again while the node redials).
  caf::error bind(const caf::node_id& caf_node, const peer_identity& who, uint64_t holder = 0,
                  evict_fn evict = {});

  // Drops holder `holder` of `caf_node`'s binding; the binding ends with its last holder, so
  // a later process that gets the same CAF node id (a reused process id) can bind it (a
  // client only after the pin of a node's id has run out).
  void release(const caf::node_id& caf_node, uint64_t holder = 0);

  // How long a node's CAF node id stays reserved for nodes after its last connection ended.
  static constexpr std::chrono::minutes pin_duration{1};

  // The identity bound to `caf_node`, if any.
  std::optional<peer_identity> lookup(const caf::node_id& caf_node) const;

  // Forgets every binding (tests).
  void clear();

private:
  mutable std::mutex mtx_;
  bool enforcing_ = false;
  struct holder_entry {
    uint64_t id = 0;
    evict_fn evict;
  };
  struct binding {
    peer_identity who;
    std::vector<holder_entry> holders;
  };
  using clock = std::chrono::steady_clock;
  // Requires: mtx_ held. Forgets pins that ran out.
  void prune_pins(clock::time_point now);

  std::unordered_map<caf::node_id, binding> bound_;
  // Node ids of nodes whose last connection ended, until when clients may not claim them.
  std::unordered_map<caf::node_id, std::pair<peer_identity, clock::time_point>> pinned_;
};

} // namespace cafka::tls
