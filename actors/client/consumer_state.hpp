// The consumer actor's state and the functions its parts share: fetching and delivery
// (consumer_actor.cpp), group membership with commits (consumer_group.cpp) and giving
// partitions back (consumer_revocation.cpp). Private to
// actors/client; used only from the consumer actor's own context.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <caf/typed_event_based_actor.hpp>

#include "actors/client/cluster_link.hpp"
#include "cafka/client_messages.hpp"
#include "runtime/client/client_config.hpp"
#include "runtime/client/group_membership.hpp"

namespace cafka {

struct partition_position {
  log_offset offset = no_offset;  // next offset to fetch; no_offset: unknown (reset applies)
  // The list-offsets timestamp that resolves an unknown offset: earliest_timestamp or
  // latest_timestamp; nullopt once the offset is known.
  std::optional<int64_t> reset;
  bool busy = false;     // a fetch or list-offsets is in flight
  // This position's seek generation (consumer_records::seek_generation), new at each seek
  // and assignment: replies to requests of an older one are dropped.
  uint64_t seek_generation = 0;
  // The request in flight (0: none) and the broker it went to: if that broker goes down the
  // request fails at once instead of at its timeout. A reply to another id is dropped.
  uint64_t request = 0;
  caf::actor_addr from;
  // A fetched batch waiting for credit. Invariant: a partition with a buffered batch is not
  // fetched, so at most one undelivered fetch result per partition exists.
  std::optional<consumer_records> buffered;
};

using coordinator_callback = std::function<void(caf::expected<broker_actor>)>;

// The consumer's part in a group (after subscribe_atom).
struct group_session {
  explicit group_session(group_membership m) : membership(std::move(m)) {}

