#include "runtime/replication/leader_epoch_cache.hpp"

#include <cassert>
#include <cstdint>
#include <sstream>

#include "runtime/base/durable_file.hpp"
#include "runtime/base/durable_reader.hpp"
#include "runtime/base/durable_writer.hpp"
#include "runtime/base/errc.hpp"

namespace cafka {

template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, epoch_entry> x) {
  io(x.epoch, x.start_offset);
}

namespace {

// Version 0 is Kafka's text checkpoint; 1 is the durable frame around the entries.
constexpr int16_t checkpoint_version = 1;

caf::error corrupt(const std::string& what) {
  return make_error(errc::corrupt_message, "leader-epoch-checkpoint: " + what);
}

// Epochs and start offsets increasing (epochs strictly), none negative.
caf::error check_order(const std::vector<epoch_entry>& es) {
  for (size_t i = 0; i < es.size(); ++i) {
    if (es[i].epoch < leader_epoch{0} || es[i].start_offset < log_offset{0})
      return corrupt("bad entry " + std::to_string(i));
    if (i > 0 && (es[i].epoch <= es[i - 1].epoch
                  || es[i].start_offset < es[i - 1].start_offset))
      return corrupt("entries out of order at " + std::to_string(i));
  }
  return {};
}

} // namespace

void leader_epoch_cache::assign(leader_epoch epoch, log_offset start_offset) {
  if (!entries_.empty()) {
    auto& last = entries_.back();
    if (epoch <= last.epoch)
      return;
    assert(start_offset >= last.start_offset);
    if (start_offset == last.start_offset) {
      // The previous epoch wrote nothing: it covers no offsets, replace it.
      last.epoch = epoch;
      return;
    }
  }
  entries_.push_back({epoch, start_offset});
}

epoch_end leader_epoch_cache::end_offset_for(leader_epoch epoch, log_offset log_end) const {
  // The largest known epoch <= requested.
  for (size_t i = entries_.size(); i-- > 0;) {
    if (entries_[i].epoch <= epoch) {
      auto end = i + 1 < entries_.size() ? entries_[i + 1].start_offset : log_end;
      return {entries_[i].epoch, end};
    }
  }
  return {};
}

void leader_epoch_cache::truncate_from_end(log_offset end) {
  while (!entries_.empty() && entries_.back().start_offset >= end)
    entries_.pop_back();
}

void leader_epoch_cache::truncate_from_start(log_offset start) {
  // Drop entries whose whole range lies before `start`; the one containing it starts there.
  size_t keep_from = 0;
  while (keep_from + 1 < entries_.size() && entries_[keep_from + 1].start_offset <= start)
    ++keep_from;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(keep_from));
  if (!entries_.empty() && entries_.front().start_offset < start)
    entries_.front().start_offset = start;
}

std::optional<epoch_entry> leader_epoch_cache::latest() const {
  if (entries_.empty())
    return std::nullopt;
  return entries_.back();
}

std::string leader_epoch_cache::serialize() const {
  std::string body;
  durable::writer w{body};
  w(entries_);
  return durable::seal(checkpoint_version, body);
}

caf::expected<leader_epoch_cache> leader_epoch_cache::parse(const std::string& bytes) {
  if (bytes.compare(0, 2, "0\n") == 0)
    return parse_text(bytes);
  auto f = durable::open_frame(bytes);
  if (!f.complete)
    return corrupt("shorter than its header (" + std::to_string(bytes.size()) + " bytes)");
  if (f.version != checkpoint_version)
    return corrupt("version " + std::to_string(f.version) + " is unknown (this cafka reads 0 "
                   "and " + std::to_string(checkpoint_version) + ")");
  if (!f.crc_ok)
    return corrupt("CRC32C mismatch");
  durable::reader r{f.body};
  leader_epoch_cache cache;
  r(cache.entries_);
  r.expect_end();
  if (!r.ok())
    return corrupt(r.error());
  if (auto err = check_order(cache.entries_))
    return err;
  return cache;
}

caf::expected<leader_epoch_cache> leader_epoch_cache::parse_text(const std::string& text) {
  std::istringstream in{text};
  int version = -1;
  long long count = -1;
  in >> version;  // "0", checked by the caller
  if (!(in >> count) || count < 0)
    return corrupt("bad entry count");
  leader_epoch_cache cache;
  for (long long i = 0; i < count; ++i) {
    long long epoch = -1;
    long long offset = -1;
    if (!(in >> epoch >> offset) || epoch < 0 || epoch > INT32_MAX || offset < 0)
      return corrupt("bad entry " + std::to_string(i));
    cache.entries_.push_back({leader_epoch{static_cast<int32_t>(epoch)}, log_offset{offset}});
  }
  std::string rest;
  if (in >> rest)
    return corrupt("trailing data");
  if (auto err = check_order(cache.entries_))
    return err;
  return cache;
}

} // namespace cafka
