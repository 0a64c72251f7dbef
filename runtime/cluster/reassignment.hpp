// Partition moves in the metadata state machine (KIP-455's model): start, replace, cancel,
// completion once every target replica is in the ISR, and decommission. Deterministic
// functions of the metadata, applied by each quorum member; any thread.
#pragma once

#include <vector>

#include <caf/error.hpp>

#include "runtime/cluster/metadata.hpp"
#include "runtime/protocol/messages.hpp"

namespace cafka {

// The replicas a partition moves to: its replicas without removing_replicas, in order.
std::vector<node_id> target_replicas(const partition_metadata& p);
// The replicas it had before the move: its replicas without adding_replicas, in order.
std::vector<node_id> original_replicas(const partition_metadata& p);
inline bool is_reassigning(const partition_metadata& p) {
  return !p.adding_replicas.empty() || !p.removing_replicas.empty();
}

// The error apply_reassignment(md, r) would give, or none: unknown_topic_or_partition;
// invalid_replica_assignment for an empty target, a broker listed twice, a broker the cluster
// does not know or one being decommissioned, a move after which no in-sync replica would be
// left, or a cancel after which no live in-sync replica would be; no_reassignment_in_progress
// for a cancel of a partition that is not moving.
caf::error check_reassignment(const cluster_metadata& md, const partition_reassignment& r);

// Starts, replaces or cancels (r.cancel) one partition's reassignment, and completes
// it at once if every target replica is already in the ISR (a move that only drops
// replicas). Bumps the partition epoch (and the leader epoch if the leader must change); not
// md.version. Replacing a running move keeps its original replicas. A moving partition lists
// the target first, then the leaving replicas; a cancel keeps the original replicas in that
// order (as Kafka does), so the preferred leader may differ from before the move.
caf::error apply_reassignment(cluster_metadata& md, const partition_reassignment& r);

// Completes p's reassignment if every target replica is in its ISR: the replicas become the
// target, the ISR loses the leaving replicas, and a leaving leader hands over to the first
// live target replica. Returns true if it did (partition epoch bumped).
bool complete_reassignment(const cluster_metadata& md, partition_metadata& p);

// Starts moving every replica off broker `id` (a decommission): in each partition whose
// target holds it, it is replaced by the live broker not being decommissioned that is not
// yet a replica and holds the fewest target replicas (the lowest id on a tie). Adds `id` to
// md.draining. Errors (nothing changed): unknown broker (invalid_request), or
// invalid_replication_factor naming the first partition no broker can take.
caf::error decommission_broker(cluster_metadata& md, node_id id);
// Takes `id` off md.draining (running moves go on); false if it was not there.
bool recommission_broker(cluster_metadata& md, node_id id);

} // namespace cafka
