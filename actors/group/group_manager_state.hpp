// The group manager's state and its write path to __consumer_offsets, shared by the
// manager's behavior (group_manager.cpp) and its writes (group_manager_writes.cpp).
// Internal to actors/group; everything runs in the group manager actor.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/group/group_manager.hpp"
#include "actors/group/group_interface.hpp"
#include "runtime/group/group_state.hpp"

namespace cafka::manager_detail {

// A reply that may go out once every write issued before it is on the ISR.
struct waiter {
  uint64_t needs;  // the write sequence number that must be done
  std::function<void(const caf::error&)> f;
};

struct group_manager_state {
  group_manager_config cfg;
  std::unique_ptr<group::group_state> group;
  std::map<topic_partition, group::offset_record> offsets;
  // Members' actors (the senders of their heartbeats), monitored for fast death detection.
  std::map<std::string, caf::actor> member_actors;
  std::map<caf::actor_addr, std::string> by_addr;
  // Writes to __consumer_offsets: at most one in flight; changes made meanwhile go in the
  // next. Invariant: written <= issued; a reply waits for the write holding its state.
  // Offset records (key, value); a null value is a tombstone.
  std::vector<std::pair<std::string, std::optional<std::string>>> queued;
  std::string written_group;  // the group value last written (or loaded)
  bool writing = false;
  uint64_t issued = 0;
  uint64_t written = 0;
  std::vector<waiter> waiters;
  bool failed = false;
  bool stop_requested = false;  // quits once the write in flight is done
  static inline const char* name = "group_manager";
};

using manager_self = group_manager_actor::stateful_pointer<group_manager_state>;

// A record's framing in a batch, at most (lengths, deltas, attributes), and the batch's own
// header with room to spare: what a write holds besides keys and values.
constexpr size_t record_overhead_bytes = 32;
constexpr size_t batch_overhead_bytes = 1024;

// Whether there is anything to write: queued offsets or a group record that changed.
bool dirty(manager_self self);
// Answers every waiting reply with err.
void fail_all(manager_self self, const caf::error& err);
// Answers the replies whose writes are done.
void release_waiters(manager_self self);
// Whether a change (a join, a subscription) left the group's record within
// max_group_value_bytes, or at least no larger than before it; if not, the group goes back
// to `before` and the change is refused: a record too large to write is never made.
bool fits_or_restore(manager_self self, group::group_state& before);
// Errors: message_too_large if `bytes` of offset records can never fit one write beside the
// group's record at the largest it may grow to before that write (twice
// max_group_value_bytes); coordinator_load_in_progress (retriable) if they do not fit the
// next write beside the records already queued.
caf::error commit_room(const group_manager_state& st, size_t bytes);
// Starts the next write if there is something to write and none is in flight.
void flush(manager_self self);
// Runs f once every change made so far is written (at once if nothing is pending).
void after_write(manager_self self, std::function<void(const caf::error&)> f);

} // namespace cafka::manager_detail
