// The Raft state machine of one quorum member, in the step / tick / output style of
// ScyllaDB's raft::fsm: no I/O, no clock, no threads. The driver feeds it messages (step),
// logical clock ticks (tick) and proposals, then drains get_output(): persist, send, apply.
// Owned by one coordinator actor (or a test); not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/raft/persistence.hpp"
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
  uint64_t seed = 0;  // randomized election timeouts
};

// Everything the driver must do after step/tick/propose, in this order:
//   1. persist term_and_vote (if set), then truncate_from (if set), then snapshot (if set),
//      then append log_entries — all durable before step 2;
//   2. send messages;
//   3. apply snapshot_to_apply (if set), then the committed entries, in order.
struct output {
  std::optional<std::pair<raft_term, node_id>> term_and_vote;
  std::optional<raft_index> truncate_from;
  std::optional<snapshot> snapshot_to_persist;
  std::vector<log_entry> log_entries;
  std::vector<envelope> messages;
  std::optional<snapshot> snapshot_to_apply;
  std::vector<log_entry> committed;
  bool role_changed = false;  // role, term or known leader changed since the last output

  bool empty() const {
    return !term_and_vote && !truncate_from && !snapshot_to_persist && log_entries.empty()
           && messages.empty() && !snapshot_to_apply && committed.empty() && !role_changed;
  }
};

// Per-follower replication progress, as the leader sees it (for status displays too).
struct follower_progress {
  raft_index next_index;   // next entry to send
  raft_index match_index;  // highest entry known to be replicated
  bool snapshot_in_flight = false;
  int32_t ticks_since_reply = 0;
};

class fsm {
public:
  // members: the whole voting configuration, including self (1, 3 or 5 ids).
  // Requires: self is in members; state is what persistence::load returned.
  fsm(node_id self, std::vector<node_id> members, persisted_state state, fsm_config cfg);

  // A message from another member.
  void step(node_id from, const message& msg);

  // One logical clock tick (the driver calls it every tick interval).
  void tick();

  // Leader only: appends a command; returns its index. Otherwise errc::not_controller
  // (the caller can redirect to leader()).
  caf::expected<raft_index> propose(std::string command);

  // The driver took a snapshot of the state machine at `index` (<= last applied); the log
  // before it may be dropped. The snapshot appears in output().snapshot_to_persist.
  void compact(raft_index index, std::string state);

  // Drains what happened since the last call.
  output get_output();

  // -- state queries -------------------------------------------------------------------------
  node_id self() const { return self_; }
  const std::vector<node_id>& members() const { return members_; }
  role current_role() const { return role_; }
  raft_term term() const { return term_; }
  node_id leader() const { return leader_; }  // node_id{-1}: unknown
  raft_index commit_index() const { return commit_index_; }
  raft_index last_index() const;
  raft_term last_term() const;
  raft_index first_index() const;  // first entry still in the log (after the snapshot)
  // Leader: true while a majority answered within the last election timeout (a read served
  // now is not stale). Non-leaders: false.
  bool has_quorum_lease() const;
  // Leader only: progress per follower.
  const std::map<node_id, follower_progress>& progress() const { return progress_; }

private:
  // Implementation detail; see fsm.cpp.
  void become_follower(raft_term term, node_id leader);
  void become_candidate(bool pre_vote);
  void become_leader();
  void reset_election_timer();
  void send(node_id to, message msg);
  void send_append(node_id to, bool allow_empty);
  void broadcast_append(bool allow_empty);
  void maybe_commit();
  void advance_commit(raft_index index);
  void set_term(raft_term term, node_id vote);
  raft_term term_at(raft_index index) const;  // 0 if unknown
  bool log_up_to_date(raft_index last_index, raft_term last_term) const;
  size_t quorum() const { return members_.size() / 2 + 1; }

  void on_vote_request(node_id from, const vote_request& m);
  void on_vote_reply(node_id from, const vote_reply& m);
  void on_append_request(node_id from, const append_request& m);
  void on_append_reply(node_id from, const append_reply& m);
  void on_install_snapshot(node_id from, const install_snapshot& m);
  void on_snapshot_reply(node_id from, const snapshot_reply& m);

  node_id self_;
  std::vector<node_id> members_;
  fsm_config cfg_;
  std::mt19937_64 rng_;

  // Persistent state (mirrored on disk by the driver via output).
  raft_term term_{0};
  node_id voted_for_{-1};
  std::deque<log_entry> log_;        // Invariant: contiguous indexes after snapshot_.index
  snapshot_descriptor snapshot_{};   // index 0 / term 0: no snapshot
  std::optional<snapshot> snapshot_data_;  // the latest snapshot (to send to laggards)

  // Volatile state.
  role role_ = role::follower;
  node_id leader_{-1};
  raft_index commit_index_{0};
  raft_index applied_index_{0};  // handed to the driver via output().committed
  int32_t election_elapsed_ = 0;
  int32_t election_timeout_ = 0;  // randomized
  int32_t heartbeat_elapsed_ = 0;
  std::set<node_id> votes_;       // granted (pre-)votes in the current (pre-)election
  bool pre_voting_ = false;
  std::map<node_id, follower_progress> progress_;  // leader only
  std::set<node_id> recent_contacts_;  // leader: members heard from this election timeout
  int32_t quorum_check_elapsed_ = 0;
  bool lease_ = false;

  output out_;
};

} // namespace cafka::raft
