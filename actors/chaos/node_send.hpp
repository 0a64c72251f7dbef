// The choke point for cross-node protocol messages: every one-way message between cafka
// nodes (quorum traffic, broker heartbeats, metadata pushes) is sent through node_send, which
// consults the sending node's fault_table to drop, delay or duplicate it. Called from inside the
// sending actor only.
#pragma once

#include <utility>

#include "runtime/base/ids.hpp"
#include "runtime/chaos/fault_table.hpp"

namespace cafka {

// Sends xs to dest (an actor on node `to`) on behalf of `self` (on node `from`), as the
// node's table `faults` decides (null: no fault injection).
template <class Self, class Dest, class... Ts>
void node_send(Self* self, fault_table* faults, node_id from, node_id to, const Dest& dest,
               Ts&&... xs) {
  if (faults == nullptr || faults->empty()) {
    self->send(dest, std::forward<Ts>(xs)...);
    return;
  }
  auto d = faults->decide(from, to);
  for (int i = 0; i < d.copies; ++i) {
    if (d.delay.count() > 0)
      self->delayed_send(dest, d.delay, xs...);
    else
      self->send(dest, xs...);
  }
}

} // namespace cafka
