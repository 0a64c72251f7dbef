// The group coordinator actor, one per broker: for every __consumer_offsets partition this
// broker leads, it replays the partition (to its log end) and runs one group manager per
// group found there or joined later; it routes group requests to them and stops them when
// the leadership moves. Spawned, monitored and fed metadata by the broker; actor context.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/broker/broker_interface.hpp"
#include "actors/group/group_interface.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/metrics/node_metrics.hpp"

namespace cafka {

// `metrics`: the node's (its group managers' series and events, the coordinator's mailbox
// depth); null: none.
group_coordinator_actor spawn_group_coordinator(caf::actor_system& sys, broker_actor broker,
                                                cluster_config cfg, node_id self_id,
                                                std::shared_ptr<metrics::node_metrics> metrics);

} // namespace cafka
