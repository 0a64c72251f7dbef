// The cap on the descriptors that storage files hold (posix_env's files): a file keeps its
// descriptor while it is used and gives it up, least recently used first, when another file
// needs one at the cap; its next use reopens it. Shared by every posix_env of a process
// (process()) or of a test; thread-safe. A file (slot) belongs to one owner at a time.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace cafka::storage {

class file_budget {
public:
  // One file under the budget. Only file_budget reads or writes its fields (under its lock).
  struct slot {
    std::string path;       // where the file is now (renames through the env follow it)
    int flags = 0;          // open(2) flags for a reopen: no O_CREAT, O_TRUNC or O_EXCL
    int fd = -1;            // -1 while evicted
    int in_use = 0;         // acquire() calls not yet released: not evictable while > 0
    bool pinned = false;    // unlinked or replaced: keeps its descriptor until closed
    caf::error gone;        // why a pinned file could not keep its contents (reopen failed)
    std::list<slot*>::iterator lru;  // in lru_ iff fd >= 0 && !pinned
    std::multimap<std::string, slot*>::iterator by_path;
  };

  // cap: the most descriptors storage files hold at once (at least 1).
  explicit file_budget(size_t cap = SIZE_MAX);
  ~file_budget();

  file_budget(const file_budget&) = delete;
  file_budget& operator=(const file_budget&) = delete;

  // The process's budget, posix_env's default: no cap until the node sets one (cafka node
  // sets RLIMIT_NOFILE less the room for connections, see runtime/base/open_files.hpp).
  static const std::shared_ptr<file_budget>& process();

  // Takes effect at the next open or reopen (which evict down to it).
  void set_cap(size_t cap);
  size_t cap() const;
  size_t descriptors() const;  // held by storage files now
  size_t files() const;        // storage files open, with or without a descriptor
  uint64_t reopens() const;    // evicted files opened again, since the start
  uint64_t evictions() const;  // descriptors given up for another file, since the start

  // Opens `path` now (open(2) with `flags` | O_CLOEXEC and `mode`), evicting idle files at
  // the cap. Errors are errc::storage_error "open <path>: <reason>"; at the cap with every
  // file in use, the reason says so.
  caf::expected<std::unique_ptr<slot>> open(const std::string& path, int flags, mode_t mode);
  // The descriptor of `s`, reopened if evicted; `s` keeps it until release(s).
  caf::expected<int> acquire(slot& s);
  void release(slot& s);
  // Closes `s` (if it holds a descriptor) and forgets it; reports close(2)'s error.
  caf::error close(slot& s);

  // The env is about to unlink `path` (or, recursive, everything under it): files open there
  // keep their descriptors (reopened now if evicted), as an unlinked open file keeps its data.
  void unlinking(const std::string& path, bool recursive);
  // `from` was renamed to `to`: files at or under `from` now reopen at or under `to`.
  void renamed(const std::string& from, const std::string& to);

private:
  // Requires: mu_ held. Gives up the least recently used idle descriptor; false if none.
  bool evict_one();
  // Requires: mu_ held. open(2) within the cap, evicting as needed (also on EMFILE/ENFILE).
  caf::expected<int> open_fd(const std::string& path, int flags, mode_t mode);
  // Requires: mu_ held. Reopens an evicted slot.
  caf::error reopen(slot& s);
  void touch(slot& s);  // Requires: mu_ held. Most recently used.

  mutable std::mutex mu_;
  size_t cap_;                          // Invariant: >= 1
  size_t descriptors_ = 0;              // slots with fd >= 0
  std::list<slot*> lru_;                // idle-evictable slots, most recently used first
  std::multimap<std::string, slot*> by_path_;  // every open slot, by its path
  uint64_t reopens_ = 0;
  uint64_t evictions_ = 0;
};

} // namespace cafka::storage
