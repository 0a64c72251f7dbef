// The state machine of one partition replica, leader or follower, in the input / output style
// of raft::fsm: no I/O, no clock, no threads. The driver (the partition replica actor, or a
// test) feeds it inputs with the time as an argument, drains take_output() and does the I/O:
// log writes and reads, sends, timers. Owned by one driver; not thread-safe.
//
// It holds every rule of partition replication (docs/replication-core.md):
// - the high watermark: hw' = max(hw, min(leader log end, end(f) for each follower f of the
//   maximal ISR)), the maximal ISR being the committed one plus the replicas an ISR change in
//   flight may add (KIP-497); never decreases (isr_rules.hpp: next_high_watermark); starts
//   at the checkpointed one, cut to the log end (recovered_high_watermark);
// - ISR join: a follower outside the ISR is proposed once its log end is at or beyond both
//   the high watermark and the start of the leader's epoch (KAFKA-7128), or where this
//   leader took over if that is later (may_join_isr);
// - ISR shrink: an ISR follower behind the log end and not caught up for
//   replica_lag_time_max_ms is proposed out on tick (KAFKA-1546: is_lagging);
// - acks=all: answered once the high watermark passes the batch, with
//   not_enough_replicas_after_append if the committed ISR shrank below min.insync.replicas,
//   request_timed_out at its deadline (acks_all_verdict);
// - ISR changes go to the controller one at a time, each sent once, fenced by leader and
//   partition epoch. Until a newer partition view shows what the controller committed, the
//   high watermark keeps counting every replica a request whose outcome is unknown (a
//   timeout, a stale epoch, a request of a previous incarnation of this leader) may add; the
//   leader then proposes its ISR unchanged to move the partition epoch (Kafka keeps its
//   pending state the same way);
// - follower fetches: epoch fencing, the KIP-320 divergence check, long polls; a fetch of a
//   newer leader epoch deposes the leader (it takes no writes until newer metadata). A parked
//   fetch is answered on the next append, within hw_notify_ms once the high watermark passes
//   the one its follower knows, or at its max_wait_ms; a newer fetch of the same follower
//   answers the older one at once;
// - followers: one fetch in flight, truncation of a divergent tail (never below the high
//   watermark: replica_sync.hpp), restart at the leader's log start, copy of whole batches;
// - idempotence: producer_state's duplicate and sequence checks on the leader; every replica
//   keeps the table in step with its log.
//
// The driver's order for each output, as raft::fsm's:
//   1. persist: if persist_epochs or epochs_extended, write epochs() as the leader-epoch
//      checkpoint (for epochs_extended the driver may leave the file unsynced until the log
//      itself is synced, and rebuild from the log what a machine crash lost); if
//      persist_producers, write producers() as the producer snapshot (high_watermark() is
//      checkpointed on the driver's own timer and at a clean stop, not here: a checkpoint
//      behind the real high watermark is always safe);
//   2. do `write` (if set) on the log and report it with write_done() or write_failed() before
//      anything else is fed (an append is durable per the log's flush policy before any
//      answer of a later output goes out: acks come only after write_done). A write that
//      fails after changing the log (a failed fsync) leaves its durability unknown: the
//      driver reports nothing, fails every request it holds and stops the replica;
//   3. answer produce_replies, then fetch_replies (reading the log for those with a read),
//      send `fetch` to the leader's broker (or report fetch_unsent()), send `proposal` to the
//      controller (answers: isr_change_committed / isr_change_failed);
//   4. if high_watermark_advanced, answer the consumer long polls that now have data; if
//      stopped_leading, fail them with it; log `log`.
// Then drain again until the output is empty, and arrange a tick() at next_deadline().
// Outputs accumulate between drains; one take_output() after several inputs is fine, except
// that a write must be reported before the next input.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/cluster/metadata.hpp"
#include "runtime/cluster/topic_config.hpp"
#include "runtime/protocol/messages.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/replication/isr_rules.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"
#include "runtime/replication/producer_state.hpp"

