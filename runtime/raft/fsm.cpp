// raft::fsm, part 1: construction, the clock, elections (pre-vote, votes, check-quorum), the
// driver interface (propose, compact, get_output). Replication lives in fsm_replication.cpp.
#include "runtime/raft/fsm.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "runtime/base/errc.hpp"

namespace cafka::raft {

const char* to_string(role r) {
  switch (r) {
    case role::follower:
      return "follower";
    case role::candidate:
      return "candidate";
    case role::leader:
      return "leader";
  }
  return "?";
}

fsm::fsm(node_id self, std::vector<node_id> members, persisted_state state, fsm_config cfg)
  : self_(self),
    members_(std::move(members)),
    cfg_(cfg),
    rng_(cfg.seed ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(self.value + 1))) {
  // Requires (the caller's configuration, see the constructor's contract): no message
  // reaches these.
  assert(std::count(members_.begin(), members_.end(), self_) == 1);
  assert(cfg_.election_timeout_ticks >= 1 && cfg_.heartbeat_ticks >= 1);
  assert(cfg_.max_entries_per_append >= 1);
  std::sort(members_.begin(), members_.end());
  assert(std::adjacent_find(members_.begin(), members_.end()) == members_.end());
  term_ = state.term;
  voted_for_ = state.voted_for;
  snapshot_descriptor snap{raft_index{0}, raft_term{0}};
  if (state.snp) {
    snap = state.snp->desc;
    snapshot_data_ = std::move(state.snp);
  }
  log_ = raft_log{snap, std::move(state.entries)};
  // The commit index is volatile: only the snapshot is known to be committed (and applied
  // by the driver when it loaded it).
  commit_index_ = snap.index;
  applied_index_ = snap.index;
  reset_election_timer();
  reported_ = reported{role_, term_, leader_};
}

raft_index fsm::last_index() const {
  return log_.last_index();
}

raft_term fsm::last_term() const {
  return log_.last_term();
}

raft_index fsm::first_index() const {
  return log_.first_index();
}

bool fsm::has_quorum_lease() const {
  // Until an entry of our term commits, we may not know the latest commit index (Raft 6.4).
  if (role_ != role::leader || log_.term_at(commit_index_) != term_)
    return false;
  // A follower that got our append sent at tick s ignores candidates until it has ticked
  // election_timeout_ticks times since; with one tick of slack for the phase of its clock,
  // no one else can win an election before our tick s + election_timeout_ticks - 1.
  size_t fresh = 1;  // self
  for (auto& [id, p] : progress_)
    if (p.lease_from >= 0 && now_ - p.lease_from < cfg_.election_timeout_ticks - 1)
      ++fresh;
  return fresh >= quorum();
}

bool fsm::is_member(node_id id) const {
  return std::binary_search(members_.begin(), members_.end(), id);
}

// -- driver interface ------------------------------------------------------------------------

void fsm::step(node_id from, const message& msg) {
  if (from == self_ || !is_member(from)) {
    reject(from, "a message from " + to_string(from) + ", which is not another member");
    return;
  }
  if (auto why = check_content(msg); !why.empty()) {
    reject(from, std::move(why));
    return;
  }
  std::visit([&](const auto& m) { on_message(from, m); }, msg);
}

void fsm::tick() {
  ++now_;
  if (role_ == role::leader) {
    tick_leader();
    return;
  }
  if (++election_elapsed_ >= election_timeout_)
    become_candidate(cfg_.pre_vote);
}

caf::expected<raft_index> fsm::propose(std::string command) {
  if (role_ != role::leader) {
    std::string who = leader_ == no_node ? "unknown" : to_string(leader_);
    return make_error(errc::not_controller, "raft member " + to_string(self_)
                                              + " is not the leader (leader: " + who + ")");
  }
  auto index = log_.last_index() + 1;
  append_local(log_entry{term_, index, entry_kind::command, std::move(command)});
  log_dirty_ = true;
  maybe_commit();  // a single member commits at once
  return index;
}

