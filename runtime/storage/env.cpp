#include "runtime/storage/env.hpp"

#include <filesystem>
#include <utility>

#include "runtime/base/errc.hpp"

namespace cafka::storage {

std::string parent_dir(const std::string& path) {
  auto parent = std::filesystem::path{path}.parent_path().string();
  return parent.empty() ? std::string{"."} : parent;
}

caf::error env::replace_file(const std::string& path, std::string_view contents) {
  auto tmp = path + ".tmp";
  auto written = [&]() -> caf::error {
    auto f = open(tmp, open_mode::truncate);
    if (!f)
      return std::move(f.error());
    if (auto err = (*f)->write_at(contents.data(), contents.size(), 0))
      return err;
    if (auto err = (*f)->sync())
      return err;
    return (*f)->close();
  }();
  if (!written)
    written = rename(tmp, path);
  if (written) {
    static_cast<void>(remove(tmp));
    return written;
  }
  return sync_dir(parent_dir(path));
}

caf::error env::replace_file_unsynced(const std::string& path, std::string_view contents) {
  auto tmp = path + ".tmp";
  auto f = open(tmp, open_mode::truncate);
  if (!f)
    return std::move(f.error());
  auto err = (*f)->write_at(contents.data(), contents.size(), 0);
  auto closed = (*f)->close();
  if (!err)
    err = std::move(closed);
  if (!err)
    err = rename(tmp, path);
  if (err)
    static_cast<void>(remove(tmp));
  return err;
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