namespace cafka {

struct replica_fsm_config {
  topic_partition tp;
  node_id self;
  int32_t min_insync_replicas = 1;
  int32_t message_max_bytes = 1048588;
  // The broker-time window of a produced batch's timestamps (KIP-937; validate_batch).
  int64_t timestamp_before_max_ms = std::numeric_limits<int64_t>::max();
  int64_t timestamp_after_max_ms = 3600000;
  int64_t replica_lag_time_max_ms = 10000;
  int32_t replica_fetch_wait_max_ms = 30000;
  int32_t replica_fetch_max_bytes = 8 << 20;
  // A follower's fetch unanswered for wait + slack is lost: it fetches again.
  int64_t fetch_timeout_slack_ms = 2000;
  // A fetch the driver knows was lost (fetch_lost) is sent again this long after.
  int64_t lost_fetch_retry_ms = 2500;
  // Leader: a parked fetch whose follower knows an older high watermark than the leader's is
  // answered within this long of the high watermark moving, not only at its max_wait_ms.
  int64_t hw_notify_ms = 500;
  // After a failed fetch, an unresolvable divergence or a failed copy.
  int64_t fetch_retry_backoff_ms = 50;
  // An ISR change unanswered this long is given up (its outcome is unknown: see the header).
  int64_t isr_change_timeout_ms = 10000;
  // Idempotent producers whose state the replica keeps (max-producer-ids-per-partition):
  // producer_state evicts the least recently written beyond it (set at construction).
  size_t max_producer_ids = 10000;
  // message.timestamp.type=LogAppendTime: the leader stamps each batch with its append time
  // (the producer's timestamps are not checked against the window).
  bool log_append_time = false;
  // cleanup.policy has compact: every produced record needs a key (Kafka refuses keyless
  // records with INVALID_RECORD).
  bool compacted = false;
  // compression.type other than producer: the leader recompresses batches of another codec.
  std::optional<compression_codec> codec = std::nullopt;
};

// Sets the fields of `cfg` that come from the topic's configs (min.insync.replicas,
// max.message.bytes, message.timestamp.type, cleanup.policy, compression.type).
void apply_topic_config(replica_fsm_config& cfg, const topic_config& topic);

// A produce request's batch as the leader judges it (describe_batch).
struct produce_batch {
  // Of the bytes as sent (base offset 0); with LogAppendTime its max_timestamp is the
  // append time the leader stamps (describe_batch's wall_now_ms).
  batch_header header;
  size_t size = 0;      // bytes
  caf::error invalid;   // validate_batch's verdict on the bytes
};

// Reads the header and validates the batch as a producer's (validate_batch with the
// decompression cap of message_max_bytes and the timestamp window around wall_now_ms, the
// broker's wall-clock time, unless the topic is LogAppendTime: then wall_now_ms is the append
// time); skipped when it exceeds message_max_bytes, which the fsm refuses first.
produce_batch describe_batch(std::string_view bytes, const replica_fsm_config& cfg,
                             int64_t wall_now_ms);

// The limits a follower checks the leader's batches with: no timestamps (the leader checked
// them against its clock when it appended them).
batch_limits follower_limits(const replica_fsm_config& cfg);

enum class log_level : uint8_t { debug, info, warn, error };

struct log_line {
  log_level level;
  std::string text;  // without the partition name
};

// A write to the local log (step 2 of the driver's order).
struct log_write {
  enum class kind : uint8_t {
    append,     // leader: produce_id's batch, stamped with `epoch`, at the log end
    replicate,  // follower: the whole batches records[begin, begin + size), in order
    truncate,   // follower: cut the log back so it ends at `offset`
    restart,    // follower: empty the log and start it at `offset`
  };
  kind what = kind::append;
  uint64_t produce_id = 0;
  leader_epoch epoch;
  std::string records;
  size_t begin = 0;
  size_t size = 0;
  log_offset offset;
};

struct produce_reply {
  uint64_t id;
  caf::expected<produce_response> result;
};

// The answer to a follower's fetch: `error`, or `resp` with the records the driver reads:
// read(read_from, read_max_bytes) up to the log end, if read_from is set.
struct fetch_reply {
  uint64_t id;
  caf::error error;
  replica_fetch_response resp;
  std::optional<log_offset> read_from;
  size_t read_max_bytes = 0;
};

// A follower's fetch for the leader's broker; answers go to fetch_answered / fetch_failed.
struct fetch_send {
  uint64_t id;
  node_id leader;
  replica_fetch_request req;
};

struct isr_proposal {
  uint64_t id;
  alter_isr_request req;
};

struct replica_output {
  // The epoch history lost entries (a truncation, a restart, a new log start).
  bool persist_epochs = false;
  // An append of this output's write starts a new epoch, which the history now has.
  bool epochs_extended = false;
  bool persist_producers = false;
  std::optional<log_write> write;
  std::vector<produce_reply> produce_replies;
  std::vector<fetch_reply> fetch_replies;
  std::optional<fetch_send> fetch;
  std::optional<isr_proposal> proposal;
  bool high_watermark_advanced = false;
  std::optional<caf::error> stopped_leading;
  std::vector<log_line> log;

