// The broker's lease keeper: sends the broker's heartbeats to the controller quorum members on
// a thread of its own, so that a node busy with its data path (thousands of replicas opening
// their logs at once) keeps its lease. Spawned and monitored by the broker (which starts a
// new one if it dies); it quits with the broker. Its own actor context.
#pragma once

#include <cstdint>
#include <map>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/broker/broker_interface.hpp"
#include "actors/controller/controller_interface.hpp"
#include "runtime/chaos/node_io.hpp"

namespace cafka {

using lease_keeper_actor = caf::typed_actor<
  // The broker's latest view, on each broker tick: incarnation, metadata version, access
  // metadata version and the quorum members it knows.
  caf::reacts_to<heartbeat_atom, uint64_t, uint64_t, uint64_t, std::map<node_id, controller_actor>>,
  // The broker leaves (controlled shutdown): no heartbeat goes out after the answer.
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

struct lease_keeper_config {
  node_id self;            // the broker's node
  broker_actor broker;     // the handle each heartbeat carries; the keeper quits with it
  std::shared_ptr<fault_table> faults;  // the node's (heartbeats are cross-node messages)
  int64_t interval_ms = 100;            // broker-heartbeat-interval-ms
  // A view older than this means the broker actor has not run for that long (hung, not just
  // busy): the keeper stops renewing the lease so that its leaderships move. The broker sets
  // keeper_stale_after_ms(interval).
  int64_t stale_after_ms = 30000;
};

// 30 s, or three heartbeat intervals if longer.
inline int64_t keeper_stale_after_ms(int64_t interval_ms) {
  return interval_ms > 10000 ? 3 * interval_ms : 30000;
}

// On a thread of its own, unless the system runs the simulation's "testing" scheduler (one
// thread for every actor).
lease_keeper_actor spawn_lease_keeper(caf::actor_system& sys, lease_keeper_config cfg);

} // namespace cafka
