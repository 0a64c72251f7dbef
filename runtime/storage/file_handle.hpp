// An owned POSIX file descriptor (RAII) with positioned I/O, fsync and truncate: the building
// block of storage::posix_env (runtime/storage/posix_env.hpp), which is what storage code uses.
// Owned by one object at a time (move-only); not thread-safe. Errors are errc::storage_error.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace cafka {

class file_handle {
public:
  file_handle() = default;
  ~file_handle();

  file_handle(file_handle&& other) noexcept;
  file_handle& operator=(file_handle&& other) noexcept;
  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;

  // open(2) with `flags` (O_CLOEXEC is always added); `mode` applies when O_CREAT creates it.
  static caf::expected<file_handle> open(std::string path, int flags, mode_t mode = 0644);

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // Writes all n bytes at `pos` (pwrite, retried on short writes and EINTR).
  caf::error write_at(const void* data, size_t n, uint64_t pos);
  // Writes all n bytes at the current file offset (write; for files opened with O_APPEND).
  caf::error append(const void* data, size_t n);
  // Reads up to n bytes at `pos`; returns fewer only at end of file.
  caf::expected<size_t> read_at(void* data, size_t n, uint64_t pos) const;

  caf::error sync();                   // fsync(2)
  caf::error truncate(uint64_t size);  // ftruncate(2)
  caf::expected<uint64_t> size() const;

  // Closes the descriptor; reports the close(2) error. A no-op on a closed handle.
  caf::error close();

private:
  file_handle(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_ = -1;  // Invariant: -1 or an open descriptor owned by this object
  std::string path_;
};

// file_handle's I/O on a descriptor owned elsewhere (storage::posix_env's files, whose
// descriptor comes and goes, see runtime/storage/file_budget.hpp); `path` names it in errors.
caf::error fd_write_at(int fd, const std::string& path, const void* data, size_t n,
                       uint64_t pos);
caf::error fd_append(int fd, const std::string& path, const void* data, size_t n);
caf::expected<size_t> fd_read_at(int fd, const std::string& path, void* data, size_t n,
                                 uint64_t pos);
caf::error fd_sync(int fd, const std::string& path);
caf::error fd_truncate(int fd, const std::string& path, uint64_t size);
caf::expected<uint64_t> fd_size(int fd, const std::string& path);

// errc::storage_error "<op> <path>: <strerror(err)>".
caf::error storage_error_from(const char* op, const std::string& path, int err);

// storage::posix_env's sync_dir and replace_file, for code outside the storage layer that is
// not handed an env (runtime/replication's producer snapshots, runtime/cluster's metadata file).
// Code that has an env uses the env's.
caf::error fsync_dir(const std::string& dir);
caf::error atomic_replace_file(const std::string& path, std::string_view contents);

} // namespace cafka
