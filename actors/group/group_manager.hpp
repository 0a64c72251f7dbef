// The group manager actor: runs one consumer group (runtime/group/group_state) on the broker
// that leads the group's __consumer_offsets partition. It monitors every member's actor,
// expires sessions on a timer, pushes "heartbeat now" to members whose assignment moved, and
// writes every change (membership, assignment, committed offsets) to that partition with
// acks=all before it answers. Spawned and owned by the broker's group coordinator.
#pragma once

#include <caf/fwd.hpp>

#include "actors/broker/broker_interface.hpp"
#include "actors/group/group_interface.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/group/group_state.hpp"

namespace cafka {

struct group_manager_config {
  std::string group;
  topic_partition offsets_tp;   // where the group's records live
  node_id coordinator{-1};      // this broker
  broker_actor broker;          // writes go through it to the local leader replica
  group::group_config group_cfg;
  int32_t heartbeat_interval_ms = 5000;
  int32_t write_timeout_ms = 30000;
  // The largest group record a change may make (a quarter of message-max-bytes: members'
  // confirmations may double it, and the offsets written with it must fit beside it), and
  // the largest write (message-max-bytes): a commit that would not fit the next write is
  // refused.
  size_t max_group_value_bytes = 262144;
  size_t max_write_bytes = 1048588;
  // What the records of the partition said about the group when the coordinator loaded it.
  group::loaded_group loaded;
  cluster_metadata md;
};

group_manager_actor spawn_group_manager(caf::actor_system& sys, group_manager_config cfg);

} // namespace cafka
