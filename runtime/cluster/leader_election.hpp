// Partition leader election rules applied by the metadata state machine when brokers are
// fenced or come back: deterministic functions of the metadata (every quorum member applies
// them in log order and reaches the same result). Pure; any thread.
#pragma once

#include "runtime/cluster/metadata.hpp"

namespace cafka {

// Broker `id` was fenced: it leaves every ISR it is in (unless it is the last member), and
// every partition it led gets the first live ISR member as leader with a bumped epoch, or
// goes offline (leader = no_leader, epoch bumped) when no live ISR member is left.
// Invariant afterwards: no partition is led by a broker that is not alive.
void on_broker_fenced(cluster_metadata& md, node_id id);

// Broker `id` is alive again: offline partitions whose ISR contains it elect it (epoch
// bumped). Unclean election (a replica outside the ISR) never happens here.
void on_broker_unfenced(cluster_metadata& md, node_id id);

} // namespace cafka
