#include "runtime/raft/disk_persistence.hpp"

#include <algorithm>
#include <cassert>
#include <exception>
#include <filesystem>
#include <limits>
#include <sstream>
#include <utility>

#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka::raft {

namespace {

namespace fs = std::filesystem;

// -- log records: length:u32 | crc32c(payload):u32 | term:i64 | index:i64 | kind:u8 | data --

constexpr size_t record_header_size = 8;
constexpr size_t entry_fixed_size = 17;
constexpr size_t max_entry_data = std::numeric_limits<uint32_t>::max() - entry_fixed_size;

size_t record_size(const log_entry& e) {
  return record_header_size + entry_fixed_size + e.data.size();
}

// Writes the record of `e` at p. Requires: record_size(e) bytes of room, data not too big.
char* encode_record(char* p, const log_entry& e) {
  assert(e.data.size() <= max_entry_data);
  auto payload = p + record_header_size;
  wire::store_be64(payload, static_cast<uint64_t>(e.term.value));
  wire::store_be64(payload + 8, static_cast<uint64_t>(e.index.value));
  payload[16] = static_cast<char>(e.kind);
  std::copy(e.data.begin(), e.data.end(), payload + entry_fixed_size);
  auto len = entry_fixed_size + e.data.size();
  wire::store_be32(p, static_cast<uint32_t>(len));
  wire::store_be32(p + 4, crc32c(payload, len));
  return payload + len;
}

bool valid_kind(entry_kind k) {
  return k == entry_kind::command || k == entry_kind::noop;
}

// -- vote file: version:u8 | term:i64 | voted_for:i32 | crc32c(previous 13 bytes):u32 ------

constexpr uint8_t vote_version = 1;
constexpr size_t vote_body_size = 13;
constexpr size_t vote_file_size = vote_body_size + 4;

// -- snapshot file: length:u64 | crc32c(payload):u32 | payload (Boost text archive) --------

constexpr size_t snapshot_header_size = 12;

// What the archive holds: plain integers, so no serialize() for the strong types is needed
// here (and none can clash with one defined elsewhere).
struct snapshot_record {
  int64_t index = 0;
  int64_t term = 0;
  std::string data;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar & index & term & data;
  }
};

caf::expected<std::string> encode_snapshot_file(const snapshot& snp) {
  std::string payload;
  try {
    snapshot_record rec{snp.desc.index.value, snp.desc.term.value, snp.data};
    std::ostringstream out;
    {
      boost::archive::text_oarchive ar{out};
      ar << rec;
    }
    payload = std::move(out).str();
  } catch (const std::exception& e) {
    return make_error(errc::storage_error, std::string{"serialize snapshot: "} + e.what());
  }
  std::string file(snapshot_header_size, '\0');
  wire::store_be64(file.data(), payload.size());
  wire::store_be32(file.data() + 8, crc32c(payload.data(), payload.size()));
  file += payload;
  return file;
}

// The whole file at `path`; `missing` is set (and the result empty) if it does not exist.
caf::expected<std::string> read_whole(storage::env& env, const std::string& path,
                                      bool& missing) {
  auto bytes = env.read_file(path);
  if (!bytes)
    return std::move(bytes.error());
  missing = !*bytes;
  return missing ? std::string{} : std::move(**bytes);
}

caf::error corrupt(const std::string& path, const std::string& what) {
  return make_error(errc::storage_error, "corrupt " + path + ": " + what);
}

caf::error invalid(const std::string& what) {
  return make_error(errc::invalid_request, what);
}

} // namespace

