// The chaos agent: one per node whose cluster.conf sets chaos-enable=true, owned by the node
// supervisor, which delegates `cafka chaos` requests to it. It checks every rule itself
// (runtime/chaos/rule_check.hpp), edits the node's fault_table (the rules node_send, the other
// cross-node exchanges and the node's faulty_env consult) and removes rules whose duration is
// over. Actor context.
#pragma once

#include <memory>
#include <set>
#include <string>

#include <caf/fwd.hpp>

#include "actors/chaos/chaos_interface.hpp"
#include "runtime/chaos/chaos_limits.hpp"
#include "runtime/chaos/fault_table.hpp"
#include "runtime/metrics/node_metrics.hpp"

namespace cafka {

// `nodes`: the ids of the cluster's config, the only ones a rule may name; `limits`: the
// caps of cluster.conf; `metrics`: the node's, for the rules' series and the
// fault_injected / fault_healed events (null: a fresh set of the agent's own).
// Requires: faults not null.
chaos_agent_actor spawn_chaos_agent(caf::actor_system& sys, node_id self_id,
                                    std::shared_ptr<fault_table> faults, chaos_limits limits,
                                    std::set<node_id> nodes,
                                    std::shared_ptr<metrics::node_metrics> metrics = nullptr);

// A rule's kind as the metrics name it (cafka_chaos_active_rules{kind}): a network rule is
// "partition" (drop 1), "drop", "duplicate" or "delay", the first that applies; a disk rule
// "disk_write", "disk_fsync" or "disk_slow".
std::string rule_kind(const fault_rule& r);

} // namespace cafka
