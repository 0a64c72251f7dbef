// Handle identity across reconnects. CAF compares actor handles by (node, actor id), so the
// proxy created after a connection to a node came back equals its dead predecessor; a late
// down message for the old proxy would then remove the new one. same_proxy compares the
// proxies (control blocks) themselves. Any thread; pure functions.
#pragma once

#include <caf/actor_addr.hpp>
#include <caf/actor_control_block.hpp>

namespace cafka {

inline const caf::actor_control_block* control_block(const caf::actor_addr& x) {
  return x.get();
}

inline const caf::actor_control_block* control_block(const caf::strong_actor_ptr& x) {
  return x.get();
}

template <class Handle>
const caf::actor_control_block* control_block(const Handle& x) {
  return x.address().get();
}

template <class A, class B>
bool same_proxy(const A& a, const B& b) {
  return control_block(a) == control_block(b);
}

} // namespace cafka
