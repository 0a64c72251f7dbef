// The load of one __consumer_offsets partition by the broker that leads it, before any of
// its groups is served: wait for the managers of an earlier load to stop, read the partition
// to its log end, wait for the high watermark to reach that end, then serve. And the
// routing rule of a group request on a broker, and its max-groups rule. Pure state, no I/O; owned by the group
// coordinator actor (one per broker) or a test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/protocol/messages.hpp"

namespace cafka::group {

// What the driver does next for a load.
enum class load_step : uint8_t {
  wait_managers,  // nothing until manager_stopped() brings the count to 0
  read,           // read from position() to the log end now
  retry_later,    // read again after a pause (the high watermark is behind, or a read failed)
  serve,          // loaded: take_groups() and serve them
};

class offsets_load {
public:
  // managers_stopping: managers of this partition's groups from an earlier load, still
  // stopping. Invariant: no read starts while one runs (a write it still has in flight
  // would land after the load).
  offsets_load(leader_epoch epoch, size_t managers_stopping);

  leader_epoch epoch() const { return epoch_; }
  bool loaded() const { return loaded_; }
  // Where the next read starts.
  log_offset position() const { return next_; }

  // The step to take now.
  load_step next_step() const;
  // One of the stopping managers is gone.
  void manager_stopped();
  // A read from position() up to the log end (fetch_request::to_log_end) answered. Records
  // are replayed in offset order; one that does not decode is skipped with a warning.
  // Loaded once a read finds no more records and the high watermark has reached the log
  // end: the tail past it is on no ISR yet and a leader change could still cut it off, so
  // serving it could show a committed offset that later goes backwards (I4).
  load_step on_read(const fetch_response& resp);
  // Warnings since the last call (records skipped, batches that did not decode).
  std::vector<std::string> take_warnings();

  // The groups found (state and committed offsets), once. Requires: loaded().
  std::map<std::string, loaded_group> take_groups();

private:
  leader_epoch epoch_;
  size_t stopping_ = 0;
  bool loaded_ = false;
  group_loader loader_;
  log_offset next_{0};
  std::vector<std::string> warnings_;
};

// Whether this broker serves `group` now, and from which offsets partition. `led`: the load
// of every offsets partition this broker leads; offsets_partitions: the partition count of
// __consumer_offsets (0: no such topic yet). Errors: invalid_group_id,
// coordinator_not_available (no offsets topic yet), not_coordinator (another broker leads
// the group's partition), coordinator_load_in_progress.
caf::expected<partition_id> serving_partition(const std::string& group,
                                              int32_t offsets_partitions,
                                              const std::map<partition_id, offsets_load>& led,
                                              node_id self);

// Whether broker `self`, which coordinates `coordinated` groups, may start `group` as a new
// one under [limits] max-groups: limit_exceeded naming the key once it coordinates
// max_groups ("group 'g' would pass [limits] max-groups = 2 (node 1 coordinates 2 groups)").
// Only new groups are checked: the groups of a partition a broker loads are never refused.
caf::error check_new_group(const std::string& group, size_t coordinated, int32_t max_groups,
                           node_id self);

} // namespace cafka::group