void fsm::compact(raft_index index, std::string state) {
  // Requires: the driver applied everything up to index (the driver's own bookkeeping, no
  // message content; a larger index is ignored below in release builds).
  assert(index <= applied_index_);
  if (index <= log_.snapshot_index() || index > applied_index_)
    return;
  auto term = log_.term_at(index);
  assert(term);  // Invariant: snapshot_index < index <= applied <= commit <= last_index
  snapshot snp{snapshot_descriptor{index, *term}, std::move(state)};
  log_.compact(snp.desc);
  output_snapshot(snp, true);
  snapshot_data_ = std::move(snp);
}

output fsm::get_output() {
  if (role_ == role::leader && (log_dirty_ || commit_dirty_))
    broadcast_append(commit_dirty_);
  log_dirty_ = false;
  commit_dirty_ = false;
  // Committed entries go out exactly once each, in order.
  // Invariant (kept by advance_commit and the snapshot install, whatever messages say).
  assert(applied_index_ <= commit_index_);
  for (auto i = applied_index_ + 1; i <= commit_index_; ++i)
    out_.committed.push_back(log_.at(i));
  applied_index_ = commit_index_;
  if (role_ != reported_.r || term_ != reported_.term || leader_ != reported_.leader) {
    out_.role_changed = true;
    reported_ = reported{role_, term_, leader_};
  }
  return std::exchange(out_, output{});
}

// -- roles -----------------------------------------------------------------------------------

void fsm::reset_election_timer() {
  election_elapsed_ = 0;
  auto t = cfg_.election_timeout_ticks;
  election_timeout_ = t + static_cast<int32_t>(rng_() % static_cast<uint64_t>(t));
}

void fsm::set_term(raft_term term, node_id vote) {
  // Invariant: terms never decrease; at most one vote per term. The callers check both
  // before they call (a higher message term, or a vote only if none was given this term).
  assert(term >= term_);
  assert(term > term_ || voted_for_ == no_node || voted_for_ == vote);
  if (term == term_ && vote == voted_for_)
    return;
  term_ = term;
  voted_for_ = vote;
  out_.term_and_vote = std::make_pair(term_, voted_for_);
}

void fsm::become_follower(raft_term term, node_id leader) {
  if (term > term_)
    set_term(term, no_node);
  role_ = role::follower;
  leader_ = leader;
  pre_voting_ = false;
  votes_granted_.clear();
  votes_rejected_.clear();
  progress_.clear();
  reset_election_timer();
}

void fsm::become_candidate(bool pre_vote) {
  if (term_ >= max_term) {
    // Only a forged (or corrupted) term gets here: the next term would not fit.
    reject(self_, "term " + to_string(term_) + " is the highest term: no election starts");
    reset_election_timer();
    return;
  }
  role_ = role::candidate;
  leader_ = no_node;
  pre_voting_ = pre_vote;
  progress_.clear();
  votes_granted_ = {self_};
  votes_rejected_.clear();
  if (!pre_vote)
    set_term(term_ + 1, self_);
  reset_election_timer();
  if (votes_granted_.size() >= quorum()) {  // a single member
    if (pre_vote)
      become_candidate(false);
    else
      become_leader();
    return;
  }
  // A pre-vote asks about the term a real election would use, without moving to it.
  vote_request req{pre_vote ? term_ + 1 : term_, log_.last_index(), log_.last_term(), pre_vote};
  for (auto id : members_)
    if (id != self_)
      send(id, req);
}

void fsm::become_leader() {
  // Invariant: only a candidate that voted for itself in its term counts a majority.
  assert(role_ == role::candidate && !pre_voting_ && voted_for_ == self_);
  role_ = role::leader;
  leader_ = self_;
  votes_granted_.clear();
  votes_rejected_.clear();
  heartbeat_elapsed_ = 0;
  progress_.clear();
  for (auto id : members_) {
    if (id == self_)
      continue;
    follower_progress p;
    p.next_index = log_.last_index() + 1;
    p.match_index = raft_index{0};
    p.last_reply = now_;  // a fresh check-quorum window: a majority just voted for us
    progress_.emplace(id, p);
  }
  // A noop of our term: committing it commits every earlier entry (Raft 5.4.2).
  append_local(log_entry{term_, log_.last_index() + 1, entry_kind::noop, {}});
  broadcast_append(true);
  log_dirty_ = false;
  maybe_commit();
}

