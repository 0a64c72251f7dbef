#include "runtime/raft/disk_persistence.hpp"

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <utility>

#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/raft/raft_files.hpp"

// Loading and recovery; the writes are in disk_persistence_write.cpp.
namespace cafka::raft {

namespace {

namespace fs = std::filesystem;

// The whole file at `path`; `missing` is set (and the result empty) if it does not exist.
caf::expected<std::string> read_whole(storage::env& env, const std::string& path,
                                      bool& missing) {
  auto bytes = env.read_file(path);
  if (!bytes)
    return std::move(bytes.error());
  missing = !*bytes;
  return missing ? std::string{} : std::move(**bytes);
}

} // namespace

caf::error disk_persistence::corrupt(const std::string& path, const std::string& what) {
  return make_error(errc::storage_error, "corrupt " + path + ": " + what);
}

disk_persistence::disk_persistence(std::string dir, std::shared_ptr<storage::env> env)
  : dir_(std::move(dir)), env_(std::move(env)) {
  assert(env_ != nullptr);  // internal: the node supervisor and tests pass a disk
}

disk_persistence::~disk_persistence() = default;

std::string disk_persistence::path(const char* name) const {
  return (fs::path{dir_} / name).string();
}

raft_index disk_persistence::last_index() const {
  return positions_.empty() ? snap_.index : positions_.back().index;
}

caf::error disk_persistence::ensure_open() {
  if (open_)
    return caf::none;
  persisted_state scratch;
  return load(scratch);
}

caf::error disk_persistence::open_dir() {
  // Every directory created is durable (create_dirs fsyncs its parent).
  if (auto err = env_->create_dirs(dir_))
    return err;
  // Leftovers of an atomic replace a crash interrupted: the real file is intact.
  for (auto name : {vote_file, log_file, snapshot_file})
    if (auto err = env_->remove(path(name) + ".tmp"))
      return err;
  return caf::none;
}

caf::error disk_persistence::load(persisted_state& out) {
  open_ = false;
  log_.reset();
  log_size_ = 0;
  snap_ = snapshot_descriptor{};
  positions_.clear();
  persisted_state st;
  caf::error err = open_dir();
  if (!err)
    err = load_vote(st);
  if (!err)
    err = load_snapshot(st);
  if (!err)
    err = load_log(st);
  if (err) {
    positions_.clear();
    log_.reset();
    return err;
  }
  open_ = true;
  out = std::move(st);
  return caf::none;
}

caf::error disk_persistence::load_vote(persisted_state& out) {
  auto file = path(vote_file);
  bool missing;
  auto bytes = read_whole(*env_, file, missing);
  if (!bytes)
    return std::move(bytes.error());
  if (missing)
    return caf::none;  // first start: term 0, no vote
  std::string why;
  auto v = files::decode_vote(*bytes, why);
  if (!why.empty())
    return corrupt(file, why);
  out.term = v.term;
  out.voted_for = v.voted_for;
  return caf::none;
}

caf::error disk_persistence::load_snapshot(persisted_state& out) {
  auto file = path(snapshot_file);
  bool missing;
  auto bytes = read_whole(*env_, file, missing);
  if (!bytes)
    return std::move(bytes.error());
  if (missing)
    return caf::none;
  std::string why;
  auto snp = files::decode_snapshot(*bytes, why);
  if (!why.empty())
    return corrupt(file, why);
  snap_ = snp.desc;
  out.snp = std::move(snp);
  return caf::none;
}

caf::error disk_persistence::open_log_file() {
  auto file = path(log_file);
  auto existed = env_->exists(file);
  if (!existed)
    return std::move(existed.error());
  auto f = env_->open(file, storage::open_mode::write);
  if (!f)
    return std::move(f.error());
  log_ = std::move(*f);
  if (!*existed)
    return env_->sync_dir(dir_);
  return caf::none;
}

caf::error disk_persistence::write_log_header() {
  auto header = files::log_header();
  caf::error err = log_->truncate(0);
  if (!err)
    err = log_->write_at(header.data(), header.size(), 0);
  if (!err)
    err = log_->sync();
  return err;
}

caf::error disk_persistence::read_log_header(std::string& buf, size_t& pos,
                                             bool& headerless) {
  std::string why;
  auto start = files::classify_log(buf, why);
  if (start == files::log_start::unknown)
    return corrupt(log_->path(), why);
  if (start == files::log_start::torn) {
    if (!buf.empty())
      spdlog::warn("raft log {}: rewriting a torn header ({} bytes)", log_->path(),
                   buf.size());
    if (auto err = write_log_header())
      return err;
    buf = files::log_header();
  }
  headerless = start == files::log_start::headerless;
  pos = headerless ? 0 : files::log_header_size;
  return caf::none;
}

caf::error disk_persistence::check_log_order(const std::string& file,
                                             const std::vector<record_pos>& recs) {
  for (size_t i = 1; i < recs.size(); ++i) {
    if (recs[i - 1].index >= files::max_stored_index || recs[i].index != recs[i - 1].index + 1)
      return corrupt(file, "entry at position " + std::to_string(recs[i].pos) + " has index "
                             + to_string(recs[i].index) + " after entry "
                             + to_string(recs[i - 1].index));
    if (recs[i].term < recs[i - 1].term)
      return corrupt(file, "entry " + to_string(recs[i].index) + " has term "
                             + to_string(recs[i].term) + " below the previous entry's "
                             + to_string(recs[i - 1].term));
  }
  return caf::none;
}

caf::error disk_persistence::load_log(persisted_state& out) {
  if (auto err = open_log_file())
    return err;
  auto file = log_->path();
  auto size = log_->size();
  if (!size)
    return std::move(size.error());
  std::string buf(*size, '\0');
  auto n = log_->read_at(buf.data(), buf.size(), 0);
  if (!n)
    return std::move(n.error());
  buf.resize(*n);
  // 0. The header: version 1, none (version 0: rewritten with one below), or torn.
  size_t pos = 0;
  bool headerless = false;
  if (auto err = read_log_header(buf, pos, headerless))
    return err;
  // 1. Scan records up to the first torn or corrupt one.
  std::vector<log_entry> entries;
  std::vector<record_pos> recs;
  std::string bad;  // why the scan stopped early
  while (pos < buf.size()) {
    auto rec = files::scan_record(buf, pos);
    if (rec.bad_kind)
      return corrupt(file, rec.why);
    if (!rec.ok) {
      bad = rec.why;
      break;
    }
    recs.push_back(record_pos{rec.entry.index, rec.entry.term, pos});
    entries.push_back(std::move(rec.entry));
    pos += rec.size;
  }
  if (pos < buf.size()) {
    // Only a torn tail is cut: bytes in which no valid record starts. A bad record with a
    // valid one after it is damage, and cutting there could drop committed entries.
    auto after = recs.empty() ? snap_.index : recs.back().index;
    auto later = files::find_valid_record(buf, pos, after);
    if (later < buf.size())
      return corrupt(file, "bad record at position " + std::to_string(pos) + " (after entry "
                             + to_string(after) + "): " + bad
                             + "; a valid record follows at position "
                             + std::to_string(later));
    spdlog::warn("raft log {}: truncated torn tail at position {} "
                 "({} bytes dropped, no valid record after it): {}",
                 file, pos, buf.size() - pos, bad);
    if (auto err = log_->truncate(pos))
      return err;
    if (auto err = log_->sync())
      return err;
  }
  log_size_ = pos;
  // 2. Validate: contiguous indexes, non-decreasing terms.
  if (auto err = check_log_order(file, recs))
    return err;
  // 3. Entries covered by the snapshot are left over from a compaction a crash interrupted
  //    (snapshot stored, log not yet rewritten): drop them, and a conflicting suffix too.
  auto first = static_cast<size_t>(
    std::upper_bound(recs.begin(), recs.end(), snap_.index,
                     [](raft_index i, const record_pos& r) { return i < r.index; })
    - recs.begin());
  bool conflict = first > 0 && recs[first - 1].index == snap_.index
                  && recs[first - 1].term != snap_.term;
  if (conflict)
    first = recs.size();
  if (first < recs.size()) {
    if (recs[first].index != snap_.index + 1)
      return corrupt(file, "first entry after the snapshot has index "
                             + to_string(recs[first].index) + ", expected "
                             + to_string(snap_.index + 1));
    if (recs[first].term < snap_.term)
      return corrupt(file, "entry " + to_string(recs[first].index) + " has term "
                             + to_string(recs[first].term) + " below the snapshot's "
                             + to_string(snap_.term));
  }
  positions_ = std::move(recs);
  if (headerless) {
    spdlog::info("raft log {}: adding the version {} header to a log of version 0", file,
                 files::log_version);
    if (auto err = rewrite_log_from(first))
      return err;
  } else if (first > 0) {
    spdlog::info("raft log {}: dropping {} entries covered by the snapshot at index {} "
                 "(finishing an interrupted compaction)",
                 file, first, to_string(snap_.index));
    if (auto err = rewrite_log_from(first))
      return err;
  }
  entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(first));
  out.entries = std::move(entries);
  return caf::none;
}

} // namespace cafka::raft
