#include "runtime/raft/raft_log.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace cafka::raft {

raft_log::raft_log(snapshot_descriptor snap, std::vector<log_entry> entries) : snap_(snap) {
  for (auto& e : entries) {
    if (e.index <= snap_.index)
      continue;  // covered by the snapshot (a compaction the crash interrupted)
    append(std::move(e));
  }
}

raft_index raft_log::last_index() const {
  return entries_.empty() ? snap_.index : entries_.back().index;
}

raft_term raft_log::last_term() const {
  return entries_.empty() ? snap_.term : entries_.back().term;
}

std::optional<raft_term> raft_log::term_at(raft_index index) const {
  if (index == snap_.index)
    return snap_.term;
  if (index == raft_index{0})
    return raft_term{0};
  if (index < first_index() || index > last_index())
    return std::nullopt;
  return at(index).term;
}

bool raft_log::matches(raft_index index, raft_term term) const {
  auto t = term_at(index);
  return t && *t == term;
}

const log_entry& raft_log::at(raft_index index) const {
  assert(index >= first_index() && index <= last_index());
  const auto& e = entries_[static_cast<size_t>(index - first_index())];
  assert(e.index == index);
  return e;
}

std::vector<log_entry> raft_log::slice(raft_index from, size_t max_entries,
                                       size_t max_bytes) const {
  assert(from >= first_index());
  std::vector<log_entry> out;
  size_t bytes = 0;
  for (auto i = from; i <= last_index() && out.size() < max_entries; ++i) {
    const auto& e = at(i);
    if (!out.empty() && bytes + e.data.size() > max_bytes)
      break;
    bytes += e.data.size();
    out.push_back(e);
  }
  return out;
}

raft_index raft_log::first_index_with_term(raft_term term, raft_index upto) const {
  assert(upto <= last_index());
  // Terms are non-decreasing along entries_: binary search on [first_index(), upto].
  auto end = entries_.begin() + (upto >= first_index() ? (upto - first_index()) + 1 : 0);
  auto it = std::lower_bound(entries_.begin(), end, term,
                             [](const log_entry& e, raft_term t) { return e.term < t; });
  return it == end ? upto + 1 : it->index;
}

void raft_log::append(log_entry e) {
  // Invariant: contiguous indexes, non-decreasing terms.
  assert(e.index == last_index() + 1);
  assert(e.term >= last_term());
  entries_.push_back(std::move(e));
}

void raft_log::truncate_from(raft_index from) {
  assert(from > snap_.index);
  while (!entries_.empty() && entries_.back().index >= from)
    entries_.pop_back();
  check_invariants();
}

void raft_log::compact(snapshot_descriptor snap) {
  if (snap.index <= snap_.index)
    return;
  assert(matches(snap.index, snap.term));
  while (!entries_.empty() && entries_.front().index <= snap.index)
    entries_.pop_front();
  snap_ = snap;
  check_invariants();
}

bool raft_log::install_snapshot(snapshot_descriptor snap) {
  assert(snap.index >= snap_.index);
  bool keep = matches(snap.index, snap.term);
  if (keep) {
    while (!entries_.empty() && entries_.front().index <= snap.index)
      entries_.pop_front();
  } else {
    entries_.clear();
  }
  snap_ = snap;
  check_invariants();
  return keep;
}

void raft_log::check_invariants() const {
  // O(1) spot checks: the ends of the log continue the snapshot contiguously.
  assert(entries_.empty() || entries_.front().index == snap_.index + 1);
  assert(entries_.empty() || entries_.front().term >= snap_.term);
  assert(entries_.empty()
         || entries_.back().index == snap_.index + static_cast<int64_t>(entries_.size()));
}

} // namespace cafka::raft
