// The partition log's side of compaction (partition_log.hpp, "for the log cleaner"): the list
// of sealed segments, the cleaner's output segment and its crash-safe installation in place of
// the segments it replaces. The cleaning itself is runtime/storage/log_cleaner.cpp.
#include "runtime/storage/partition_log.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/storage/segment.hpp"
#include "runtime/storage/segment_swap.hpp"

namespace cafka {

caf::expected<std::vector<segment_info>> partition_log::sealed_segments() {
  std::vector<segment_info> out;
  out.reserve(segments_.size() - 1);
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    auto& seg = *segments_[i];
    auto ts = seg.max_timestamp();
    if (!ts)
      return std::move(ts.error());
    out.push_back(segment_info{seg.base_offset(), seg.next_offset(), seg.size(), *ts});
  }
  return out;
}

caf::expected<std::unique_ptr<segment>> partition_log::create_cleaned(log_offset base) {
  return segment::create(env_, dir_, base,
                         segment_config{cfg_.segment_bytes, cfg_.index_interval_bytes},
                         cleaned_suffix);
}

caf::error partition_log::install_cleaned(std::unique_ptr<segment> cleaned,
                                          const std::vector<segment_info>& replaced) {
  auto base = cleaned->base_offset();
  // The replaced segments must still be there, consecutive, sealed and unchanged.
  size_t first = 0;
  while (first < segments_.size() && segments_[first]->base_offset() != replaced.front().base)
    ++first;
  bool same = !replaced.empty() && base == replaced.front().base
              && cleaned->next_offset() <= replaced.back().next
              && first + replaced.size() < segments_.size();
  for (size_t i = 0; same && i < replaced.size(); ++i) {
    auto& seg = *segments_[first + i];
    same = segment_info{seg.base_offset(), seg.next_offset(), seg.size(), -1} == replaced[i];
  }
  if (!same) {
    static_cast<void>(cleaned->remove());
    return make_error(errc::invalid_request,
                      "install cleaned segment " + segment::file_name(base, ".log") + " in "
                        + dir_ + ": the segments it replaces changed");
  }
  auto fail = [&](caf::error err) {
    spdlog::error("partition log {}: cannot install cleaned segment {}: {} (reopen the log)",
                  dir_, segment::file_name(base, ".log"), describe(err));
    return err;
  };
  if (auto err = cleaned->seal(); err || (err = cleaned->flush()) || (err = cleaned->close())) {
    static_cast<void>(cleaned->remove());
    return err;
  }
  cleaned.reset();
  if (auto err = cleaned_to_swap(env_, dir_, base))
    return fail(std::move(err));
  // From here on the replacement is committed: a crash is finished by open().
  std::vector<std::unique_ptr<segment>> old;
  auto begin = segments_.begin() + static_cast<std::ptrdiff_t>(first);
  auto end = begin + static_cast<std::ptrdiff_t>(replaced.size());
  std::move(begin, end, std::back_inserter(old));
  segments_.erase(begin, end);
  for (auto& seg : old)  // oldest first: see "Compaction" in docs/storage-format.md
    if (auto err = seg->remove())
      return fail(std::move(err));
  if (auto err = env_.sync_dir(dir_))
    return fail(std::move(err));
  if (auto err = swap_to_final(env_, dir_, base))
    return fail(std::move(err));
  bool truncated = false;
  auto seg = segment::open(env_, dir_, base,
                           segment_config{cfg_.segment_bytes, cfg_.index_interval_bytes},
                           false, truncated);
  if (!seg)
    return fail(std::move(seg.error()));
  segments_.insert(segments_.begin() + static_cast<std::ptrdiff_t>(first), std::move(*seg));
  return caf::none;
}

} // namespace cafka
