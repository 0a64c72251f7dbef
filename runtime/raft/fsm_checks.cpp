// raft::fsm, part 3: what a message may say. check_content() refuses what no correct member
// sends, whatever the receiver's state; the handlers (fsm.cpp, fsm_replication.cpp) check
// the rest against the member's state. Dropped messages are counted and reported.
#include "runtime/raft/fsm.hpp"

#include <utility>

#include "runtime/base/errc.hpp"

namespace cafka::raft {

namespace {

std::string out_of_range(const char* what, int64_t value, int64_t max) {
  return std::string{what} + " " + std::to_string(value) + " is outside [0, "
         + std::to_string(max) + "]";
}

std::string check_term(const char* what, raft_term t) {
  return t >= raft_term{0} && t <= max_term ? std::string{}
                                            : out_of_range(what, t.value, max_term.value);
}

std::string check_index(const char* what, raft_index i) {
  return i >= raft_index{0} && i <= max_index ? std::string{}
                                              : out_of_range(what, i.value, max_index.value);
}

// A term the message carries besides its own: in [0, term].
std::string check_older_term(const char* what, raft_term t, raft_term term) {
  if (t < raft_term{0} || t > term)
    return out_of_range(what, t.value, term.value) + " (the message's term)";
  return {};
}

// The first non-empty reason, or "".
template <class... Ts>
std::string first_of(Ts... reasons) {
  std::string out;
  ((out.empty() ? void(out = std::move(reasons)) : void()), ...);
  return out;
}

// Entries continue prev_index one by one, with terms in [prev_term, term], non-decreasing.
std::string check_entries(const append_request& m) {
  auto index = m.prev_index;
  auto term = m.prev_term;
  for (const auto& e : m.entries) {
    auto at = "entry " + to_string(e.index);
    // Both are in [0, max_index] here, so the difference cannot overflow.
    if (e.index < raft_index{0} || e.index > max_index || e.index - index != 1)
      return at + " does not follow index " + to_string(index);
    if (e.term < term || e.term > m.term)
      return at + " has term " + to_string(e.term) + ", outside [" + to_string(term) + ", "
             + to_string(m.term) + "] (the previous entry's term, the message's term)";
    if (e.kind != entry_kind::command && e.kind != entry_kind::noop)
      return at + " has unknown kind " + std::to_string(static_cast<int>(e.kind));
    index = e.index;
    term = e.term;
  }
  return {};
}

struct content_checker {
  std::string operator()(const vote_request& m) const {
    return first_of(check_term("term", m.term),
                    check_index("last_log_index", m.last_log_index),
                    check_older_term("last_log_term", m.last_log_term, m.term));
  }
  std::string operator()(const vote_reply& m) const { return check_term("term", m.term); }
  std::string operator()(const append_request& m) const {
    auto why = first_of(check_term("term", m.term), check_index("prev_index", m.prev_index),
                        check_older_term("prev_term", m.prev_term, m.term),
                        check_index("leader_commit", m.leader_commit));
    return why.empty() ? check_entries(m) : why;
  }
  std::string operator()(const append_reply& m) const {
    return first_of(check_term("term", m.term), check_index("match_index", m.match_index),
                    check_index("hint", m.hint));
  }
  std::string operator()(const install_snapshot& m) const {
    const auto& d = m.snp.desc;
    auto why = first_of(check_term("term", m.term), check_index("snapshot index", d.index),
                        check_older_term("snapshot term", d.term, m.term));
    if (why.empty() && (d.index == raft_index{0} || d.term == raft_term{0}))
      why = "a snapshot at index " + to_string(d.index) + ", term " + to_string(d.term)
            + " covers no entry";
    return why;
  }
  std::string operator()(const snapshot_reply& m) const {
    return first_of(check_term("term", m.term), check_index("index", m.index));
  }
};

const char* message_name(const message& msg) {
  static const char* const names[] = {"vote_request",  "vote_reply",       "append_request",
                                      "append_reply",  "install_snapshot", "snapshot_reply"};
  return names[msg.index()];
}

} // namespace

std::string check_content(const message& msg) {
  auto why = std::visit(content_checker{}, msg);
  return why.empty() ? why : std::string{message_name(msg)} + ": " + why;
}

void fsm::reject(node_id from, std::string reason) {
  ++rejected_count_;
  if (out_.rejected.size() < max_rejected_kept)
    out_.rejected.push_back(rejected_message{from, std::move(reason)});
}

std::string fsm::check_install(const install_snapshot& m) const {
  const auto& desc = m.snp.desc;
  // The snapshot replaces a log whose entries up to commit_index_ are committed, so it holds
  // them: its last entry cannot be of an older term than the last committed one.
  // Invariant: term_at(commit_index_) is set (snapshot index <= commit index <= last index).
  auto committed = *log_.term_at(commit_index_);
  if (desc.term < committed)
    return "install_snapshot: the snapshot at index " + to_string(desc.index) + " has term "
           + to_string(desc.term) + ", older than the committed entry "
           + to_string(commit_index_) + " of term " + to_string(committed);
  if (cfg_.check_snapshot)
    if (auto err = cfg_.check_snapshot(m.snp.data))
      return "install_snapshot: the snapshot at index " + to_string(desc.index)
             + " does not decode: " + describe(err);
  return {};
}

} // namespace cafka::raft
