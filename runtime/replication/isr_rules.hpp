// The partition leader's in-sync-replica rules, each written once: the high watermark, who
// may join the ISR, who must leave it, and when an acks=all write is answered. replica_fsm
// (replica_fsm.hpp) applies them and nothing else decides these questions. Pure functions;
// any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/base/ids.hpp"

namespace cafka {

// The high-watermark rule (Kafka's replication design; KIP-101 uses it to bound truncation):
//
//   hw' = max(hw, min(leader_end, min over f in F of end(f)))
//
// F: the followers of the maximal ISR, i.e. the committed ISR plus every replica an ISR
// change in flight adds (KIP-497's pending AlterPartition state: a joining follower is an ISR
// member, and a possible leader, the moment the change commits, so nothing past its log end
// may be acknowledged before). end(f): the offset of f's latest fetch in this leader epoch
// (0 before its first), i.e. f has every record below it. The result never decreases and is
// at most leader_end once hw is.
log_offset next_high_watermark(log_offset hw, log_offset leader_end,
                               const std::vector<log_offset>& follower_ends);

// The high watermark a replica starts with when it opens its log (Kafka: the
// replication-offset-checkpoint, hw_checkpoint.hpp): the checkpointed one, cut to the log end
// (the log may have lost an unflushed tail the checkpoint covered); 0 without a checkpoint.
// Every record below a checkpointed high watermark was on every member of the maximal ISR
// when it was written, so a leader may serve consumers up to it at once and count from it.
log_offset recovered_high_watermark(std::optional<log_offset> checkpointed, log_offset log_end);

// The ISR-join rule (Kafka's isFollowerInSync after KAFKA-7128): a replica outside the ISR
// may join once its log end is at or beyond both the high watermark and `epoch_start`: the
// first offset of the leader's current epoch (its log end if the epoch wrote nothing yet),
// or the leader's log end when it began to lead if that is later. The second half covers
// what the leader's high watermark may not show yet: a new leader learns the high watermark
// from its followers' fetches, and a leader restarted within its epoch starts from its last
// checkpointed high watermark (recovered_high_watermark), which may be behind, while
// everything in its log when it took over may have been acknowledged (simulation seeds 770
// and 947 lost such records to a follower that joined and then won an election).
bool may_join_isr(log_offset follower_end, log_offset hw, log_offset epoch_start);

// The ISR-shrink rule (replica.lag.time.max.ms, KAFKA-1546): an ISR follower is out of sync
// when it is behind the leader's log end and was last caught up with it (fetched at or
// beyond the log end, or had such a fetch waiting when an append came) more than lag_max_ms
// ago.
bool is_lagging(log_offset follower_end, int64_t last_caught_up_ms, log_offset leader_end,
                int64_t now_ms, int64_t lag_max_ms);

// The acks=all rule: a write whose records end at `end` (exclusive) is answered once the
// high watermark reaches `end`: with success if the committed ISR still has
// min.insync.replicas members, else with errc::not_enough_replicas_after_append (written,
// but fewer replicas hold it than asked for). Before that it waits (or times out).
enum class ack_verdict : uint8_t { wait, acknowledge, too_few_replicas };
ack_verdict acks_all_verdict(log_offset end, log_offset hw, size_t committed_isr_size,
                             int32_t min_insync_replicas);

} // namespace cafka
