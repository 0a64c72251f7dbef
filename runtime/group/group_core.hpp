// The group core: every decision of one consumer group's manager, as a pure state machine in
// the input / output style of runtime/raft/fsm.hpp. It holds the group (group_state), its
// committed offsets and the write path to the group's __consumer_offsets partition: which
// records go into the next write, which replies wait for which write, which members to
// nudge, which sessions expired. No I/O, no clock (time comes in as an argument), no
// threads. Owned by one group manager actor (actors/group) or a test; not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <caf/error.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/group/group_state.hpp"
#include "runtime/protocol/group_messages.hpp"

namespace cafka::group {

// The driver's name for a request whose reply the core owes (unique per core).
struct reply_id_tag {};
using reply_id = strong_int<reply_id_tag, uint64_t>;
// The number of a write, 1, 2, ... in the order the core hands them out; 0: none yet.
struct write_seq_tag {};
using write_seq = strong_int<write_seq_tag, uint64_t>;

struct core_config {
  std::string group;
  group_config group_cfg;
  int32_t heartbeat_interval_ms = 5000;
  // The largest group record a change may make (a quarter of message-max-bytes: members'
  // confirmations may double it, and the offsets written with it must fit beside it), and
  // the largest write (message-max-bytes): a commit that would not fit the next write is
  // refused.
  size_t max_group_value_bytes = 262144;
  size_t max_write_bytes = 1048588;
  // Kafka's offsets.retention.minutes (its default, 7 days), in ms: see expire_offsets().
  int64_t offsets_retention_ms = 10080LL * 60 * 1000;
};

// A record's framing in a batch, at most (lengths, deltas, attributes), and the batch's own
// header with room to spare: what a write holds besides keys and values.
inline constexpr size_t record_overhead_bytes = 32;
inline constexpr size_t batch_overhead_bytes = 1024;

// A key and its value in __consumer_offsets; a null value is a tombstone.
using keyed_record = std::pair<std::string, std::optional<std::string>>;

// One batch for the group's partition, to be appended with acks=all. Its records: the
// queued offset records in commit order, then the group's record if it changed.
struct group_write {
  write_seq seq;
  std::vector<keyed_record> records;
};

// The batch of a write (record_batch.hpp), every record stamped timestamp_ms.
std::string encode_batch(const group_write& w, int64_t timestamp_ms);

// The answer to an offset commit: every offset of it is on the ISR.
struct commit_done {};

// What a request is answered: an error, or the value of its kind.
using reply_value = std::variant<caf::error, group_heartbeat_response, classic_group_response,
                                 commit_done, std::vector<partition_offset>,
                                 group_description, group_admin_response>;

struct core_reply {
  reply_id id;
  reply_value value;
};

// The driver monitors the sender of request `from` as member `member_id` (if it is not
// already): its death is member_gone.
struct member_watch {
  std::string member_id;
  reply_id from;
};

// A line for the driver's log.
struct core_note {
  bool warning = false;
  std::string text;
};

// Everything the driver must do after an input, in this order:
//   1. stop monitoring the `unwatch` members, then monitor the `watch` senders;
//   2. send `write` (if set) to the partition with acks=all and report its end with
//      write_done or write_failed;
//   3. send "heartbeat now" to the `nudge` members it monitors;
//   4. deliver `replies`;
//   5. end if `finished`: `failed` says the write path broke (the partition must be loaded
//      again before the group is served), else the core stopped as asked.
// Outputs accumulate between take_output() calls, so one call after several inputs is fine.
struct core_output {
  std::vector<std::string> unwatch;
  std::vector<member_watch> watch;
  std::optional<group_write> write;
  std::vector<std::string> nudge;
  std::vector<core_reply> replies;
  std::vector<core_note> notes;
  bool finished = false;
  bool failed = false;

