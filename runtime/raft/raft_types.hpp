// Values of the Raft core: log entries, snapshots, and the messages Raft members exchange.
// Plain values with inspect() (they cross nodes as CAF messages); on disk they take the
// durable encoding of raft_files.hpp. No actor context; any thread.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "runtime/base/ids.hpp"

namespace cafka::raft {

// The highest term a member accepts from a message or moves to itself: one more still fits
// in raft_term, so a member's `term + 1` (pre-vote, election) never overflows.
inline constexpr raft_term max_term{std::numeric_limits<int64_t>::max() - 1};
// The highest log index a message may name: far beyond any real log, and low enough that
// an index plus the entries of one message (or + 1) never overflows.
inline constexpr raft_index max_index{std::numeric_limits<int64_t>::max() / 2};

enum class entry_kind : uint8_t {
  command = 0,  // a state-machine command (opaque bytes)
  noop = 1,     // appended by every new leader to commit entries of earlier terms
};

struct log_entry {
  raft_term term;
  raft_index index;
  entry_kind kind = entry_kind::command;
  std::string data;
};

// The state machine as of `index` (inclusive); `term` is the term of entry `index`.
struct snapshot_descriptor {
  raft_index index;
  raft_term term;
};

struct snapshot {
  snapshot_descriptor desc;
  std::string data;  // the serialized state machine
};

// -- messages -------------------------------------------------------------------------------
// Every message carries the sender's term; stale terms are answered or dropped per Raft.

// pre_vote: a dry run that changes no state on the voter (term is the candidate's term + 1).
struct vote_request {
  raft_term term;
  raft_index last_log_index;
  raft_term last_log_term;
  bool pre_vote = false;
};

struct vote_reply {
  raft_term term;  // pre-vote: the term that was asked about
  bool granted = false;
  bool pre_vote = false;
};

// prev_index 0 (prev_term 0) always matches: a pure heartbeat the leader sends while a
// snapshot is in flight.
struct append_request {
  raft_term term;
  raft_index prev_index;
  raft_term prev_term;
  std::vector<log_entry> entries;
  raft_index leader_commit;
  int64_t sent_at = 0;  // the leader's logical tick at sending; echoed back (leader lease)
};

// success: match_index is the last index the follower now has that matches the leader.
// failure: match_index is the request's prev_index that did not match (the leader drops
// stale rejections with it); hint is where the leader should retry from (the follower's
// conflict index, > its commit index).
struct append_reply {
  raft_term term;
  bool success = false;
  raft_index match_index;
  raft_index hint;
  int64_t sent_at = 0;  // the request's sent_at
};

struct install_snapshot {
  raft_term term;
  snapshot snp;
};

struct snapshot_reply {
  raft_term term;
  bool success = false;
  raft_index index;  // the snapshot's index
};

using message = std::variant<vote_request, vote_reply, append_request, append_reply,
                             install_snapshot, snapshot_reply>;

struct envelope {
  node_id from;
  node_id to;
  message msg;
};

// -- inspect (CAF) --------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_entry& x) {
  return f(x.term, x.index, x.kind, x.data);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_descriptor& x) {
  return f(x.index, x.term);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot& x) {
  return f(x.desc, x.data);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, vote_request& x) {
  return f(x.term, x.last_log_index, x.last_log_term, x.pre_vote);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, vote_reply& x) {
  return f(x.term, x.granted, x.pre_vote);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_request& x) {
  return f(x.term, x.prev_index, x.prev_term, x.entries, x.leader_commit, x.sent_at);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_reply& x) {
  return f(x.term, x.success, x.match_index, x.hint, x.sent_at);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, install_snapshot& x) {
  return f(x.term, x.snp);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_reply& x) {
  return f(x.term, x.success, x.index);
}

} // namespace cafka::raft
