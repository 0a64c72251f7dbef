// The partition replica's published interface: what its broker and the other brokers'
// replicas may send it. Its own timers are in the implementation (partition_replica.cpp).
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "runtime/cluster/metadata.hpp"
#include "runtime/cluster/topic_config.hpp"
#include "runtime/protocol/messages.hpp"

namespace cafka {

// -- partition replica: owns one partition's log, as its leader or a follower ---------------
using replica_actor = caf::typed_actor<
  caf::replies_to<produce_atom, produce_request>::with<produce_response>,
  caf::replies_to<fetch_atom, fetch_request>::with<fetch_response>,
  caf::replies_to<list_offsets_atom, list_offsets_request>::with<list_offsets_response>,
  caf::replies_to<replica_fetch_atom, replica_fetch_request>::with<replica_fetch_response>,
  caf::reacts_to<md_update_atom, partition_metadata>,  // leader, epochs or ISR changed
  caf::reacts_to<md_update_atom, topic_config>,        // the topic's configs changed
  caf::reacts_to<peer_atom, node_id, caf::strong_actor_ptr>,  // a broker_actor: the leader's
  caf::replies_to<stop_atom, bool>::with<caf::ok_atom>>;  // bool: the partition is deleted

} // namespace cafka
