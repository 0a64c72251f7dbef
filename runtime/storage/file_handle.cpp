#include "runtime/storage/file_handle.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "runtime/base/errc.hpp"
#include "runtime/storage/posix_env.hpp"

namespace cafka {

caf::error storage_error_from(const char* op, const std::string& path, int err) {
  return make_error(errc::storage_error,
                    std::string{op} + " " + path + ": " + std::strerror(err));
}

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

caf::error fd_write_at(int fd, const std::string& path, const void* data, size_t n,
                       uint64_t pos) {
  auto p = static_cast<const char*>(data);
  while (n > 0) {
    auto k = ::pwrite(fd, p, n, static_cast<off_t>(pos));
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return storage_error_from("pwrite", path, errno);
    }
    p += k;
    n -= static_cast<size_t>(k);
    pos += static_cast<uint64_t>(k);
  }
  return caf::none;
}

caf::error fd_append(int fd, const std::string& path, const void* data, size_t n) {
  auto p = static_cast<const char*>(data);
  while (n > 0) {
    auto k = ::write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return storage_error_from("write", path, errno);
    }
    p += k;
    n -= static_cast<size_t>(k);
  }
  return caf::none;
}

caf::expected<size_t> fd_read_at(int fd, const std::string& path, void* data, size_t n,
                                 uint64_t pos) {
  auto p = static_cast<char*>(data);
  size_t done = 0;
  while (done < n) {
    auto k = ::pread(fd, p + done, n - done, static_cast<off_t>(pos + done));
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return storage_error_from("pread", path, errno);
    }
    if (k == 0)
      break;  // end of file
    done += static_cast<size_t>(k);
  }
  return done;
}

caf::error fd_sync(int fd, const std::string& path) {
  if (::fsync(fd) != 0)
    return storage_error_from("fsync", path, errno);
  return caf::none;
}

caf::error fd_truncate(int fd, const std::string& path, uint64_t size) {
  int rc;
  do {
    rc = ::ftruncate(fd, static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0)
    return storage_error_from("ftruncate", path, errno);
  return caf::none;
}

caf::expected<uint64_t> fd_size(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return storage_error_from("fstat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

caf::error file_handle::write_at(const void* data, size_t n, uint64_t pos) {
  return fd_write_at(fd_, path_, data, n, pos);
}

caf::error file_handle::append(const void* data, size_t n) {
  return fd_append(fd_, path_, data, n);
}

caf::expected<size_t> file_handle::read_at(void* data, size_t n, uint64_t pos) const {
  return fd_read_at(fd_, path_, data, n, pos);
}

caf::error file_handle::sync() {
  return fd_sync(fd_, path_);
}

caf::error file_handle::truncate(uint64_t size) {
  return fd_truncate(fd_, path_, size);
}

caf::expected<uint64_t> file_handle::size() const {
  return fd_size(fd_, path_);
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
  return storage::posix_env{}.sync_dir(dir);
}

caf::error atomic_replace_file(const std::string& path, std::string_view contents) {
  return storage::posix_env{}.replace_file(path, contents);
}

} // namespace cafka