disk_persistence::disk_persistence(std::string dir, std::shared_ptr<storage::env> env)
  : dir_(std::move(dir)), env_(std::move(env)) {
  assert(env_ != nullptr);
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
  if (bytes->size() != vote_file_size)
    return corrupt(file, "size " + std::to_string(bytes->size()) + ", expected "
                           + std::to_string(vote_file_size));
  auto p = bytes->data();
  if (wire::load_be32(p + vote_body_size) != crc32c(p, vote_body_size))
    return corrupt(file, "CRC mismatch");
  if (static_cast<uint8_t>(p[0]) != vote_version)
    return corrupt(file, "unknown version " + std::to_string(static_cast<uint8_t>(p[0])));
  out.term = raft_term{static_cast<int64_t>(wire::load_be64(p + 1))};
  out.voted_for = node_id{static_cast<int32_t>(wire::load_be32(p + 9))};
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
  if (bytes->size() < snapshot_header_size)
    return corrupt(file, "shorter than its header");
  auto p = bytes->data();
  auto len = wire::load_be64(p);
  if (len != bytes->size() - snapshot_header_size)
    return corrupt(file, "header says " + std::to_string(len) + " bytes, file holds "
                           + std::to_string(bytes->size() - snapshot_header_size));
  if (wire::load_be32(p + 8) != crc32c(p + snapshot_header_size, len))
    return corrupt(file, "CRC mismatch");
  snapshot_record rec;
  try {
    std::istringstream in{bytes->substr(snapshot_header_size)};
    boost::archive::text_iarchive ar{in};
    ar >> rec;
  } catch (const std::exception& e) {
    return corrupt(file, std::string{"malformed archive: "} + e.what());
  }
  if (rec.index < 0 || rec.term < 0)
    return corrupt(file, "negative index or term");
  snap_ = snapshot_descriptor{raft_index{rec.index}, raft_term{rec.term}};
  out.snp = snapshot{snap_, std::move(rec.data)};
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
  // 1. Scan records up to the first torn or corrupt one.
  std::vector<log_entry> entries;
  std::vector<record_pos> recs;
  size_t pos = 0;
  std::string bad;  // why the scan stopped early
  while (pos < buf.size()) {
    auto left = buf.size() - pos;
    if (left < record_header_size) {
      bad = "incomplete record header";
      break;
    }
    auto p = buf.data() + pos;
    auto len = wire::load_be32(p);
    if (len < entry_fixed_size) {
      bad = "record length " + std::to_string(len) + " too small";
      break;
    }
    if (len > left - record_header_size) {
      bad = "record of " + std::to_string(len) + " bytes runs past the end of the file";
      break;
    }
    auto payload = p + record_header_size;
    if (wire::load_be32(p + 4) != crc32c(payload, len)) {
      bad = "CRC mismatch";
      break;
    }
    log_entry e;
    e.term = raft_term{static_cast<int64_t>(wire::load_be64(payload))};
    e.index = raft_index{static_cast<int64_t>(wire::load_be64(payload + 8))};
    e.kind = static_cast<entry_kind>(static_cast<uint8_t>(payload[16]));
    if (!valid_kind(e.kind))
      return corrupt(file, "unknown entry kind "
                             + std::to_string(static_cast<unsigned>(payload[16] & 0xff))
                             + " at position " + std::to_string(pos));
    e.data.assign(payload + entry_fixed_size, len - entry_fixed_size);
    recs.push_back(record_pos{e.index, e.term, pos});
    entries.push_back(std::move(e));
    pos += record_header_size + len;
  }
  if (pos < buf.size()) {
    spdlog::warn("raft log {}: truncated corrupt/torn tail at position {} "
                 "({} bytes dropped): {}",
                 file, pos, buf.size() - pos, bad);
    if (auto err = log_->truncate(pos))
      return err;
    if (auto err = log_->sync())
      return err;
  }
  log_size_ = pos;
  // 2. Validate: contiguous indexes, non-decreasing terms.
  for (size_t i = 1; i < recs.size(); ++i) {
    if (recs[i].index != recs[i - 1].index + 1)
      return corrupt(file, "entry at position " + std::to_string(recs[i].pos) + " has index "
                             + to_string(recs[i].index) + ", expected "
                             + to_string(recs[i - 1].index + 1));
    if (recs[i].term < recs[i - 1].term)
      return corrupt(file, "entry " + to_string(recs[i].index) + " has term "
                             + to_string(recs[i].term) + " below the previous entry's "
                             + to_string(recs[i - 1].term));
  }
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
  if (first > 0) {
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

caf::error disk_persistence::rewrite_log_from(size_t first) {
  assert(first <= positions_.size());
  auto base = first < positions_.size() ? positions_[first].pos : log_size_;
  std::string keep(log_size_ - base, '\0');
  if (!keep.empty()) {
    auto n = log_->read_at(keep.data(), keep.size(), base);
    if (!n)
      return std::move(n.error());
    if (*n != keep.size())
      return make_error(errc::storage_error,
                        "read " + log_->path() + ": unexpected end of file");
  }
  if (auto err = env_->replace_file(path(log_file), keep))
    return err;
  if (auto err = open_log_file())  // the old descriptor refers to the replaced file
    return err;
  positions_.erase(positions_.begin(), positions_.begin() + static_cast<std::ptrdiff_t>(first));
  for (auto& r : positions_)
    r.pos -= base;
  log_size_ = keep.size();
  assert(positions_.empty() || positions_.front().pos == 0);
  return caf::none;
}

caf::error disk_persistence::store_term_and_vote(raft_term term, node_id voted_for) {
  if (!open_) {
    if (auto err = open_dir())
      return err;
  }
  char buf[vote_file_size];
  buf[0] = static_cast<char>(vote_version);
  wire::store_be64(buf + 1, static_cast<uint64_t>(term.value));
  wire::store_be32(buf + 9, static_cast<uint32_t>(voted_for.value));
  wire::store_be32(buf + vote_body_size, crc32c(buf, vote_body_size));
  return env_->replace_file(path(vote_file), std::string_view{buf, sizeof(buf)});
}

caf::error disk_persistence::append(const std::vector<log_entry>& entries) {
  if (auto err = ensure_open())
    return err;
  if (entries.empty())
    return caf::none;
  // Check everything before writing anything.
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
    if (!valid_kind(e.kind))
      return invalid("raft append: entry " + to_string(e.index) + " has an unknown kind");
    if (e.data.size() > max_entry_data)
      return invalid("raft append: entry " + to_string(e.index) + " too large");
    ++expected;
    prev_term = e.term;
    total += record_size(e);
  }
  std::string buf(total, '\0');
  auto p = buf.data();
  std::vector<record_pos> added;
  added.reserve(entries.size());
  for (auto& e : entries) {
    auto at = log_size_ + static_cast<uint64_t>(p - buf.data());
    added.push_back(record_pos{e.index, e.term, at});
    p = encode_record(p, e);
  }
  assert(p == buf.data() + buf.size());
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
  if (s < raft_index{0} || snp.desc.term < raft_term{0})
    return invalid("raft snapshot with a negative index or term");
  auto file = encode_snapshot_file(snp);
  if (!file)
    return std::move(file.error());
  if (auto err = env_->replace_file(path(snapshot_file), *file)) {
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
  assert(positions_.empty() || positions_.front().index == snap_.index + 1);
  return caf::none;
}

} // namespace cafka::raft
