#include "runtime/storage/file_budget.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/storage/file_handle.hpp"

namespace cafka::storage {

namespace {

// Whether `path` is `base` or lies under the directory `base`.
bool at_or_under(const std::string& path, const std::string& base) {
  return path.compare(0, base.size(), base) == 0
         && (path.size() == base.size() || path[base.size()] == '/');
}

} // namespace

file_budget::file_budget(size_t cap) : cap_(std::max<size_t>(cap, 1)) {
}

file_budget::~file_budget() = default;

const std::shared_ptr<file_budget>& file_budget::process() {
  static const auto instance = std::make_shared<file_budget>();
  return instance;
}

void file_budget::set_cap(size_t cap) {
  std::lock_guard<std::mutex> guard{mu_};
  cap_ = std::max<size_t>(cap, 1);
}

size_t file_budget::cap() const {
  std::lock_guard<std::mutex> guard{mu_};
  return cap_;
}

size_t file_budget::descriptors() const {
  std::lock_guard<std::mutex> guard{mu_};
  return descriptors_;
}

size_t file_budget::files() const {
  std::lock_guard<std::mutex> guard{mu_};
  return by_path_.size();
}

uint64_t file_budget::reopens() const {
  std::lock_guard<std::mutex> guard{mu_};
  return reopens_;
}

uint64_t file_budget::evictions() const {
  std::lock_guard<std::mutex> guard{mu_};
  return evictions_;
}

bool file_budget::evict_one() {
  for (auto i = lru_.rbegin(); i != lru_.rend(); ++i) {
    auto& s = **i;
    if (s.in_use > 0)
      continue;
    // Closing without fsync loses nothing: the written pages stay in the page cache, an
    // fsync through the next descriptor writes them (fsync is per inode), and a writeback
    // error no descriptor has seen yet is reported to the next one that syncs.
    ::close(s.fd);
    s.fd = -1;
    lru_.erase(std::next(i).base());
    --descriptors_;
    ++evictions_;
    return true;
  }
  return false;
}

caf::expected<int> file_budget::open_fd(const std::string& path, int flags, mode_t mode) {
  while (descriptors_ >= cap_)
    if (!evict_one())
      return make_error(errc::storage_error,
                        "open " + path + ": no file descriptor left for storage: all "
                          + std::to_string(descriptors_) + " of the node's "
                          + std::to_string(cap_)
                          + " are in use (raise `ulimit -n` or host fewer partitions)");
  for (;;) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) {
      ++descriptors_;
      return fd;
    }
    if (errno == EINTR)
      continue;
    // The process ran out elsewhere (sockets): storage gives up an idle file, not the call.
    if ((errno == EMFILE || errno == ENFILE) && evict_one())
      continue;
    return storage_error_from("open", path, errno);
  }
}

caf::expected<std::unique_ptr<file_budget::slot>>
file_budget::open(const std::string& path, int flags, mode_t mode) {
  std::lock_guard<std::mutex> guard{mu_};
  auto fd = open_fd(path, flags, mode);
  if (!fd)
    return std::move(fd.error());
  auto s = std::make_unique<slot>();
  s->path = path;
  s->flags = flags & ~(O_CREAT | O_TRUNC | O_EXCL);
  s->fd = *fd;
  s->lru = lru_.insert(lru_.begin(), s.get());
  s->by_path = by_path_.emplace(path, s.get());
  return s;
}

caf::error file_budget::reopen(slot& s) {
  if (s.gone)
    return s.gone;
  // No O_CREAT: a file that vanished behind the env's back is an error, not a new file.
  auto fd = open_fd(s.path, s.flags, 0);
  if (!fd)
    return std::move(fd.error());
  s.fd = *fd;
  ++reopens_;
  if (!s.pinned)
    s.lru = lru_.insert(lru_.begin(), &s);
  return caf::none;
}

void file_budget::touch(slot& s) {
  if (!s.pinned && s.fd >= 0 && s.lru != lru_.begin())
    lru_.splice(lru_.begin(), lru_, s.lru);
}

caf::expected<int> file_budget::acquire(slot& s) {
  std::lock_guard<std::mutex> guard{mu_};
  if (s.fd < 0)
    if (auto err = reopen(s))
      return err;
  ++s.in_use;
  touch(s);
  return s.fd;
}

void file_budget::release(slot& s) {
  std::lock_guard<std::mutex> guard{mu_};
  --s.in_use;
}

caf::error file_budget::close(slot& s) {
  std::lock_guard<std::mutex> guard{mu_};
  by_path_.erase(s.by_path);
  if (s.fd < 0)
    return caf::none;
  if (!s.pinned)
    lru_.erase(s.lru);
  --descriptors_;
  auto fd = std::exchange(s.fd, -1);
  // Linux closes the descriptor even when close(2) fails: never retry.
  if (::close(fd) != 0)
    return storage_error_from("close", s.path, errno);
  return caf::none;
}

void file_budget::unlinking(const std::string& path, bool recursive) {
  std::lock_guard<std::mutex> guard{mu_};
  for (auto i = by_path_.lower_bound(path);
       i != by_path_.end() && i->first.compare(0, path.size(), path) == 0; ++i) {
    if (!(recursive ? at_or_under(i->first, path) : i->first == path))
      continue;
    auto& s = *i->second;
    if (s.pinned)
      continue;
    if (s.fd >= 0)
      lru_.erase(s.lru);
    s.pinned = true;
    // Pinned files may go beyond the cap: they are few (deletions under way).
    if (s.fd < 0)
      if (auto err = reopen(s))
        s.gone = std::move(err);
  }
}

void file_budget::renamed(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> guard{mu_};
  std::vector<slot*> moved;
  for (auto i = by_path_.lower_bound(from);
       i != by_path_.end() && i->first.compare(0, from.size(), from) == 0;) {
    if (at_or_under(i->first, from)) {
      moved.push_back(i->second);
      i = by_path_.erase(i);
    } else {
      ++i;
    }
  }
  for (auto* s : moved) {
    s->path = to + s->path.substr(from.size());
    s->by_path = by_path_.emplace(s->path, s);
  }
}

} // namespace cafka::storage
