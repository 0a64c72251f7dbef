// The Raft state machine of one quorum member, in the step / tick / output style of
// ScyllaDB's raft::fsm: no I/O, no clock, no threads. The driver feeds it messages (step),
// logical clock ticks (tick) and proposals, then drains get_output(): persist, send, apply.
// Owned by one controller quorum member actor (or a test); not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/raft/persistence.hpp"
#include "runtime/raft/raft_log.hpp"
#include "runtime/raft/raft_types.hpp"

namespace cafka::raft {

enum class role : uint8_t { follower, candidate, leader };
const char* to_string(role r);

struct fsm_config {
  // A follower that hears no leader for a random number of ticks in
  // [election_timeout_ticks, 2 * election_timeout_ticks) starts a (pre-)election.
  int32_t election_timeout_ticks = 10;
  // A leader sends append_requests (heartbeats if empty) every heartbeat_ticks.
  int32_t heartbeat_ticks = 2;
  // Pre-vote (Raft thesis 9.6): a returning partitioned member cannot disrupt the quorum.
  bool pre_vote = true;
  // Check-quorum: a leader that has not heard from a majority within an election timeout
  // steps down; followers ignore vote requests while they heard from a leader recently.
  bool check_quorum = true;
  // At most this many entries per append_request; at most this many bytes of entry data.
  size_t max_entries_per_append = 512;
  size_t max_bytes_per_append = 1 << 20;
  // Randomized election timeouts; mixed with the member's id, so members sharing one config
  // still draw different timeouts.
  uint64_t seed = 0;
  // Checks the state-machine bytes of a snapshot from the leader before anything of it is
  // persisted (the driver decodes them the way applying them would). An error refuses the
  // snapshot: the member keeps its state and answers snapshot_reply{success = false}.
  // Unset: any bytes are accepted.
  std::function<caf::error(const std::string&)> check_snapshot;
};

// A message step() dropped because of what it says rather than when it came: see
// check_content() and fsm::step. For the driver to log.
struct rejected_message {
  node_id from;
  std::string reason;
};

// Why `msg` cannot come from a correct member, whatever the receiver's state, or "" if it
// can: a term outside [0, max_term]; an index outside [0, max_index]; a last_log_term,
// prev_term or snapshot term above the message's term; entries that do not continue
// prev_index one by one, whose terms decrease or fall below prev_term, or of an unknown kind;
// a snapshot at index 0 or of term 0.
std::string check_content(const message& msg);

// Everything the driver must do after step/tick/propose, in this order:
//   1. persist term_and_vote (if set), then truncate_from (if set), then snapshot (if set),
//      then append log_entries — all durable before step 2;
//   2. send messages;
//   3. apply snapshot_to_apply (if set), then the committed entries, in order.
// Every output must be handled: log_entries continue the log that step 1 leaves behind
// (outputs are cumulative between calls, so one get_output() after many steps is fine).
struct output {
  std::optional<std::pair<raft_term, node_id>> term_and_vote;
  std::optional<raft_index> truncate_from;
  std::optional<snapshot> snapshot_to_persist;
  std::vector<log_entry> log_entries;
  std::vector<envelope> messages;
  std::optional<snapshot> snapshot_to_apply;
  std::vector<log_entry> committed;
  bool role_changed = false;  // role, term or known leader changed since the last output
  // Messages dropped for what they say (at most max_rejected_kept; fsm::rejected_count()
  // counts them all). Nothing else in this output comes from them, but for the failure
  // reply to a refused install_snapshot.
  std::vector<rejected_message> rejected;

  bool empty() const {
    return !term_and_vote && !truncate_from && !snapshot_to_persist && log_entries.empty()
           && messages.empty() && !snapshot_to_apply && committed.empty() && !role_changed
           && rejected.empty();
  }
};

// Per-follower replication progress, as the leader sees it (for status displays too).
struct follower_progress {
  raft_index next_index;   // next entry to send
  raft_index match_index;  // highest entry known to be replicated
  bool snapshot_in_flight = false;
  int32_t ticks_since_reply = 0;

  // -- flow control (leader-internal) --------------------------------------------------------
  // Probing: the follower's log position is unknown; at most one append with entries is out
  // (resent every heartbeat). Otherwise appends are pipelined, at most max_inflight at once.
  bool probing = true;
  bool probe_sent = false;
  std::deque<raft_index> inflight;  // last index of each pipelined append not yet acked
  int64_t last_reply = 0;           // fsm tick of the last reply in this term (check-quorum)
  int64_t lease_from = -1;          // newest echoed sent_at: the follower heard us then
  int64_t snapshot_sent = 0;        // fsm tick the snapshot in flight was sent
};

class fsm {
public:
  // members: the whole voting configuration, including self (1, 3 or 5 ids).
  // Requires: self is in members; state is what persistence::load returned. The driver
  // restores its state machine from state.snp itself (it is not in snapshot_to_apply);
  // entries after it come out again in output().committed once they are committed again.
  fsm(node_id self, std::vector<node_id> members, persisted_state state, fsm_config cfg);

  // A message from another member. Dropped, and reported in output().rejected, if `from` is
  // not another member, if check_content() refuses it, or if it contradicts what this member
  // knows: an append_reply acknowledging past the leader's log end or echoing a tick that has
  // not come yet, a snapshot_reply for a snapshot past the leader's, an append_request or
  // install_snapshot claiming the term this member leads, entries that contradict committed
  // ones, a snapshot older than the committed log or refused by check_snapshot. Replies that
  // answer nothing this member asked in its current term are ignored, as stale ones are.
  // A dropped message changes no state.
  void step(node_id from, const message& msg);

  // One logical clock tick (the driver calls it every tick interval).
  void tick();