  bool empty() const {
    return unwatch.empty() && watch.empty() && !write && nudge.empty() && replies.empty()
           && notes.empty() && !finished;
  }
};

// serving: requests run. stopping: asked to stop while a write is in flight; requests get
// not_coordinator; the write's end finishes the core. deleting: the group is being deleted
// (delete_group); requests get not_coordinator (a retry finds a fresh group) and the core
// finishes once its tombstones are on the ISR. stopped, failed: finished (output).
enum class core_mode : uint8_t { serving, stopping, deleting, stopped, failed };
const char* to_string(core_mode m);

class group_core {
public:
  // A group as the load of its partition found it (loaded.state: nullopt for a new group).
  // topics: every topic of the cluster with its partition count (from the metadata).
  // Offsets of partitions that no longer exist are dropped and their tombstones written.
  group_core(core_config cfg, loaded_group loaded, topic_sizes topics, clock::time_point now);

  // -- requests: each is answered exactly once in output().replies under its id -----------
  // Answers wait until every change they reflect is on the ISR (see docs/group-core.md).
  // Errors (besides group_state's): not_coordinator once stopping, unsupported_assignor,
  // message_too_large if the group's record would pass max_group_value_bytes.
  void heartbeat(reply_id id, const group_heartbeat_request& req, clock::time_point now);
  // Kafka's codes in the response (group_state::classic); not_coordinator once stopping.
  void classic(reply_id id, const classic_group_request& req, clock::time_point now);
  // now_ms: the commit's timestamp (wall clock). Errors: not_coordinator once stopping,
  // unknown_topic_or_partition, invalid_request (offset < 0), offset_metadata_too_large,
  // unknown_member_id (a standalone commit to a group with members), group_state's
  // check_commit errors, message_too_large (can never fit one write),
  // coordinator_load_in_progress (the next write is full: retry).
  void commit(reply_id id, const offset_commit_request& req, int64_t now_ms);
  // Read once every change made before them is on the ISR; only offsets on the ISR are
  // read (a commit accepted meanwhile may still be lost with its write).
  void offset_fetch(reply_id id, const offset_fetch_request& req);
  void describe(reply_id id);

  // -- operator requests (group_core_admin.cpp) ------------------------------------------------
  // Deletes the group (Kafka's DeleteGroups): refused with non_empty_group while it has
  // members. Else a tombstone for every committed offset and for the group's record go into
  // the next write; requests meanwhile get not_coordinator; once that write is on the ISR
  // the answer (an empty group_admin_response) goes out and the core finishes (not failed):
  // the driver ends and a later request starts a fresh group.
  void delete_group(reply_id id);
  // Drops committed offsets (Kafka's OffsetDelete): per partition group_subscribed_to_topic
  // if some member reads its topic, else its tombstone (none needed if it had no offset).
  // Answers once the tombstones are on the ISR, one partition_result per partition asked.
  void delete_offsets(reply_id id, const std::vector<topic_partition>& tps);
  // An operator's new committed offsets (kafka-consumer-groups --reset-offsets --execute):
  // refused with non_empty_group ("Assignments can only be reset if the group 'g' is
  // inactive, but the current state is Stable.") while the group has members; else a
  // standalone commit (commit()'s checks and errors), answered with a group_admin_response.
  void reset_offsets(reply_id id, const std::vector<partition_offset>& offsets, int64_t now_ms);

  // -- events --------------------------------------------------------------------------------
  void metadata(topic_sizes topics);  // new metadata: every topic's partition count
  void member_gone(const std::string& member_id, clock::time_point now);  // its monitor fired
  void tick(clock::time_point now);   // expires sessions; call every tick_interval()
  // Kafka's offsets.retention.minutes (KIP-211): while the group has no members, a committed
  // offset whose commit is offsets_retention_ms old or older (wall clock now_ms) is dropped
  // and its tombstone written. Looks at most once a minute (or once per retention, if
  // shorter); call it from the driver's timer.
  void expire_offsets(int64_t now_ms);
  // Stops once the write in flight (if any) ends, so whoever loads the partition next sees
  // it; meanwhile requests get not_coordinator.
  void stop();
  // The write `seq` is on the ISR (acks=all answered).
  void write_done(write_seq seq);
  // The write `seq` failed or timed out: whether it was written is unknown and answers
  // already given may rest on it, so the core fails (the partition must be loaded again).
  void write_failed(write_seq seq, const caf::error& err);

  // Drains what happened since the last call.
  core_output take_output();

