// The storage file-system seam (after LevelDB's Env): partition logs, their indexes, the
// leader-epoch checkpoints and the Raft storage reach the disk only through a storage::env
// handed down by their owner (node supervisor -> broker -> replica -> partition_log ->
// segment). posix_env is the real disk, chaos/faulty_env adds a node's disk faults, tests
// write their own. Contract: docs/storage-env.md. An env is thread-safe; a file, a mapping
// and the objects built on them belong to one owner (thread or actor) at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace cafka::storage {

// How env::open opens a file. Every mode but `read` creates a missing file (mode 0644).
enum class open_mode : uint8_t {
  read,      // an existing file, reads only
  write,     // reads and positioned writes; created empty if absent
  truncate,  // reads and positioned writes; created if absent, emptied if present
  append,    // writes at the end only (append()); created empty if absent
};

// A shared, read-write memory mapping of a file's first size() bytes: stores reach the file
// (msync makes them durable). Unmapped by the destructor; valid after its file is closed.
class mapping {
public:
  virtual ~mapping() = default;

  mapping(const mapping&) = delete;
  mapping& operator=(const mapping&) = delete;

  char* data() const { return data_; }
  size_t size() const { return size_; }

  // Writes the mapped bytes back to the file and waits for the disk (msync MS_SYNC).
  virtual caf::error sync() = 0;

protected:
  mapping(char* data, size_t size) : data_(data), size_(size) {}

private:
  char* data_;   // Invariant: valid for size_ bytes until destruction
  size_t size_;  // > 0
};

// One open file. Every error is errc::storage_error "<op> <path>: <reason>". The destructor
// closes the file and reports nothing (call close() for the error).
class file {
public:
  virtual ~file() = default;

  file(const file&) = delete;
  file& operator=(const file&) = delete;

  const std::string& path() const { return path_; }

  // Writes all n bytes at `pos`. On an error an unknown prefix of them may have been written.
  virtual caf::error write_at(const void* data, size_t n, uint64_t pos) = 0;
  // Writes all n bytes at the end (files opened with open_mode::append).
  virtual caf::error append(const void* data, size_t n) = 0;
  // Reads up to n bytes at `pos`; fewer only at the end of the file.
  virtual caf::expected<size_t> read_at(void* data, size_t n, uint64_t pos) const = 0;
  // Makes every write so far durable (fsync). After an error their durability is unknown.
  virtual caf::error sync() = 0;
  // Sets the file size to `size` (cuts or extends with zeros).
  virtual caf::error truncate(uint64_t size) = 0;
  virtual caf::expected<uint64_t> size() const = 0;
  // Maps the first n bytes (n > 0, within the file size) read-write, shared.
  virtual caf::expected<std::unique_ptr<mapping>> map(size_t n) = 0;
  // Closes the file; a no-op on a closed one. Any other call on a closed file is an error.
  virtual caf::error close() = 0;
  virtual bool is_open() const = 0;

protected:
  explicit file(std::string path) : path_(std::move(path)) {}

private:
  std::string path_;
};

// What list_dir reports for one directory entry.
struct dir_entry {
  std::string name;  // the file name, without the directory
  bool is_dir = false;
  bool is_file = false;  // a regular file; neither for other kinds (links are followed)
};

class env {
public:
  virtual ~env() = default;

  virtual caf::expected<std::unique_ptr<file>> open(const std::string& path, open_mode mode) = 0;
  // rename(2): replaces `to` atomically (files, or empty directories and directories).
  virtual caf::error rename(const std::string& from, const std::string& to) = 0;
  // Unlinks a file; a missing one is not an error.
  virtual caf::error remove(const std::string& path) = 0;
  // Removes a directory and everything in it; a missing one is not an error.
  virtual caf::error remove_all(const std::string& dir) = 0;
  virtual caf::expected<bool> exists(const std::string& path) = 0;
  // Creates `dir` and its missing parents, each made durable (its parent fsynced). An
  // existing directory is fine; an existing non-directory is an error.
  virtual caf::error create_dirs(const std::string& dir) = 0;
  // The entries of `dir` (not . and ..), in no particular order.
  virtual caf::expected<std::vector<dir_entry>> list_dir(const std::string& dir) = 0;
  // Makes the creations, renames and removals in `dir` durable (fsync of the directory).
  virtual caf::error sync_dir(const std::string& dir) = 0;

  // -- helpers built on the primitives above (the same steps for every env) ------------------

  // Replaces `path` atomically with `contents`: writes `path`.tmp, syncs it, renames it over
  // `path`, syncs the directory. After a crash `path` holds the old or the new bytes; after
  // an error it holds the old or the new bytes and no .tmp is left (if removing it works).
  caf::error replace_file(const std::string& path, std::string_view contents);
  // The same steps without either sync: after a killed process `path` holds the old or the
  // new bytes; after a machine crash it may hold the old ones, or bytes that fail the
  // reader's checks. For files whose readers can rebuild what such a crash loses.
  caf::error replace_file_unsynced(const std::string& path, std::string_view contents);
  // The whole file; nullopt if it does not exist.
  caf::expected<std::optional<std::string>> read_file(const std::string& path);

protected:
  env() = default;
};

// The directory part of `path` ("." if it has none).
std::string parent_dir(const std::string& path);

} // namespace cafka::storage
