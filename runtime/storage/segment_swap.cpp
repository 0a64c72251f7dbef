#include "runtime/storage/segment_swap.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/storage/segment.hpp"

namespace cafka {

namespace {

constexpr const char* exts[] = {".index", ".timeindex", ".log"};  // the log last

std::string path_of(const std::string& dir, log_offset base, const char* ext,
                    const std::string& suffix = {}) {
  return (std::filesystem::path{dir} / (segment::file_name(base, ext) + suffix)).string();
}

// Renames <base><ext><from> to <base><ext><to> for each ext in `order` whose file exists;
// the .log must exist (errc::storage_error, nothing renamed after it, if it does not: say the
// log was reopened under a cleaner, which removed its .cleaned files).
caf::error rename_all(storage::env& env, const std::string& dir, log_offset base,
                      const std::vector<const char*>& order, const std::string& from,
                      const std::string& to) {
  for (auto ext : order) {
    auto src = path_of(dir, base, ext, from);
    auto there = env.exists(src);
    if (!there)
      return std::move(there.error());
    if (!*there && std::string_view{ext} == ".log")
      return make_error(errc::storage_error, "rename " + src + ": the file is missing");
    if (!*there)
      continue;
    if (auto err = env.rename(src, path_of(dir, base, ext, to)))
      return err;
  }
  return env.sync_dir(dir);
}

// The offset after the last batch of the .log at `path` (`base` if it has none), by a walk of
// the batch headers.
caf::expected<log_offset> end_offset_of(storage::env& env, const std::string& path,
                                        log_offset base) {
  auto f = env.open(path, storage::open_mode::read);
  if (!f)
    return std::move(f.error());
  auto size = (*f)->size();
  if (!size)
    return std::move(size.error());
  auto end = base;
  char hdr[batch_header_size];
  for (uint64_t pos = 0; pos < *size;) {
    auto got = (*f)->read_at(hdr, batch_header_size, pos);
    if (!got)
      return std::move(got.error());
    batch_header h;
    if (*got < batch_header_size || !read_batch_header(hdr, *got, h)
        || h.batch_length < segment::min_batch_length || h.total_size() > *size - pos
        || h.last_offset_delta < 0 || h.base() < end)
      return make_error(errc::corrupt_message,
                        path + ": bad batch header at position " + std::to_string(pos));
    end = h.next_offset();
    pos += h.total_size();
  }
  return end;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

caf::error cleaned_to_swap(storage::env& env, const std::string& dir, log_offset base) {
  return rename_all(env, dir, base, {".index", ".timeindex", ".log"}, cleaned_suffix,
                    swap_suffix);
}

caf::error swap_to_final(storage::env& env, const std::string& dir, log_offset base) {
  return rename_all(env, dir, base, {".log", ".index", ".timeindex"}, swap_suffix, "");
}

void remove_cleaned(storage::env& env, const std::string& dir, log_offset base) {
  for (auto ext : exts)
    static_cast<void>(env.remove(path_of(dir, base, ext, cleaned_suffix)));
}

caf::expected<bool> recover_swap_files(storage::env& env, const std::string& dir) {
  auto entries = env.list_dir(dir);
  if (!entries)
    return std::move(entries.error());
  std::vector<log_offset> swaps;     // bases of the .log.swap files
  std::vector<log_offset> segments;  // bases with a .log, .index or .timeindex file
  std::vector<std::string> cleaned;
  std::vector<std::pair<log_offset, const char*>> index_swaps;
  for (auto& e : *entries) {
    if (!e.is_file)
      continue;
    if (ends_with(e.name, cleaned_suffix))
      cleaned.push_back(e.name);
    if (auto b = segment::parse_file_name(e.name, std::string{".log"} + swap_suffix))
      swaps.push_back(*b);
    for (auto ext : {".index", ".timeindex"})
      if (auto b = segment::parse_file_name(e.name, ext + std::string{swap_suffix}))
        index_swaps.emplace_back(*b, ext);
    for (auto ext : exts)
      if (auto b = segment::parse_file_name(e.name, ext))
        segments.push_back(*b);
  }
  bool changed = false;
  auto remove = [&](const std::string& path) -> caf::error {
    auto there = env.exists(path);
    if (!there)
      return std::move(there.error());
    if (!*there)
      return caf::none;
    changed = true;
    return env.remove(path);
  };
  for (auto& name : cleaned) {
    spdlog::warn("partition log {}: removed unfinished cleaner output {}", dir, name);
    if (auto err = remove((std::filesystem::path{dir} / name).string()))
      return err;
  }
  std::sort(segments.begin(), segments.end());
  segments.erase(std::unique(segments.begin(), segments.end()), segments.end());
  for (auto base : swaps) {
    auto end = end_offset_of(env, path_of(dir, base, ".log", swap_suffix), base);
    if (!end)
      return std::move(end.error());
    for (auto b : segments) {
      if (b < base || (b >= *end && b != base))
        continue;
      for (auto ext : exts)
        if (auto err = remove(path_of(dir, b, ext)))
          return err;
    }
    if (auto err = env.sync_dir(dir))
      return err;
    // The index files first: the log's .swap is what marks the replacement as unfinished.
    if (auto err = rename_all(env, dir, base, {".index", ".timeindex", ".log"}, swap_suffix, ""))
      return err;
    changed = true;
    spdlog::warn("partition log {}: completed the interrupted replacement of segments in [{}, "
                 "{}) by cleaned segment {}",
                 dir, to_string(base), to_string(*end), segment::file_name(base, ".log"));
  }
  // Index .swap files whose log was renamed already (or never got its .swap): the segment's
  // open rebuilds the index instead.
  for (auto& [base, ext] : index_swaps)
    if (std::find(swaps.begin(), swaps.end(), base) == swaps.end())
      if (auto err = remove(path_of(dir, base, ext, swap_suffix)))
        return err;
  if (changed) {
    if (auto err = env.sync_dir(dir))
      return err;
  }
  return changed;
}

} // namespace cafka
