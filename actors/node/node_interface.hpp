// The node supervisor's interface: the actor a node publishes on its port, which clients
// and peers ask for the node's broker and controller quorum member.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/broker/broker_interface.hpp"
#include "actors/controller/controller_interface.hpp"
#include "runtime/chaos/fault_table.hpp"

namespace cafka {

// -- node supervisor: spawns the role actors in order, monitors them, stops in reverse. It is
// the actor a node publishes on its port: clients and peers ask it for the node's broker and
// controller quorum member. Between two nodes only the one with the lower id opens the
// connection and then says hello (CAF 0.17 can lose one direction of a link that both sides
// opened at once).
using node_actor = caf::typed_actor<
  caf::replies_to<broker_atom>::with<broker_actor>,            // error: no broker role
  caf::replies_to<controller_atom>::with<controller_member_actor>,  // error: no controller role
  // A lower-id node dialled this one: its node_actor (error: not a lower-id node of the config).
  caf::replies_to<hello_atom, node_id, caf::strong_actor_ptr>::with<caf::ok_atom>,
  // Fault injection on this node's outgoing messages (delegated to its chaos agent).
  caf::replies_to<chaos_atom, fault_rule, int64_t>::with<uint64_t>,
  caf::replies_to<heal_atom>::with<caf::ok_atom>,
  caf::replies_to<chaos_atom>::with<std::vector<fault_status>>,
  // Stop both roles, broker first. Errors: shutting_down, the node is already stopping because
  // a role died (on_fatal follows); else a role's stop failed (the node stopped anyway).
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

} // namespace cafka
