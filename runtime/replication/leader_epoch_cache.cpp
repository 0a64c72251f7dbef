#include "runtime/replication/leader_epoch_cache.hpp"

#include <cassert>
#include <sstream>

#include "runtime/base/errc.hpp"

namespace cafka {

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
  std::ostringstream out;
  out << "0\n" << entries_.size() << "\n";
  for (auto& e : entries_)
    out << e.epoch.value << " " << e.start_offset.value << "\n";
  return out.str();
}

caf::expected<leader_epoch_cache> leader_epoch_cache::parse(const std::string& text) {
  std::istringstream in{text};
  int version = -1;
  long long count = -1;
  if (!(in >> version) || version != 0)
    return make_error(errc::corrupt_message, "leader-epoch-checkpoint: unknown version");
  if (!(in >> count) || count < 0)
    return make_error(errc::corrupt_message, "leader-epoch-checkpoint: bad entry count");
  leader_epoch_cache cache;
  for (long long i = 0; i < count; ++i) {
    long long epoch = -1;
    long long offset = -1;
    if (!(in >> epoch >> offset) || epoch < 0 || offset < 0)
      return make_error(errc::corrupt_message,
                        "leader-epoch-checkpoint: bad entry " + std::to_string(i));
    auto& es = cache.entries_;
    if (!es.empty() && (epoch <= es.back().epoch.value || offset < es.back().start_offset.value))
      return make_error(errc::corrupt_message,
                        "leader-epoch-checkpoint: entries out of order at " + std::to_string(i));
    es.push_back({leader_epoch{static_cast<int32_t>(epoch)}, log_offset{offset}});
  }
  std::string rest;
  if (in >> rest)
    return make_error(errc::corrupt_message, "leader-epoch-checkpoint: trailing data");
  return cache;
}

} // namespace cafka
