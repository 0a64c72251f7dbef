// The follower/leader log reconciliation rules of partition replication (KIP-101, KIP-279,
// KIP-320): the leader checks a follower's fetch position against its epoch history; a
// follower told of a divergence computes where to truncate. Pure functions; any thread.
#pragma once

#include <optional>
#include <string_view>

#include "runtime/base/ids.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"

namespace cafka {

// Leader side. The follower has every record below fetch_offset and its last batch is of
// last_fetched_epoch (-1: it knows no epoch, e.g. an empty log, possibly restarted at the
// leader's log start). nullopt: the follower's log is a prefix of the leader's up to
// fetch_offset, so the fetch may proceed. Otherwise the epoch (<= last_fetched_epoch) and
// end offset the follower must reconcile with.
std::optional<epoch_end> find_divergence(const leader_epoch_cache& leader,
                                         log_offset leader_start, log_offset leader_end,
                                         leader_epoch last_fetched_epoch,
                                         log_offset fetch_offset);

// Follower side: the offset to truncate to after the leader reported `diverging`: the end of
// the follower's largest epoch <= diverging.epoch, capped at diverging.end_offset if it is
// that epoch; the start of its first epoch if all of them are newer (none of its records can
// be on the leader); the high watermark if the leader knows no epoch.
// follower_hw is the follower's high watermark (records below it are committed and never
// truncated away). The result is <= follower_end; fetching again from it re-checks
// divergence, so an intermediate answer converges in a few rounds.
log_offset truncation_point(const leader_epoch_cache& follower, log_offset follower_end,
                            log_offset follower_hw, epoch_end diverging);

// Where a follower's copy of a leader's fetch response goes: the prefix of whole batches
// that continue the follower's log from `log_end`. Batches wholly below log_end are skipped
// (a duplicate answer); a batch may start beyond the previous one's end (a compacted log's
// gap, kept in the copy); a batch that starts below the expected offset but ends after it
// is misaligned and ends the prefix.
struct follower_copy {
  size_t skip_bytes = 0;    // leading batches the follower already has
  size_t append_bytes = 0;  // then this many bytes of batches that start at log_end onwards
  bool misaligned = false;  // a batch straddled the expected offset
};
follower_copy plan_follower_copy(std::string_view records, log_offset log_end);

} // namespace cafka
