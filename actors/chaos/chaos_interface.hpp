// The chaos agent's interface: a node's handle on its own fault table (cafka chaos, tests).
// Actor context.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "runtime/chaos/fault_table.hpp"

namespace cafka {

// -- chaos agent: a node's handle on its own fault table (cafka chaos, tests). A rule added
// with a duration > 0 ms removes itself when the duration is over.
using chaos_agent_actor = caf::typed_actor<
  caf::replies_to<chaos_atom, fault_rule, int64_t>::with<uint64_t>,  // add; rule id
  caf::replies_to<heal_atom>::with<caf::ok_atom>,                     // remove every rule
  caf::replies_to<chaos_atom>::with<std::vector<fault_status>>>;      // the active rules

} // namespace cafka
