// The node supervisor: spawns this node's role actors in order (controller, then broker),
// monitors them, stops them in reverse order, and is the actor the node publishes: peers and
// clients ask it for the node's broker and controller. It also discovers the other nodes'
// controllers and introduces them to its own role actors. It makes the node's io (fault
// table and disk, runtime/chaos/node_io.hpp) and hands it to them, and hands the broker the
// node's access_cache. Actor context.
#pragma once

#include <chrono>
#include <functional>

#include <caf/fwd.hpp>

#include "actors/node/node_interface.hpp"
#include "runtime/chaos/node_io.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/security/access_cache.hpp"

namespace cafka {

// How long the supervisor waits for each role actor's stop (a broker flushes every log).
constexpr auto node_role_stop_timeout = std::chrono::seconds{60};

// on_fatal runs (in the supervisor's context) when a role actor has died unexpectedly and the
// other role has stopped, or its stop failed or timed out. `faults`: the node's fault table
// (a fresh one if null; a simulation shares one among its nodes). `access`: the node's
// access cache, which its broker publishes to and its Kafka sessions read (a fresh one if
// null: a node without Kafka listeners). `metrics`: the node's metrics and event log, which
// its HTTP endpoint serves (a fresh set per cfg.metrics if null).
node_actor spawn_node_supervisor(caf::actor_system& sys, cluster_config cfg, node_id id,
                                 std::function<void()> on_fatal,
                                 std::shared_ptr<fault_table> faults = nullptr,
                                 std::shared_ptr<access_cache> access = nullptr,
                                 std::shared_ptr<metrics::node_metrics> metrics = nullptr);

} // namespace cafka
