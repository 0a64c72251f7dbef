#include "runtime/raft/disk_persistence.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "runtime/base/errc.hpp"
#include "runtime/raft/raft_files.hpp"

// The writes: vote, append, truncate, snapshot (and the log rewrite of a compaction).
namespace cafka::raft {

namespace {

caf::error invalid(const std::string& what) {
  return make_error(errc::invalid_request, what);
}

} // namespace

caf::error disk_persistence::rewrite_log_from(size_t first) {
  assert(first <= positions_.size());  // internal: callers pass an upper_bound position
  auto base = first < positions_.size() ? positions_[first].pos : log_size_;
  auto contents = files::log_header();
  auto header = contents.size();
  contents.resize(header + (log_size_ - base));
  if (log_size_ > base) {
    auto n = log_->read_at(contents.data() + header, log_size_ - base, base);
    if (!n)
      return std::move(n.error());
    if (*n != log_size_ - base)
      return make_error(errc::storage_error,
                        "read " + log_->path() + ": unexpected end of file");
  }
  if (auto err = env_->replace_file(path(log_file), contents))
    return err;
  if (auto err = open_log_file())  // the old descriptor refers to the replaced file
    return err;
  positions_.erase(positions_.begin(), positions_.begin() + static_cast<std::ptrdiff_t>(first));
  for (auto& r : positions_)
    r.pos = r.pos - base + header;
  log_size_ = contents.size();
  assert(positions_.empty() || positions_.front().pos == header);  // internal: shifted above
  return caf::none;
}

caf::error disk_persistence::store_term_and_vote(raft_term term, node_id voted_for) {
  if (!open_) {
    if (auto err = open_dir())
      return err;
  }
  return env_->replace_file(path(vote_file), files::encode_vote({term, voted_for}));
}

caf::error disk_persistence::append(const std::vector<log_entry>& entries) {
  if (auto err = ensure_open())
    return err;
  if (entries.empty())
    return caf::none;
  // Check everything before writing anything.
  if (last_index() > files::max_stored_index
      || static_cast<uint64_t>(files::max_stored_index.value - last_index().value) < entries.size())
    return invalid("raft append: " + std::to_string(entries.size()) + " entries after index "
                   + to_string(last_index()) + " pass the largest index");
  auto expected = last_index() + 1;
  auto prev_term = positions_.empty() ? snap_.term : positions_.back().term;
  size_t total = 0;
  for (auto& e : entries) {
    if (e.index != expected)
      return invalid("raft append: entry index " + to_string(e.index) + ", expected "
                     + to_string(expected));
    if (e.term < prev_term)
      return invalid("raft append: entry " + to_string(e.index) + " has term "
                     + to_string(e.term) + " below the previous " + to_string(prev_term));
    if (!files::valid_kind(e.kind))
      return invalid("raft append: entry " + to_string(e.index) + " has an unknown kind");
    if (e.data.size() > files::max_entry_data)
      return invalid("raft append: entry " + to_string(e.index) + " too large");
    ++expected;
    prev_term = e.term;
    total += files::record_size(e);
  }
  std::string buf;
  buf.reserve(total);
  std::vector<record_pos> added;
  added.reserve(entries.size());
  for (auto& e : entries) {
    added.push_back(record_pos{e.index, e.term, log_size_ + buf.size()});
    files::append_record(buf, e);
  }
  assert(buf.size() == total);  // internal: record_size() is what append_record writes
  caf::error err = log_->write_at(buf.data(), buf.size(), log_size_);
  if (!err)
    err = log_->sync();
  if (err) {
    // Best effort: take back a partial write; the next call re-reads the disk anyway.
    (void) log_->truncate(log_size_);
    open_ = false;
    return err;
  }
  positions_.insert(positions_.end(), added.begin(), added.end());
  log_size_ += buf.size();
  return caf::none;
}

caf::error disk_persistence::truncate(raft_index from) {
  if (auto err = ensure_open())
    return err;
  auto i = std::lower_bound(positions_.begin(), positions_.end(), from,
                            [](const record_pos& r, raft_index x) { return r.index < x; });
  if (i == positions_.end())
    return caf::none;
  auto cut = i->pos;
  caf::error err = log_->truncate(cut);
  if (!err)
    err = log_->sync();
  if (err) {
    open_ = false;
    return err;
  }
  positions_.erase(i, positions_.end());
  log_size_ = cut;
  return caf::none;
}

caf::error disk_persistence::store_snapshot(const snapshot& snp) {
  if (auto err = ensure_open())
    return err;
  auto s = snp.desc.index;
  if (s < snap_.index)
    return invalid("raft snapshot at index " + to_string(s)
                   + " is older than the stored one at " + to_string(snap_.index));
  if (s < raft_index{0} || snp.desc.term < raft_term{0} || s > files::max_stored_index)
    return invalid("raft snapshot with a negative or too large index, or a negative term");
  if (auto err = env_->replace_file(path(snapshot_file), files::encode_snapshot(snp))) {
    open_ = false;  // the file is the old or the new one: re-read it next time
    return err;
  }
  snap_ = snp.desc;
  // Drop the covered entries; if entry s conflicts with the snapshot, everything.
  auto i = std::upper_bound(positions_.begin(), positions_.end(), s,
                            [](raft_index x, const record_pos& r) { return x < r.index; });
  auto first = static_cast<size_t>(i - positions_.begin());
  if (first > 0 && positions_[first - 1].index == s
      && positions_[first - 1].term != snp.desc.term)
    first = positions_.size();
  if (first == 0)
    return caf::none;
  if (auto err = rewrite_log_from(first)) {
    open_ = false;
    return err;
  }
  // Internal: positions_ is contiguous from the old snapshot's index + 1 <= s + 1.
  assert(positions_.empty() || positions_.front().index == snap_.index + 1);
  return caf::none;
}

} // namespace cafka::raft