  bool empty() const {
    return !persist_epochs && !epochs_extended && !persist_producers && !write
           && produce_replies.empty() && fetch_replies.empty() && !fetch && !proposal && !high_watermark_advanced
           && !stopped_leading && log.empty();
  }
};

// What the leader knows of one follower (leader only; for tests and status).
struct follower_progress {
  log_offset end{0};               // the offset of its latest fetch in this epoch
  // When it last had every record: a fetch at or beyond the log end, an append waking its
  // parked fetch, or a fetch reaching answered_end (it was caught up at answered_ms then).
  int64_t last_caught_up_ms = 0;
  // The log end when the leader last answered one of its fetches, and when.
  log_offset answered_end{0};
  int64_t answered_ms = 0;
  bool fetched = false;            // end is from a fetch (not the 0 it starts with)
};

class replica_fsm {
public:
  // The log as recovered: [log_start, log_end), its epoch history (entries at or beyond
  // log_end are dropped), its idempotence table and its checkpointed high watermark, if any
  // (the replica starts with recovered_high_watermark: at most log_end; a leader serves
  // consumers up to it at once and a follower never truncates below it). The replica neither
  // leads nor follows until update_partition().
  replica_fsm(replica_fsm_config cfg, log_offset log_start, log_offset log_end,
              leader_epoch_cache epochs, producer_state producers,
              std::optional<log_offset> checkpointed_hw = std::nullopt);

  // -- inputs (each may add to the output) ---------------------------------------------------
  // A view of the partition (leader, epochs, ISR), pushed or initial. Only a newer one counts
  // (leader epoch, then partition epoch); it may make this replica lead or follow.
  void update_partition(const partition_metadata& pm, int64_t now);
  // A client's produce; answered in produce_replies under `id` (ids are the driver's).
  void produce(uint64_t id, const produce_batch& batch, int16_t acks, int32_t timeout_ms,
               int64_t now);
  // A follower's fetch; answered in fetch_replies under `id`.
  void follower_fetch(uint64_t id, const replica_fetch_request& req, int64_t now);
  // The answers to proposal `id`.
  void isr_change_committed(uint64_t id, const partition_metadata& pm, int64_t now);
  void isr_change_failed(uint64_t id, const caf::error& err, int64_t now);
  // The output's write is done: the log now ends at log_end.
  void write_done(log_offset log_end, int64_t now);
  // The output's write failed; the log ends at log_end (a copy may have landed in part).
  void write_failed(const caf::error& err, log_offset log_end, int64_t now);
  // Follower: the driver can now reach the leader's broker (fetches if none is in flight).
  void leader_reachable(int64_t now);
  // Follower: the driver could not send fetch `id` (no way to the leader's broker yet).
  void fetch_unsent(uint64_t id);
  // Follower: fetch `id` or its answer will not arrive (the fault table cut the link): it is
  // sent again lost_fetch_retry_ms from now, unless its deadline comes first.
  void fetch_lost(uint64_t id, int64_t now);
  // Follower: the driver's way to the leader's broker went down (its actor, or the
  // connection): the fetch in flight is given up and the next one waits for
  // leader_reachable().
  void leader_lost(int64_t now);
  void fetch_answered(uint64_t id, replica_fetch_response resp, int64_t now);
  void fetch_failed(uint64_t id, const caf::error& err, int64_t now);
  // Retention deleted segments: the log starts at `start` now.
  void log_start_moved(log_offset start);
  // Forgets producers silent for expiration_ms (wall-clock time: batch timestamps).
  size_t expire_producers(int64_t wall_now_ms, int64_t expiration_ms);
  // Periodic (the ISR shrink check) and at next_deadline(): expires what is due.
  void tick(int64_t now);
  // The replica stops: every parked request fails with err; it neither leads nor follows.
  void stop(const caf::error& err);

