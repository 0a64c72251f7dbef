#include "runtime/storage/env.hpp"

#include <filesystem>
#include <utility>

#include "runtime/base/errc.hpp"

namespace cafka::storage {

std::string parent_dir(const std::string& path) {
  auto parent = std::filesystem::path{path}.parent_path().string();
  return parent.empty() ? std::string{"."} : parent;
}

namespace {

// Writes `path`.tmp, renames it over `path`; with `synced`, fsyncs the file before the rename
// and the directory after it. No .tmp is left after an error (if removing it works).
caf::error replace(env& disk, const std::string& path, std::string_view contents,
                   bool synced) {
  auto tmp = path + ".tmp";
  auto written = [&]() -> caf::error {
    auto f = disk.open(tmp, open_mode::truncate);
    if (!f)
      return std::move(f.error());
    if (auto err = (*f)->write_at(contents.data(), contents.size(), 0))
      return err;
    if (synced) {
      if (auto err = (*f)->sync())
        return err;
    }
    return (*f)->close();
  }();
  if (!written)
    written = disk.rename(tmp, path);
  if (written) {
    static_cast<void>(disk.remove(tmp));
    return written;
  }
  return synced ? disk.sync_dir(parent_dir(path)) : caf::error{};
}

} // namespace

caf::error env::replace_file(const std::string& path, std::string_view contents) {
  return replace(*this, path, contents, true);
}

caf::error env::replace_file_unsynced(const std::string& path, std::string_view contents) {
  return replace(*this, path, contents, false);
}

caf::expected<std::optional<std::string>> env::read_file(const std::string& path) {
  auto there = exists(path);
  if (!there)
    return std::move(there.error());
  if (!*there)
    return std::optional<std::string>{};
  auto f = open(path, open_mode::read);
  if (!f)
    return std::move(f.error());
  auto size = (*f)->size();
  if (!size)
    return std::move(size.error());
  std::string bytes(static_cast<size_t>(*size), '\0');
  auto n = (*f)->read_at(bytes.data(), bytes.size(), 0);
  if (!n)
    return std::move(n.error());
  bytes.resize(*n);
  return std::optional<std::string>{std::move(bytes)};
}

} // namespace cafka::storage
