// The group manager actor: drives the group core (runtime/group/group_core.hpp) of one
// consumer group on the broker that leads the group's __consumer_offsets partition. It does
// the core's I/O: writes to that partition with acks=all, the session-expiry timer, the
// "heartbeat now" nudges to members and the monitors of their actors; the core decides
// everything else (what to write, when a reply may go out). Spawned and owned by the
// broker's group coordinator.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/broker/broker_interface.hpp"
#include "actors/group/group_interface.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/group/group_core.hpp"
#include "runtime/metrics/node_metrics.hpp"

namespace cafka {

struct group_manager_config {
  group::core_config core;      // the group, its session, heartbeat and size rules
  topic_partition offsets_tp;   // where the group's records live
  node_id coordinator = no_node; // this broker
  broker_actor broker;          // writes go through it to the local leader replica
  int32_t write_timeout_ms = 30000;
  // What the records of the partition said about the group when the coordinator loaded it.
  group::loaded_group loaded;
  cluster_metadata md;
  // The node's metrics and event log: the group's series and its rebalances. Null: none.
  std::shared_ptr<metrics::node_metrics> metrics;
};

group_manager_actor spawn_group_manager(caf::actor_system& sys, group_manager_config cfg);

} // namespace cafka