  // Leader only: appends a command; returns its index. Otherwise errc::not_controller
  // (the caller can redirect to leader()).
  caf::expected<raft_index> propose(std::string command);

  // The driver took a snapshot of the state machine at `index` (<= applied_index()); the log
  // up to it is dropped. The snapshot appears in output().snapshot_to_persist and is what
  // followers behind first_index() get. A no-op if index <= the current snapshot's index.
  void compact(raft_index index, std::string state);

  // Drains what happened since the last call.
  output get_output();

  // Messages dropped for what they say since construction (see step).
  uint64_t rejected_count() const { return rejected_count_; }

  // -- state queries -------------------------------------------------------------------------
  node_id self() const { return self_; }
  const std::vector<node_id>& members() const { return members_; }
  role current_role() const { return role_; }
  raft_term term() const { return term_; }
  node_id leader() const { return leader_; }  // no_node: unknown
  raft_index commit_index() const { return commit_index_; }
  raft_index last_index() const;
  raft_term last_term() const;
  raft_index first_index() const;  // first entry still in the log (after the snapshot)
  // Leader: true once an entry of its term committed (its commit index is the latest) and
  // while a majority (self included) acknowledged an append sent less than
  // election_timeout_ticks - 1 ticks ago: no other leader can have been elected since, if
  // clocks tick at the same rate. A read of the state applied up to commit_index() is then
  // not stale. Non-leaders: false.
  bool has_quorum_lease() const;
  // Leader only: progress per follower.
  const std::map<node_id, follower_progress>& progress() const { return progress_; }
  // The in-memory log (for status and tests).
  const raft_log& log() const { return log_; }
  raft_index applied_index() const { return applied_index_; }  // handed out by get_output

  // At most this many reasons wait in output().rejected between two get_output() calls.
  static constexpr size_t max_rejected_kept = 32;

private:
  static constexpr size_t max_inflight = 8;  // pipelined appends per follower

  // Counts a dropped message and keeps its reason for the output.
  void reject(node_id from, std::string reason);

  // -- elections (fsm.cpp) ---------------------------------------------------------------------
  void become_follower(raft_term term, node_id leader);
  // A current-term message from the leader `from` (append or snapshot): follow it and reset
  // the election timer. Returns false (and rejects the message) if this member leads the
  // same term itself. Requires: term >= term_.
  bool follow_leader(node_id from, raft_term term);
  void become_candidate(bool pre_vote);
  void become_leader();
  void reset_election_timer();
  void set_term(raft_term term, node_id vote);
  bool log_up_to_date(raft_index last_index, raft_term last_term) const;
  bool in_leader_lease() const;
  bool is_member(node_id id) const;
  size_t quorum() const { return members_.size() / 2 + 1; }
  void tick_leader();
  void send(node_id to, message msg);

  void on_message(node_id from, const vote_request& m);
  void on_message(node_id from, const vote_reply& m);
  void on_message(node_id from, const append_request& m);
  void on_message(node_id from, const append_reply& m);
  void on_message(node_id from, const install_snapshot& m);
  void on_message(node_id from, const snapshot_reply& m);
  // install_snapshot: why a snapshot that would be installed is refused, or "".
  std::string check_install(const install_snapshot& m) const;

  // -- replication (fsm_replication.cpp) -------------------------------------------------------
  void append_local(log_entry e);  // log + output
  void truncate_local(raft_index from);
  void send_append(node_id to, bool heartbeat);
  void send_snapshot(node_id to);
  void broadcast_append(bool heartbeat);
  void send_heartbeats();  // every heartbeat_ticks: probes and snapshot resends too
  void maybe_commit();
  void advance_commit(raft_index index);
  // Keep the pending output consistent with the driver's order (truncate, snapshot, append).
  void output_truncate(raft_index from);
  void output_snapshot(const snapshot& snp, bool suffix_kept);

  node_id self_;
  std::vector<node_id> members_;
  fsm_config cfg_;
  std::mt19937_64 rng_;
  int64_t now_ = 0;  // ticks since construction

  // Persistent state (mirrored on disk by the driver via output).
  // Invariant: term_ <= max_term once the member moved past its persisted term (messages
  // with a higher term are dropped; become_candidate does not go past it).
  raft_term term_{0};
  node_id voted_for_ = no_node;  // Invariant: at most one vote per term (set_term asserts it)
  // Invariant: log_.snapshot_index() <= commit_index_; snapshot_data_ holds log_.snapshot().
  raft_log log_;
  std::optional<snapshot> snapshot_data_;  // the latest snapshot (to send to laggards)

  // Volatile state.
  role role_ = role::follower;
  node_id leader_ = no_node;
  raft_index commit_index_{0};   // Invariant: never decreases
  raft_index applied_index_{0};  // handed to the driver via output().committed
  int32_t election_elapsed_ = 0;  // ticks since the leader was heard from (or timer reset)
  int32_t election_timeout_ = 0;  // randomized in [T, 2T)
  int32_t heartbeat_elapsed_ = 0;
  bool pre_voting_ = false;       // candidate in the pre-vote phase (term not bumped)
  std::set<node_id> votes_granted_;  // in the current (pre-)election, self included
  std::set<node_id> votes_rejected_;
  std::map<node_id, follower_progress> progress_;  // leader only
  bool log_dirty_ = false;     // leader: entries proposed since the last broadcast
  bool commit_dirty_ = false;  // leader: commit index advanced since the last broadcast

  struct reported {
    role r;
    raft_term term;
    node_id leader;
  };
  reported reported_{};  // what the last output reported (for role_changed)
  uint64_t rejected_count_ = 0;
  output out_;
};

} // namespace cafka::raft