  replica_output take_output();

  // -- queries -------------------------------------------------------------------------------
  bool leading() const;
  bool following() const;
  const partition_metadata& partition() const { return pm_; }
  const replica_fsm_config& config() const { return cfg_; }
  // The topic's configs changed (apply_topic_config): later produce requests and acks=all
  // verdicts use the new values.
  void set_topic_config(const topic_config& topic) { apply_topic_config(cfg_, topic); }
  // Leader: every record below it is on every ISR member. Follower: the leader's, capped by
  // the local log end. Both start at the checkpointed one (the constructor).
  log_offset high_watermark() const { return hw_; }
  log_offset log_start() const { return log_start_; }
  log_offset log_end() const { return log_end_; }
  const leader_epoch_cache& epochs() const { return epochs_; }
  const producer_state& producers() const { return producers_; }
  // The earliest time tick() has something to expire.
  std::optional<int64_t> next_deadline() const;
  // Leader: an ISR follower's latest fetch is behind the log end, so the periodic tick()
  // may have an ISR shrink to propose. False on a follower.
  bool followers_behind() const;
  // "broker N does not lead t-0 (leader epoch E)": for requests a non-leader refuses.
  caf::error not_leader() const;
  // Leader: the ISR the high watermark counts (committed plus additions in flight).
  const std::vector<node_id>& maximal_isr() const { return maximal_isr_; }
  bool isr_change_pending() const { return proposal_.has_value(); }
  const std::map<node_id, follower_progress>& followers() const { return followers_; }
  size_t parked_acks() const { return acks_.size(); }
  size_t parked_fetches() const { return parked_fetches_.size(); }
  bool fetch_in_flight() const { return fetch_.has_value(); }

private:
  struct parked_ack {
    log_offset end;  // first offset after the batch
    produce_response resp;
    int64_t deadline;
  };
  struct parked_fetch {
    replica_fetch_request req;
    int64_t deadline;
  };
  struct pending_proposal {
    uint64_t id;
    alter_isr_request req;
    int64_t deadline;
    bool outcome_unknown = false;  // stale epoch: wait for the newer partition view
  };
  // The write of the output, until write_done / write_failed.
  struct pending_write {
    log_write::kind what;
    log_offset end_before;
    // append
    uint64_t produce_id = 0;
    batch_header header;
    int16_t acks = 1;
    int32_t timeout_ms = 0;
    // replicate
    std::vector<batch_header> batches;
    log_offset leader_hw;
    // truncate / restart
    log_offset offset;
  };

  // -- roles (replica_fsm.cpp) ---------------------------------------------------------------
  void become_leader(int64_t now);
  // The leader's followers are the replicas but itself: a move adds and drops replicas
  // without a new leader epoch. A new one gets a full lag window to show up.
  void sync_followers(int64_t now);
  void stop_leading(const caf::error& err);
  void become_follower(int64_t now);
  void expire(int64_t now);
  void log(log_level level, std::string text);