void fsm::tick_leader() {
  size_t active = 1;  // self
  for (auto& [id, p] : progress_) {
    p.ticks_since_reply = static_cast<int32_t>(now_ - p.last_reply);
    if (p.ticks_since_reply < cfg_.election_timeout_ticks)
      ++active;
  }
  // Check-quorum: a leader cut off from the majority steps down, so clients look elsewhere.
  if (cfg_.check_quorum && active < quorum()) {
    become_follower(term_, no_node);
    return;
  }
  if (++heartbeat_elapsed_ >= cfg_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    send_heartbeats();
    log_dirty_ = false;
  }
}

bool fsm::in_leader_lease() const {
  // With check-quorum, a member that heard from a live leader within the minimum election
  // timeout ignores (pre-)vote requests: a returning member cannot depose a working leader.
  if (!cfg_.check_quorum || leader_ == no_node)
    return false;
  return role_ == role::leader || election_elapsed_ < cfg_.election_timeout_ticks;
}

bool fsm::log_up_to_date(raft_index last_index, raft_term last_term) const {
  return last_term > log_.last_term()
         || (last_term == log_.last_term() && last_index >= log_.last_index());
}

void fsm::send(node_id to, message msg) {
  out_.messages.push_back(envelope{self_, to, std::move(msg)});
}

// -- votes -----------------------------------------------------------------------------------

void fsm::on_message(node_id from, const vote_request& m) {
  if (m.term > term_ && in_leader_lease())
    return;  // dropped: answering would only help a disruptive candidate
  if (m.pre_vote) {
    // Would we vote for it in a real election at m.term? No state changes either way.
    bool could_vote = m.term > term_
                      || (m.term == term_ && leader_ == no_node
                          && (voted_for_ == no_node || voted_for_ == from));
    bool grant = could_vote && log_up_to_date(m.last_log_index, m.last_log_term);
    send(from, vote_reply{grant ? m.term : std::max(m.term, term_), grant, true});
    return;
  }
  if (m.term < term_) {
    send(from, vote_reply{term_, false, false});
    return;
  }
  if (m.term > term_)
    become_follower(m.term, no_node);
  bool grant = (voted_for_ == from || (voted_for_ == no_node && leader_ == no_node))
               && log_up_to_date(m.last_log_index, m.last_log_term);
  if (grant) {
    if (role_ != role::follower)
      become_follower(term_, no_node);  // a pre-candidate of this term gives way
    set_term(term_, from);  // persisted (output.term_and_vote) before the reply is sent
    election_elapsed_ = 0;
  }
  send(from, vote_reply{term_, grant, false});
}

void fsm::on_message(node_id from, const vote_reply& m) {
  // A vote reply matters only to a candidate that asked in this phase (a late one to the
  // leader of the same term still shows the voter is alive); any other is stale, and its
  // term is not adopted: a reply cannot move a member that asked nothing to a new term.
  if (role_ == role::leader && !m.pre_vote && m.term == term_) {
    progress_[from].last_reply = now_;
    return;
  }
  if (role_ != role::candidate || pre_voting_ != m.pre_vote)
    return;
  if (m.pre_vote) {
    // Invariant: term_ < max_term while pre-voting (become_candidate), so term_ + 1 fits.
    if (m.term > term_ + 1 && !m.granted) {
      become_follower(m.term, no_node);  // the voter is ahead of any term we would ask for
      return;
    }
    if (m.term != term_ + 1)
      return;
  } else {
    if (m.term > term_) {
      become_follower(m.term, no_node);
      return;
    }
    if (m.term != term_)
      return;
  }
  (m.granted ? votes_granted_ : votes_rejected_).insert(from);
  if (votes_granted_.size() >= quorum()) {
    if (pre_voting_)
      become_candidate(false);
    else
      become_leader();
  } else if (votes_rejected_.size() >= quorum()) {
    become_follower(term_, no_node);
  }
}

} // namespace cafka::raft
