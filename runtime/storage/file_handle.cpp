#include "runtime/storage/file_handle.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

#include "runtime/base/errc.hpp"
#include "runtime/chaos/fault_table.hpp"

namespace cafka {

caf::error storage_error_from(const char* op, const std::string& path, int err) {
  return make_error(errc::storage_error,
                    std::string{op} + " " + path + ": " + std::strerror(err));
}

namespace {

// The injected disk fault (cafka chaos disk) this operation meets, after sleeping out a slow
// disk's delay; 0 when there is none.
int injected(disk_op op, const std::string& path) {
  auto& table = fault_table::instance();
  if (table.disk_empty())
    return 0;
  auto d = table.decide_disk(op, path);
  if (d.delay.count() > 0)
    std::this_thread::sleep_for(d.delay);
  return d.error;
}

} // namespace

file_handle::~file_handle() {
  if (fd_ >= 0)
    ::close(fd_);
}

file_handle::file_handle(file_handle&& other) noexcept
  : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {
}

file_handle& file_handle::operator=(file_handle&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

caf::expected<file_handle> file_handle::open(std::string path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return storage_error_from("open", path, errno);
  return file_handle{fd, std::move(path)};
}

caf::error file_handle::write_at(const void* data, size_t n, uint64_t pos) {
  auto p = static_cast<const char*>(data);
  if (auto e = injected(disk_op::write, path_)) {
    // A disk that fills up mid-write leaves a torn tail behind.
    static_cast<void>(::pwrite(fd_, p, n / 2, static_cast<off_t>(pos)));
    return storage_error_from("pwrite", path_, e);
  }
  while (n > 0) {
    auto k = ::pwrite(fd_, p, n, static_cast<off_t>(pos));
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return storage_error_from("pwrite", path_, errno);
    }
    p += k;
    n -= static_cast<size_t>(k);
    pos += static_cast<uint64_t>(k);
  }
  return caf::none;
}

caf::error file_handle::append(const void* data, size_t n) {
  auto p = static_cast<const char*>(data);
  if (auto e = injected(disk_op::write, path_)) {
    static_cast<void>(::write(fd_, p, n / 2));
    return storage_error_from("write", path_, e);
  }
  while (n > 0) {
    auto k = ::write(fd_, p, n);
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return storage_error_from("write", path_, errno);
    }
    p += k;
    n -= static_cast<size_t>(k);
  }
  return caf::none;
}

caf::expected<size_t> file_handle::read_at(void* data, size_t n, uint64_t pos) const {
  auto p = static_cast<char*>(data);
  size_t done = 0;
  while (done < n) {
    auto k = ::pread(fd_, p + done, n - done, static_cast<off_t>(pos + done));
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return storage_error_from("pread", path_, errno);
    }
    if (k == 0)
      break;  // end of file
    done += static_cast<size_t>(k);
  }
  return done;
}

caf::error file_handle::sync() {
  if (auto e = injected(disk_op::fsync, path_))
    return storage_error_from("fsync", path_, e);
  if (::fsync(fd_) != 0)
    return storage_error_from("fsync", path_, errno);
  return caf::none;
}

caf::error file_handle::truncate(uint64_t size) {
  int rc;
  do {
    rc = ::ftruncate(fd_, static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0)
    return storage_error_from("ftruncate", path_, errno);
  return caf::none;
}

caf::expected<uint64_t> file_handle::size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0)
    return storage_error_from("fstat", path_, errno);
  return static_cast<uint64_t>(st.st_size);
}

caf::error file_handle::close() {
  if (fd_ < 0)
    return caf::none;
  auto fd = std::exchange(fd_, -1);
  // Linux closes the descriptor even when close(2) fails: never retry.
  if (::close(fd) != 0)
    return storage_error_from("close", path_, errno);
  return caf::none;
}

caf::error fsync_dir(const std::string& dir) {
  auto f = file_handle::open(dir, O_RDONLY | O_DIRECTORY);
  if (!f)
    return std::move(f.error());
  if (auto err = f->sync())
    return err;
  return f->close();
}

caf::error atomic_replace_file(const std::string& path, std::string_view contents) {
  auto tmp = path + ".tmp";
  {
    auto f = file_handle::open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!f)
      return std::move(f.error());
    caf::error err = f->write_at(contents.data(), contents.size(), 0);
    if (!err)
      err = f->sync();
    if (!err)
      err = f->close();
    if (err) {
      ::unlink(tmp.c_str());
      return err;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = errno;
    ::unlink(tmp.c_str());
    return storage_error_from("rename", tmp, e);
  }
  auto parent = std::filesystem::path{path}.parent_path().string();
  return fsync_dir(parent.empty() ? std::string{"."} : parent);
}

} // namespace cafka
