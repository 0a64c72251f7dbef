// raft::fsm, part 2: log replication. The leader's side (appends with flow control,
// snapshots for laggards, commit by majority of the current term) and the follower's side
// (log-matching check, conflict truncation, commit, snapshot install), plus the bookkeeping
// that keeps the pending output consistent with the driver's persist order.
// The asserts left here state invariants this code keeps whatever messages say: step()
// and the handlers below drop every message that could break them (fsm_checks.cpp).
#include "runtime/raft/fsm.hpp"

#include <algorithm>
#include <cassert>
#include <functional>
#include <utility>

namespace cafka::raft {

// -- local log + output ----------------------------------------------------------------------

void fsm::append_local(log_entry e) {
  auto& pending = out_.log_entries;
  // Invariant: pending entries are contiguous and continue what the driver has persisted.
  assert(pending.empty() || pending.back().index + 1 == e.index);
  log_.append(e);
  pending.push_back(std::move(e));
}

void fsm::truncate_local(raft_index from) {
  // Invariant: committed entries are never truncated (the follower truncates only after a
  // prev_index at or above its commit index).
  assert(from > commit_index_);
  log_.truncate_from(from);
  output_truncate(from);
}

void fsm::output_truncate(raft_index from) {
  auto& pending = out_.log_entries;
  if (!pending.empty() && pending.front().index <= from) {
    // Everything at or after `from` is still unpersisted: just forget it.
    pending.resize(static_cast<size_t>(from - pending.front().index));
    return;
  }
  pending.clear();
  out_.truncate_from = out_.truncate_from ? std::min(*out_.truncate_from, from) : from;
}

void fsm::output_snapshot(const snapshot& snp, bool suffix_kept) {
  // Invariant: snapshots only move forward.
  assert(!out_.snapshot_to_persist || out_.snapshot_to_persist->desc.index <= snp.desc.index);
  if (!suffix_kept)  // the log after the snapshot conflicted: the disk must drop it too
    output_truncate(snp.desc.index + 1);
  auto& pending = out_.log_entries;
  auto covered = std::find_if(pending.begin(), pending.end(),
                              [&](const log_entry& e) { return e.index > snp.desc.index; });
  pending.erase(pending.begin(), covered);
  out_.snapshot_to_persist = snp;
}

// -- leader ----------------------------------------------------------------------------------

void fsm::broadcast_append(bool heartbeat) {
  for (auto& kv : progress_)
    send_append(kv.first, heartbeat);
}

void fsm::send_heartbeats() {
  for (auto& [id, p] : progress_) {
    if (p.snapshot_in_flight) {
      if (p.match_index >= log_.snapshot_index()) {
        p.snapshot_in_flight = false;  // caught up anyway (the reply got lost)
        p.next_index = std::max(p.next_index, p.match_index + 1);
      } else if (now_ - p.snapshot_sent >= cfg_.election_timeout_ticks) {
        p.snapshot_in_flight = false;  // presumed lost: send_append sends it again
      }
    }
    if (p.probing)
      p.probe_sent = false;  // resend the probe
    send_append(id, true);
  }
}

void fsm::send_append(node_id to, bool heartbeat) {
  auto& p = progress_.at(to);
  if (p.snapshot_in_flight) {
    // prev_index 0 always matches: keeps the follower's election timer quiet meanwhile.
    if (heartbeat)
      send(to, append_request{term_, raft_index{0}, raft_term{0}, {}, commit_index_, now_});
    return;
  }
  // Probing: one append. Otherwise pipeline appends until the window is full.
  for (bool first = true;; first = false) {
    auto prev = p.next_index - 1;
    if (prev < log_.snapshot_index()) {
      send_snapshot(to);
      return;
    }
    bool may_send = p.probing ? !p.probe_sent : p.inflight.size() < max_inflight;
    std::vector<log_entry> entries;
    if (may_send && p.next_index <= log_.last_index())
      entries = log_.slice(p.next_index, cfg_.max_entries_per_append,
                           cfg_.max_bytes_per_append);
    if (entries.empty() && !(heartbeat && first))
      return;
    if (!entries.empty()) {
      if (p.probing) {
        p.probe_sent = true;
      } else {
        p.next_index = entries.back().index + 1;  // optimistic: pipelined
        p.inflight.push_back(entries.back().index);
      }
    }
    auto prev_term = log_.term_at(prev);
    // Invariant: snapshot_index <= prev < next_index <= last_index + 1 (replies that would
    // move next_index past the log end are dropped).
    assert(prev_term);
    bool more = !entries.empty() && !p.probing;
    send(to, append_request{term_, prev, *prev_term, std::move(entries), commit_index_, now_});
    if (!more)
      return;
  }
}

void fsm::send_snapshot(node_id to) {
  // Invariant: the leader keeps the snapshot its log starts after.
  assert(snapshot_data_ && snapshot_data_->desc.index == log_.snapshot_index());
  auto& p = progress_.at(to);
  p.snapshot_in_flight = true;
  p.snapshot_sent = now_;
  p.probing = true;
  p.probe_sent = false;
  p.inflight.clear();
  send(to, install_snapshot{term_, *snapshot_data_});
}

void fsm::maybe_commit() {
  if (role_ != role::leader)
    return;
  // The highest index a majority holds; the leader's own log counts (the driver persists it
  // before it sends the appends that a follower's acknowledgement answers).
  std::vector<raft_index> match{log_.last_index()};
  for (auto& kv : progress_)
    match.push_back(kv.second.match_index);
  auto nth = match.begin() + static_cast<ptrdiff_t>(quorum() - 1);
  std::nth_element(match.begin(), nth, match.end(), std::greater<raft_index>{});
  // Only an entry of the current term commits by counting (Raft 5.4.2); earlier ones with it.
  if (*nth > commit_index_ && log_.term_at(*nth) == term_) {
    advance_commit(*nth);
    commit_dirty_ = true;
  }
}

void fsm::advance_commit(raft_index index) {
  // Invariant: the commit index never decreases and never passes the log's end.
  if (index <= commit_index_)
    return;
  assert(index <= log_.last_index());
  commit_index_ = index;
}

void fsm::on_message(node_id from, const append_reply& m) {
  if (m.term > term_) {
    become_follower(m.term, no_node);
    return;
  }
  if (m.term < term_ || role_ != role::leader)
    return;
  // A follower cannot hold more than the leader sent, nor echo a tick still to come.
  if (m.success && m.match_index > log_.last_index()) {
    reject(from, "append_reply: match_index " + to_string(m.match_index)
                   + " is past the leader's log end " + to_string(log_.last_index()));
    return;
  }
  if (m.sent_at < 0 || m.sent_at > now_) {
    reject(from, "append_reply: sent_at " + std::to_string(m.sent_at)
                   + " is no tick of this leader (now " + std::to_string(now_) + ")");
    return;
  }
  auto& p = progress_.at(from);
  p.last_reply = now_;
  p.lease_from = std::max(p.lease_from, m.sent_at);
  if (m.success) {
    if (m.match_index > p.match_index) {
      p.match_index = m.match_index;
      maybe_commit();
    }
    p.next_index = std::max(p.next_index, p.match_index + 1);
    while (!p.inflight.empty() && p.inflight.front() <= p.match_index)
      p.inflight.pop_front();
    if (!p.snapshot_in_flight) {
      p.probing = false;  // the follower's position is known: pipeline from here
      p.probe_sent = false;
    }
    send_append(from, false);
    return;
  }
  // A rejection of prev_index m.match_index. Stale if we know better by now.
  if (p.snapshot_in_flight || m.match_index <= p.match_index || m.match_index >= p.next_index)
    return;
  p.next_index = std::max(p.match_index + 1, std::min(m.hint, m.match_index));
  p.probing = true;
  p.probe_sent = false;
  p.inflight.clear();
  send_append(from, false);
}

void fsm::on_message(node_id from, const snapshot_reply& m) {
  if (m.term > term_) {
    become_follower(m.term, no_node);
    return;
  }
  if (m.term < term_ || role_ != role::leader)
    return;
  // The leader's snapshots only move forward: a reply for a later one answers nothing it sent.
  if (m.index > log_.snapshot_index()) {
    reject(from, "snapshot_reply: index " + to_string(m.index)
                   + " is past the leader's snapshot " + to_string(log_.snapshot_index()));
    return;
  }
  auto& p = progress_.at(from);
  p.last_reply = now_;  // any reply of this term shows the follower is alive
  // Only a success for the snapshot in flight moves the follower on; a failure waits for
  // the resend (send_heartbeats), a reply with none in flight is a late duplicate.
  if (!m.success || !p.snapshot_in_flight)
    return;
  if (m.index > p.match_index) {
    p.match_index = m.index;
    maybe_commit();
  }
  p.next_index = std::max(p.next_index, p.match_index + 1);
  p.snapshot_in_flight = false;
  p.probing = true;
  p.probe_sent = false;
  p.inflight.clear();
  send_append(from, false);
}

// -- follower --------------------------------------------------------------------------------

bool fsm::follow_leader(node_id from, raft_term term) {
  // Election safety: one leader per term. Another member claiming this member's own term is
  // broken or forged.
  if (role_ == role::leader && term == term_) {
    reject(from, "a leader's message for term " + to_string(term)
                   + ", which this member leads");
    return false;
  }
  if (term > term_ || role_ != role::follower || leader_ != from)
    become_follower(term, from);
  else
    election_elapsed_ = 0;
  return true;
}

void fsm::on_message(node_id from, const append_request& m) {
  if (m.term < term_) {
    // Tell the stale leader about our term so it steps down.
    send(from, append_reply{term_, false, m.prev_index, raft_index{0}, m.sent_at});
    return;
  }
  // Entries up to our commit index are committed, hence the same in the leader's log: those
  // the request repeats are skipped. The last of them must be the one we hold, else the
  // sender contradicts a committed entry (checked before the message changes anything).
  size_t skip = 0;
  if (m.prev_index < commit_index_) {
    skip = std::min(static_cast<size_t>(commit_index_ - m.prev_index), m.entries.size());
    const log_entry* last_skipped = skip > 0 ? &m.entries[skip - 1] : nullptr;
    auto ours = last_skipped ? log_.term_at(last_skipped->index) : std::nullopt;
    if (ours && *ours != last_skipped->term) {
      reject(from, "append_request: entry " + to_string(last_skipped->index) + " of term "
                     + to_string(last_skipped->term)
                     + " contradicts the committed entry of term " + to_string(*ours));
      return;
    }
  }
  if (!follow_leader(from, m.term))
    return;
  auto prev = m.prev_index;
  if (prev < commit_index_) {
    prev = commit_index_;
  } else if (!log_.matches(prev, m.prev_term)) {
    // Log-matching check failed: hint at the start of our conflicting term (or our end), but
    // never at or below our commit index.
    auto hint = prev > log_.last_index() ? log_.last_index() + 1
                                         : log_.first_index_with_term(*log_.term_at(prev), prev);
    hint = std::max(hint, commit_index_ + 1);
    send(from, append_reply{term_, false, m.prev_index, hint, m.sent_at});
    return;
  }
  auto last_new = prev + static_cast<int64_t>(m.entries.size() - skip);
  for (size_t i = skip; i < m.entries.size(); ++i) {
    const auto& e = m.entries[i];
    // Invariant: check_content() saw the entries continue prev_index one by one.
    assert(e.index == prev + static_cast<int64_t>(i - skip) + 1);
    if (e.index <= log_.last_index()) {
      if (log_.term_at(e.index) == e.term)
        continue;              // already there (a duplicate or an overlapping append)
      truncate_local(e.index);  // the first conflict: drop our suffix from here
    }
    append_local(e);
  }
  // Only what this request proved to match may be committed.
  if (m.leader_commit > commit_index_)
    advance_commit(std::min(m.leader_commit, last_new));
  send(from, append_reply{term_, true, last_new, raft_index{0}, m.sent_at});
}

void fsm::on_message(node_id from, const install_snapshot& m) {
  const auto& desc = m.snp.desc;
  if (m.term < term_) {
    send(from, snapshot_reply{term_, false, desc.index});
    return;
  }
  // Checked before anything changes, the term included: a refused snapshot leaves the
  // member as it was and nothing to persist.
  bool install = desc.index > commit_index_;
  if (install) {
    if (auto why = check_install(m); !why.empty()) {
      reject(from, std::move(why));
      send(from, snapshot_reply{term_, false, desc.index});
      return;
    }
  }
  if (!follow_leader(from, m.term))
    return;
  // A snapshot at or below the commit index holds nothing new: acknowledged, not stored.
  if (install) {
    // Invariant: log_.snapshot_index() <= commit_index_ < desc.index.
    bool kept = log_.install_snapshot(desc);
    output_snapshot(m.snp, kept);
    snapshot_data_ = m.snp;
    commit_index_ = desc.index;
    applied_index_ = desc.index;  // the driver applies the snapshot instead of the entries
    out_.snapshot_to_apply = m.snp;
  }
  send(from, snapshot_reply{term_, true, desc.index});
}

} // namespace cafka::raft
