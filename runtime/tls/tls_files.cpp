#include "runtime/tls/tls_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "runtime/storage/file_handle.hpp"
#include "runtime/storage/posix_env.hpp"

namespace cafka::tls {

namespace {

std::string parent_of(const std::string& path) {
  auto p = std::filesystem::path{path}.lexically_normal();
  if (!p.has_filename())
    p = p.parent_path();
  auto parent = p.parent_path().string();
  return parent.empty() ? "." : parent;
}

caf::error write_new_file(const std::string& path, std::string_view contents, mode_t mode) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return storage_error_from("unlink", path, errno);
  auto f = file_handle::open(path, O_CREAT | O_EXCL | O_WRONLY, mode);
  if (!f)
    return std::move(f.error());
  // The umask may have taken bits away: set exactly `mode`.
  if (::fchmod(f->fd(), mode) != 0)
    return storage_error_from("chmod", path, errno);
  if (auto err = f->write_at(contents.data(), contents.size(), 0))
    return err;
  if (auto err = f->sync())
    return err;
  return f->close();
}

} // namespace

caf::error make_private_dir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec))
    return caf::none;
  auto parent = parent_of(dir);
  if (auto err = storage::posix_env{}.create_dirs(parent))
    return err;
  if (::mkdir(dir.c_str(), private_dir_mode) != 0)
    return storage_error_from("mkdir", dir, errno);
  if (::chmod(dir.c_str(), private_dir_mode) != 0)
    return storage_error_from("chmod", dir, errno);
  return fsync_dir(parent);
}

caf::error write_file_atomically(const std::string& path, std::string_view contents,
                                 mode_t mode) {
  auto tmp = path + ".tmp";
  auto err = write_new_file(tmp, contents, mode);
  if (!err && ::rename(tmp.c_str(), path.c_str()) != 0)
    err = storage_error_from("rename", tmp + " to " + path, errno);
  if (err) {
    ::unlink(tmp.c_str());
    return err;
  }
  return fsync_dir(parent_of(path));
}

} // namespace cafka::tls