  // -- leader (replica_fsm_leader.cpp) -------------------------------------------------------
  caf::error check_produce(const produce_batch& batch, int16_t acks) const;
  void start_append(uint64_t id, const produce_batch& batch, int16_t acks, int32_t timeout_ms);
  void append_done(const pending_write& w, log_offset log_end, int64_t now);
  void answer_ack(uint64_t id, log_offset end, produce_response resp, int16_t acks,
                  int32_t timeout_ms, int64_t now);
  // Recomputes the high watermark (the one place it moves on a leader), answers the acks=all
  // produces it unblocks and brings forward the parked fetches of followers behind it.
  void advance_high_watermark(int64_t now);
  // A parked fetch whose follower knows a high watermark below this leader's is due within
  // hw_notify_ms of now.
  void notify_if_behind(parked_fetch& p, int64_t now) const;
  void finish_ack(uint64_t id, const produce_response& resp, ack_verdict v);
  replica_fetch_response fetch_header() const;
  caf::error fence_fetch(const replica_fetch_request& req);
  void answer_fetch(uint64_t id, const replica_fetch_request& req, int64_t now);
  // A follower fetch arrived at req.offset: it is caught up now if that is the log end, or
  // as of the previous answer if it reaches what that answer covered (Kafka's rule, so a
  // follower one round behind a steady stream stays in the ISR).
  void note_fetch_position(const replica_fetch_request& req, int64_t now);
  // A fetch of this follower is answered now with the log as it is.
  void note_answered(node_id follower, int64_t now);
  // Answers every parked follower fetch after an append; their followers were caught up
  // until now.
  void wake_parked_fetches(int64_t now);
  // A parked fetch is at the log end: its follower had every record until the parked fetch
  // is answered (now), however long it waited (is_lagging's clock), unless it has fetched
  // from further back since (it restarted with less).
  void mark_caught_up(const replica_fetch_request& parked, int64_t now);
  // may_join_isr's epoch start: where the epoch's records start, or where this leader took
  // over if later.
  log_offset join_floor() const;
  void maybe_expand_isr(node_id follower, int64_t now);
  // After a change commits: proposes the first follower outside the ISR that has fetched
  // and may join, so one that caught up while the change was in flight need not wait for
  // its next fetch (up to replica-fetch-wait-max-ms on an idle partition). A refused change
  // is not retried here: the follower's next fetch proposes it again.
  void expand_caught_up(int64_t now);
  void check_lagging(int64_t now);
  void propose_isr(std::vector<node_id> isr, int64_t now);
  // Gives up waiting for the pending proposal's answer; its additions go to maybe_added_ and
  // the ISR is confirmed (proposed unchanged) at `confirm_at`.
  void abandon_proposal(int64_t confirm_at);
  void confirm_isr_later(int64_t at);
  // The maximal ISR: the committed one, the leader, the pending proposal, maybe_added_.
  void reset_maximal_isr();
  void note_epoch(leader_epoch epoch, log_offset start);

  // -- follower (replica_fsm_follower.cpp) ---------------------------------------------------
  void send_fetch(int64_t now);
  void retry_fetch_later(int64_t now);
  void on_divergence(const replica_fetch_response& resp, int64_t now);
  // Bytes of the batches in records[begin, begin + size) before the first one that fails
  // validate_batch with follower_limits (logged).
  size_t valid_prefix(std::string_view records, size_t begin, size_t size);
  void start_copy(replica_fetch_response& resp, int64_t now);
  void follower_write_done(const pending_write& w, log_offset log_end, int64_t now);
  void follower_write_failed(const pending_write& w, const caf::error& err, log_offset log_end,
                             int64_t now);

  replica_fsm_config cfg_;
  partition_metadata pm_;  // the newest view
  // Saw a fetch of a newer leader epoch than pm_'s: this replica no longer leads, whatever
  // the (older) view says, and takes no writes until a newer one arrives.
  bool deposed_ = false;
  log_offset log_start_;
  log_offset log_end_;
  log_offset hw_{0};  // Invariant: hw_ <= log_end_; never decreases while leading
  leader_epoch_cache epochs_;  // Invariant: describes [log_start_, log_end_)
  producer_state producers_;   // Invariant: producers_.next_offset() tracks log_end_
  std::optional<pending_write> write_;

  // -- leader --------------------------------------------------------------------------------
  std::map<node_id, follower_progress> followers_;  // every replica but this one
  std::vector<node_id> maximal_isr_;                // the leader included
  log_offset took_over_at_{0};                      // the log end when it began to lead
  // Replicas that may still join the ISR at this partition epoch through a request this leader
  // cannot rule out: one it gave up on, or one a previous incarnation of its broker sent. They
  // count for the high watermark until the partition epoch moves (update_partition).
  std::vector<node_id> maybe_added_;
  std::optional<int64_t> confirm_at_;  // then propose the ISR unchanged, to move the epoch
  std::optional<pending_proposal> proposal_;        // at most one ISR change in flight
  uint64_t next_proposal_ = 1;
  std::map<uint64_t, parked_ack> acks_;             // acks=all produces, by id
  std::map<uint64_t, parked_fetch> parked_fetches_; // follower long polls, by id

  // -- follower ------------------------------------------------------------------------------
  std::optional<uint64_t> fetch_;  // the fetch in flight; answers to others are dropped
  int64_t fetch_deadline_ = 0;
  std::optional<int64_t> retry_at_;
  uint64_t next_fetch_ = 1;

  replica_output out_;
};

} // namespace cafka
