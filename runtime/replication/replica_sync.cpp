#include "runtime/replication/replica_sync.hpp"

#include <algorithm>
#include <cassert>

#include "runtime/protocol/record_batch.hpp"

namespace cafka {

std::optional<epoch_end> find_divergence(const leader_epoch_cache& leader,
                                         log_offset leader_start, log_offset leader_end,
                                         leader_epoch last_fetched_epoch,
                                         log_offset fetch_offset) {
  if (last_fetched_epoch < leader_epoch{0}) {
    // Nothing to compare: an empty follower log is a prefix of anything; a non-empty one
    // without epochs cannot be checked and must start over.
    if (fetch_offset == log_offset{0} || fetch_offset == leader_start)
      return std::nullopt;
    return epoch_end{};
  }
  auto e = leader.end_offset_for(last_fetched_epoch, leader_end);
  if (e.epoch == last_fetched_epoch && fetch_offset <= e.end_offset)
    return std::nullopt;
  return e;
}

log_offset truncation_point(const leader_epoch_cache& follower, log_offset follower_end,
                            log_offset follower_hw, epoch_end diverging) {
  log_offset out{0};
  if (diverging.epoch < leader_epoch{0} || diverging.end_offset < log_offset{0}) {
    // The leader knows no epoch this old: keep only what is known to be committed.
    out = follower_hw;
  } else {
    auto mine = follower.end_offset_for(diverging.epoch, follower_end);
    if (mine.epoch < leader_epoch{0} && !follower.entries().empty())
      // Every epoch of the follower is newer than any the leader has up to its last fetched
      // one: none of its records is on the leader (simulation seed 9250 looped without this).
      out = follower.entries().front().start_offset;
    else if (mine.epoch < leader_epoch{0})
      out = std::min(diverging.end_offset, follower_end);
    else if (mine.epoch == diverging.epoch)
      out = std::min(mine.end_offset, diverging.end_offset);
    else
      // The follower never saw that epoch: cut back to the end of its largest older epoch
      // and ask again with that epoch.
      out = mine.end_offset;
  }
  out = std::min(out, follower_end);
  // Invariant: committed records (below the high watermark) are never truncated away.
  return std::max(out, std::min(follower_hw, follower_end));
}

follower_copy plan_follower_copy(std::string_view records, log_offset log_end) {
  follower_copy out;
  size_t pos = 0;
  auto expected = log_end;
  while (pos + batch_header_size <= records.size()) {
    batch_header h;
    read_batch_header(records.data() + pos, records.size() - pos, h);
    auto size = h.total_size();
    if (h.batch_length <= 0 || pos + size > records.size())
      break; // a partial trailing batch (fetch max bytes): ignored
    if (h.next_offset() <= expected && out.append_bytes == 0) {
      out.skip_bytes += size;
    } else if (h.base() >= expected) {
      out.append_bytes += size;
      expected = h.next_offset();
    } else {
      out.misaligned = true;
      break;
    }
    pos += size;
  }
  return out;
}

} // namespace cafka