  group_membership membership;
  // Partitions the group gave this member that wait for their committed offsets, and
  // partitions taken away whose final commit is still in flight: both still count as owned.
  std::set<topic_partition> assigning;
  std::set<topic_partition> revoking;
  // Revocations in progress, in order: each waits until the sink answered its
  // partitions_revoked request (a sink that commits by hand has done so by then) and granted
  // credit back for every batch of its partitions it was sent, then commits them (auto
  // commit), then is confirmed.
  struct revocation {
    std::vector<topic_partition> tps;
    bool acknowledged = false;  // the sink answered partitions_revoked (its callback ran)
    bool committing = false;
  };
  std::vector<revocation> revocations;
  bool heartbeat_in_flight = false;
  bool heartbeat_again = false;   // a reason to heartbeat came while one was in flight
  uint64_t generation = 0;        // bumped when the member resets: older answers are dropped
  std::chrono::steady_clock::time_point next_heartbeat;
  bool paused = false;            // left for max.poll.interval.ms; rejoins on credit
  std::chrono::steady_clock::time_point paused_at;
  bool failed = false;            // a fatal error: no more heartbeats
  // The connection to the coordinator broke: the group may have removed this member (a
  // manager takes a lost connection for a death), so nothing is fetched or delivered until
  // a heartbeat is answered again.
  bool suspended = false;
  std::chrono::steady_clock::time_point last_answer;  // the last answered heartbeat
};

struct consumer_state {
  consumer_config cfg;
  caf::actor sink;
  cluster_link link;
  std::map<topic_partition, partition_position> parts;
  int32_t credit = 0;      // messages the sink will still accept
  bool retry_scheduled = false;
  topic_partition next_delivery;  // round-robin start among buffered partitions
  uint64_t next_request = 1;
  uint64_t next_seek_generation = 1;  // Invariant: above every position's seek_generation
  // Conditions reported to the sink as consumer_error, by partition (empty topic: the
  // cluster link), until they clear: each is reported once, not at every retry.
  std::map<topic_partition, errc> reported;
  // Commit positions: one entry per message delivered to the sink (its partition and the
  // offset after its last record); credit coming back marks the oldest ones processed.
  struct delivery {
    topic_partition tp;  // empty: the partition was revoked since
    log_offset next{0};
    std::chrono::steady_clock::time_point at;
  };
  std::deque<delivery> unacked;
  std::map<topic_partition, log_offset> processed;
  std::map<topic_partition, log_offset> committed;  // as last stored by the group
  std::chrono::steady_clock::time_point last_credit;
  std::chrono::steady_clock::time_point last_auto_commit;
  // The group's coordinator broker, once found; callers waiting for it.
  std::optional<group_session> group;
  std::optional<broker_actor> coordinator;
  std::vector<coordinator_callback> coordinator_waiters;
  // Requests to the coordinator in flight, by id: failed at once if its broker goes down.
  std::map<uint64_t, std::function<void(caf::error)>> pending;
  bool leaving = false;
  bool ticking = false;
  static inline const char* name = "consumer";
};

// The consumer's published interface plus its own timers (self-messages only).
using consumer_timers_actor = consumer_actor::extend<
  caf::reacts_to<caf::tick_atom>,  // heartbeat, auto commit and poll-interval timer
  caf::reacts_to<wake_atom>>;      // retry after a backoff

using consumer_self = consumer_timers_actor::stateful_pointer<consumer_state>;

// -- fetching (consumer_actor.cpp) ------------------------------------------------------------
// Starts a fetch for every assigned partition that is idle and has nothing buffered.
void pump(consumer_self self);
// Hands buffered batches to the sink while credit lasts (not while the group is suspended).
void deliver(consumer_self self);
void schedule_retry(consumer_self self);
// Tells the sink (consumer_error) and the log that tp (empty topic: the cluster) cannot be
// read for this reason, unless that was the last thing reported for it.
void report_error(consumer_self self, const topic_partition& tp, const caf::error& err);
// The condition reported for tp is over.
void clear_error(consumer_self self, const topic_partition& tp);
// Deliveries of tp waiting for credit no longer move its processed position (seek,
// revocation, unassignment).
void forget_deliveries(consumer_state& st, const topic_partition& tp);
// A fresh position for a newly assigned partition (offset < 0: the reset policy applies).
partition_position new_position(consumer_self self, log_offset offset);

// -- group (consumer_group.cpp) ----------------------------------------------------------------
// The group id to use: cfg.group_id, or a unique new one for a consumer without a group.
std::string group_id_for(const consumer_config& cfg);
// The group this consumer commits to (its session's, or cfg.group_id).
std::string group_name(const consumer_state& st);
void subscribe(consumer_self self, std::vector<std::string> topics);
// Heartbeats now (or right after the one in flight).
void heartbeat_now(consumer_self self);
// The periodic timer: heartbeats, auto commit, max.poll.interval.ms.
void group_tick(consumer_self self);
// The sink granted n credits: the n oldest deliveries are processed.
void on_credit(consumer_self self, int32_t n);
// Commits offsets (empty: every processed position of owned partitions); f gets the outcome.
void commit(consumer_self self, std::vector<partition_offset> offsets,
            std::function<void(caf::error)> f);
void fetch_committed(consumer_self self, std::vector<topic_partition> tps,
                     std::function<void(caf::expected<std::vector<partition_offset>>)> f);
// The coordinator's broker went away: forget it; a heartbeat in flight is retried.
bool on_coordinator_down(consumer_self self, const caf::actor_addr& broker);
// Commits (auto commit), leaves the group, then calls `then`.
void leave_group(consumer_self self, std::function<void()> then);

// -- revocations (consumer_revocation.cpp) -----------------------------------------------------
// Stops reading these partitions and asks the sink to let them go (partitions_revoked as a
// request); the revocation completes in check_revocations.
void revoke_partitions(consumer_self self, std::vector<topic_partition> tps);
// Finishes every revocation the sink answered and fully credited: commits (auto commit),
// then confirms by heartbeating without its partitions.
void check_revocations(consumer_self self);
// Forgets the positions of partitions this member no longer owns.
void forget_positions(consumer_state& st, const std::vector<topic_partition>& tps);

} // namespace cafka
