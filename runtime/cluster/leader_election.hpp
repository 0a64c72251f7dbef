// Partition leader election rules applied by the metadata state machine when brokers are
// fenced or come back, and preferred-leader election: deterministic functions of the metadata
// and the command (every quorum member applies them in log order and reaches the same
// result). Pure; any thread.
#pragma once

#include <vector>

#include "runtime/cluster/metadata.hpp"

namespace cafka {

// One partition that got a new leader.
struct elected_leader {
  topic_partition tp;
  node_id leader;
};

// `unclean` is the cluster's unclean-leader-election-enable; a topic's own
// unclean.leader.election.enable (topic_metadata::configs) overrides it for its partitions.

// Every rule below bumps a partition's leader epoch on a leader change, and its partition
// epoch (once per call) on a leader change, an ISR change, or both.

// Broker `id` was fenced: it leaves every ISR it is in (unless it is the last member), and
// every partition it led gets the first live ISR member as leader, or, when no live ISR
// member is left: with `unclean`, the first live replica in replica order (its ISR becomes
// just that replica); otherwise the partition goes offline (leader = no_node).
// Returns the partitions that got an unclean leader (acknowledged records may be lost).
// Invariant afterwards: no partition is led by a broker that is not alive.
// Requires: `id` is already marked not alive in md.
std::vector<elected_leader> on_broker_fenced(cluster_metadata& md, node_id id,
                                             bool unclean = false);

// Broker `id` is alive again: offline partitions whose ISR contains it elect it. With
// `unclean`, offline partitions where it is any replica elect it too, and their ISR becomes
// just that broker. Returns the partitions that got an unclean leader.
// Requires: `id` is already marked alive in md.
std::vector<elected_leader> on_broker_unfenced(cluster_metadata& md, node_id id,
                                               bool unclean = false);

// True if some partition's preferred replica (replicas[0]) is alive, in the ISR and not its
// leader: what elect_preferred_leaders would change.
bool has_preferred_leader_imbalance(const cluster_metadata& md);

// Every partition whose preferred replica is alive, in the ISR and not the leader gets it as
// leader. Returns the partitions that moved. Does not touch md.version.
std::vector<elected_leader> elect_preferred_leaders(cluster_metadata& md);

} // namespace cafka
