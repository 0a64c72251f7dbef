#include "actors/node/sender_identity.hpp"

#include <caf/actor_system.hpp>

#include "runtime/tls/peer_registry.hpp"

namespace cafka {

sender_identity identify(const caf::strong_actor_ptr& sender) {
  sender_identity result;
  if (sender == nullptr)
    return result;
  if (sender->node() == sender->home_system->node()) {
    result.kind = sender_kind::local;
    return result;
  }
  auto& registry = tls::peer_registry::process();
  if (auto who = registry.lookup(sender->node())) {
    result.kind = who->is_node ? sender_kind::node : sender_kind::client;
    result.node = who->node;
    result.client_name = who->client_name;
    return result;
  }
  result.kind = registry.enforcing() ? sender_kind::unknown : sender_kind::unauthenticated;
  return result;
}

bool may_act_as_node(const sender_identity& x, node_id claimed) {
  switch (x.kind) {
    case sender_kind::local:
    case sender_kind::unauthenticated:
      return true;
    case sender_kind::node:
      return x.node == claimed;
    default:
      return false;
  }
}

bool is_cluster_member(const sender_identity& x) {
  return x.kind == sender_kind::local || x.kind == sender_kind::unauthenticated
         || x.kind == sender_kind::node;
}

std::string to_string(const sender_identity& x) {
  switch (x.kind) {
    case sender_kind::anonymous:
      return "anonymous sender";
    case sender_kind::local:
      return "local actor";
    case sender_kind::node:
      return "node " + std::to_string(x.node.value);
    case sender_kind::client:
      return "client '" + x.client_name + "'";
    case sender_kind::unauthenticated:
      return "unauthenticated peer";
    case sender_kind::unknown:
      return "unverified peer";
  }
  return "unverified peer";
}

} // namespace cafka
