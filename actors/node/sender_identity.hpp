// Who sent the message an actor is handling, as far as this process can tell: an actor of
// this process, a node or client whose TLS certificate this process verified
// (runtime/tls/peer_registry.hpp), or nobody it knows. Pure functions; any actor's context.
#pragma once

#include <string>

#include <caf/actor_control_block.hpp>

#include "runtime/base/ids.hpp"

namespace cafka {

enum class sender_kind : uint8_t {
  anonymous,        // no sender: anon_send, or a remote message without a source actor
  local,            // an actor of this process
  node,             // a node whose certificate this process verified
  client,           // a client whose certificate this process verified
  unauthenticated,  // a remote sender in a plaintext process: its claims cannot be checked
  unknown,          // TLS on; a sender a verified node forwarded, not connected to us
};

struct sender_identity {
  sender_kind kind = sender_kind::anonymous;
  node_id node{-1};         // kind == node
  std::string client_name;  // kind == client
};

// The identity behind `sender` (usually self->current_sender()).
sender_identity identify(const caf::strong_actor_ptr& sender);

// May this sender speak for node `claimed`? Yes for this process's own actors, for a
// plaintext peer (nothing can be checked) and for node `claimed` itself.
bool may_act_as_node(const sender_identity& x, node_id claimed);

// May this sender send what only cluster members send (any node, or this process)?
bool is_cluster_member(const sender_identity& x);

// "local actor", "node 2", "client 'ops'", "anonymous sender", ...
std::string to_string(const sender_identity& x);

} // namespace cafka
