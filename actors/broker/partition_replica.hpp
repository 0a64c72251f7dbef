// The partition replica actor: owns one partition's log on this broker. As the leader it
// serves produce (acks 0/1/all), long-poll fetch below the high watermark, list-offsets and
// followers' fetches; as a follower it pulls from the leader. It parks at most
// limits.max_parked_fetches_per_partition consumer long polls: a fetch beyond them is answered
// at once with what it read and fetch_response::park_refused set, and the asker waits.
// Spawned and monitored by the broker actor; runs in its own actor context; the log is
// touched by this actor only, through the node's storage env (cfg.io.disk).
#pragma once

#include <optional>
#include <string>

#include <caf/actor_addr.hpp>
#include <caf/fwd.hpp>

#include "actors/broker/broker_interface.hpp"
#include "actors/broker/cleaner_slots.hpp"
#include "runtime/replication/replication_throttle.hpp"
#include "actors/broker/replica_interface.hpp"
#include "runtime/chaos/node_io.hpp"
#include "runtime/cluster/topic_config.hpp"
#include "runtime/config/cluster_config.hpp"

namespace cafka {

// The leader-epoch history's file in a partition directory (Kafka's name and format).
constexpr const char* epoch_checkpoint_file = "leader-epoch-checkpoint";

struct replica_config {
  topic_partition tp;
  std::string dir;           // the partition's log directory
  broker_defaults defaults;  // replication settings, retention check interval
  caf::actor_addr owner;     // the broker: when it goes away, the replica flushes and stops
  node_id self;              // this broker's id
  partition_metadata pm;     // the partition as the broker's metadata shows it at spawn
  // The node's fault table (follower fetches) and disk (the log, the epoch checkpoint); a
  // fresh table and the real disk unless the broker hands over the node's.
  node_io io = make_node_io();
  // [limits]: max-parked-fetches-per-partition (consumer long polls this replica parks) and
  // max-producer-ids-per-partition (its idempotence table).
  limits_config limits{};
  // The topic's effective configs (its overrides over the defaults); nullopt: the defaults'
  // (spawn_partition_replica fills it in). Later changes arrive as md_update messages.
  std::optional<topic_config> topic = std::nullopt;
  // The node's log cleaner slots (log-cleaner-threads); a fresh single slot unless the
  // broker hands over the node's.
  std::shared_ptr<cleaner_slots> cleaning = std::make_shared<cleaner_slots>(1);
  // The node's throttle on replicas being added by a move; unlimited unless the broker hands
  // over the node's.
  std::shared_ptr<replication_throttle> throttle = std::make_shared<replication_throttle>();
};

replica_actor spawn_partition_replica(caf::actor_system& sys, replica_config cfg);

} // namespace cafka