  // -- queries -------------------------------------------------------------------------------
  core_mode mode() const { return mode_; }
  const group_state& state() const { return *group_; }
  // Every committed offset the core has accepted (some may not be on the ISR yet).
  const std::map<topic_partition, offset_record>& offsets() const { return offsets_; }
  // The committed offsets on the ISR (loaded, or in a write that is done): what offset
  // fetches and descriptions read.
  const std::map<topic_partition, offset_record>& durable_offsets() const { return durable_; }
  write_seq issued() const { return issued_; }
  write_seq written() const { return written_; }
  bool writing() const { return writing_; }
  // How often the driver calls tick(): a tenth of the session timeout, within [10 ms, 1 s].
  std::chrono::milliseconds tick_interval() const;

private:
  // A reply that may go out once write `needs` is done. Fetches and descriptions are read
  // when they go out; the others were decided when they came in.
  struct fetch_query {
    std::vector<topic_partition> tps;
  };
  struct describe_query {};
  struct waiter {
    write_seq needs;
    reply_id id;
    std::variant<reply_value, fetch_query, describe_query> what;
  };

  // -- requests (group_core.cpp) -------------------------------------------------------------
  caf::error commit_checks(const offset_commit_request& req) const;
  // Accepts a commit that passed commit_checks; `done` is its answer once on the ISR.
  void accept_commit(reply_id id, const offset_commit_request& req, int64_t now_ms,
                     reply_value done);
  // Queues the tombstone of the committed offset of tp (requires: it has one).
  void drop_offset(const topic_partition& tp);
  std::vector<partition_offset> read_offsets(const fetch_query& q) const;
  group_description read_description() const;
  void drop_deleted_topics();
  // Members whose assignment moved heartbeat now; `except` was just answered.
  void nudge(const std::string& except);
  void reply_now(reply_id id, reply_value v);
  bool moving(reply_id id);  // answers not_coordinator unless serving

  // -- the write path (group_core_writes.cpp) -----------------------------------------------
  // Whether there is anything to write: queued offsets or a group record that changed.
  bool dirty() const;
  // The reply goes out once every change made so far is written (at once if nothing is
  // pending); starts a write if there is something to write and none is in flight.
  void after_write(reply_id id, std::variant<reply_value, fetch_query, describe_query> what);
  // Writes what changed, if anything; no reply waits for it.
  void persist();
  void flush();
  void release_waiters();
  void fail_all(const caf::error& err);
  void finish(bool failed);
  // Whether a change (a join, a subscription) left the group's record within
  // max_group_value_bytes, or at least no larger than before it; if not, the group goes back
  // to `before` and the change is refused: a record too large to write is never made.
  bool fits_or_restore(group_state& before);
  // Errors: message_too_large if `bytes` of offset records can never fit one write beside the
  // group's record at the largest it may grow to before that write (twice
  // max_group_value_bytes); coordinator_load_in_progress (retriable) if they do not fit the
  // next write beside the records already queued.
  caf::error commit_room(size_t bytes) const;
  size_t queued_bytes() const;

  core_config cfg_;
  std::unique_ptr<group_state> group_;
  topic_sizes topics_;  // every topic of the metadata
  // Invariant: durable_ is offsets_ without the changes in queued_changes_ and
  // in_flight_changes_ (nullopt: a tombstone).
  std::map<topic_partition, offset_record> offsets_;
  std::map<topic_partition, offset_record> durable_;
  using offset_change = std::pair<topic_partition, std::optional<offset_record>>;
  std::vector<offset_change> queued_changes_;
  std::vector<offset_change> in_flight_changes_;
  // Writes: at most one in flight; changes made meanwhile go in the next.
  // Invariant: written_ <= issued_ <= written_ + 1; writing_ iff issued_ == written_ + 1.
  std::vector<keyed_record> queued_;
  std::string written_group_;  // the group value last written (or loaded)
  bool writing_ = false;
  write_seq issued_{0};
  write_seq written_{0};
  std::vector<waiter> waiters_;
  core_mode mode_ = core_mode::serving;
  int64_t next_expiry_ms_ = 0;  // expire_offsets() looks again from then
  core_output out_;
};

} // namespace cafka::group
