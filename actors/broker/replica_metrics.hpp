// What the partition replica reports to the node's metrics (runtime/metrics/node_metrics.hpp):
// its cafka_partition_* gauges, set from its fsm and log whenever the driver ran, and the
// broker's record and byte counters of the batches it appends and serves. Private to
// actors/broker; called from the replica actor's own context only.
#pragma once

#include <cstdint>
#include <string_view>

#include "runtime/protocol/batch_totals.hpp"
#include "runtime/protocol/messages.hpp"

namespace cafka {

struct replica_state;

// Sets the replica's partition gauges from its fsm and log: offsets, high watermark, replica
// and ISR sizes, leader epoch and role, and, while it leads, under-replicated and
// under-min-ISR (0 on a follower: the leader reports them). `sizes`: also size_bytes (a walk
// over the log's segments: after writes, retention and cleaning, not on every drive).
// Relaxed atomic stores only. Does nothing before the log is open or after it closed.
void update_partition_series(replica_state& st, bool sizes);

// A leader appended a producer's batch of `records` records; `bytes`: the batch as the
// producer sent it (before a recompression by compression.type).
void count_append(replica_state& st, int32_t records, size_t bytes);

// `resp`, counted as a consumer's fetch answer (records_out and bytes_out): call it only on
// answers that are delivered. Brokers' own reads to the log end (req.to_log_end) are not
// consumers' and are not counted.
fetch_response counted_for_consumer(replica_state& st, const fetch_request& req,
                                    fetch_response resp);

} // namespace cafka
