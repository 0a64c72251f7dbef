#include "runtime/storage/posix_env.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "runtime/base/errc.hpp"
#include "runtime/storage/file_budget.hpp"
#include "runtime/storage/file_handle.hpp"

namespace cafka::storage {

namespace {

namespace fs = std::filesystem;

class posix_mapping final : public mapping {
public:
  posix_mapping(char* data, size_t size, std::string path)
    : mapping(data, size), path_(std::move(path)) {
  }
  ~posix_mapping() override { ::munmap(data(), size()); }

  caf::error sync() override {
    if (::msync(data(), size(), MS_SYNC) != 0)
      return storage_error_from("msync", path_, errno);
    return caf::none;
  }

private:
  std::string path_;
};

// A file whose descriptor the budget may take back while it is idle: every call holds it
// (reopened if it was taken) for the call's duration only.
class posix_file final : public file {
public:
  posix_file(std::string path, std::shared_ptr<file_budget> budget,
             std::unique_ptr<file_budget::slot> slot)
    : file(std::move(path)), budget_(std::move(budget)), slot_(std::move(slot)) {
  }
  ~posix_file() override { static_cast<void>(close()); }

  caf::error write_at(const void* data, size_t n, uint64_t pos) override {
    return with_fd([&](int fd) { return fd_write_at(fd, path(), data, n, pos); });
  }
  caf::error append(const void* data, size_t n) override {
    return with_fd([&](int fd) { return fd_append(fd, path(), data, n); });
  }
  caf::expected<size_t> read_at(void* data, size_t n, uint64_t pos) const override {
    return with_fd([&](int fd) { return fd_read_at(fd, path(), data, n, pos); });
  }
  caf::error sync() override {
    return with_fd([&](int fd) { return fd_sync(fd, path()); });
  }
  caf::error truncate(uint64_t size) override {
    return with_fd([&](int fd) { return fd_truncate(fd, path(), size); });
  }
  caf::expected<uint64_t> size() const override {
    return with_fd([&](int fd) { return fd_size(fd, path()); });
  }
  caf::error close() override {
    if (!slot_)
      return caf::none;
    auto err = budget_->close(*slot_);
    slot_.reset();
    return err;
  }
  bool is_open() const override { return slot_ != nullptr; }

  caf::expected<std::unique_ptr<mapping>> map(size_t n) override {
    if (n == 0)
      return make_error(errc::storage_error, "mmap " + path() + ": empty mapping");
    return with_fd([&](int fd) -> caf::expected<std::unique_ptr<mapping>> {
      void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (p == MAP_FAILED)
        return storage_error_from("mmap", path(), errno);
      // The mapping outlives the descriptor: an evicted file's mapping stays valid.
      return std::unique_ptr<mapping>{new posix_mapping(static_cast<char*>(p), n, path())};
    });
  }

private:
  // f(fd) with the file's descriptor held; its result, or why there is no descriptor.
  template <class F>
  auto with_fd(F f) const -> decltype(f(0)) {
    if (!slot_)
      return storage_error_from("use", path(), EBADF);  // closed
    auto fd = budget_->acquire(*slot_);
    if (!fd)
      return std::move(fd.error());
    auto result = f(*fd);
    budget_->release(*slot_);
    return result;
  }

  std::shared_ptr<file_budget> budget_;        // Invariant: not null
  std::unique_ptr<file_budget::slot> slot_;    // null once closed
};

int flags_of(open_mode mode) {
  switch (mode) {
    case open_mode::read: return O_RDONLY;
    case open_mode::write: return O_RDWR | O_CREAT;
    case open_mode::truncate: return O_RDWR | O_CREAT | O_TRUNC;
    case open_mode::append: return O_WRONLY | O_CREAT | O_APPEND;
  }
  return O_RDONLY;
}

} // namespace

posix_env::posix_env(std::shared_ptr<file_budget> budget) : budget_(std::move(budget)) {
  if (!budget_)
    budget_ = file_budget::process();
}

caf::expected<std::unique_ptr<file>> posix_env::open(const std::string& path, open_mode mode) {
  auto slot = budget_->open(path, flags_of(mode), 0644);
  if (!slot)
    return std::move(slot.error());
  return std::unique_ptr<file>{new posix_file(path, budget_, std::move(*slot))};
}

caf::error posix_env::rename(const std::string& from, const std::string& to) {
  budget_->unlinking(to, true);  // files open at `to` keep what they had
  if (::rename(from.c_str(), to.c_str()) != 0)
    return storage_error_from("rename", from + " to " + to, errno);
  budget_->renamed(from, to);
  return caf::none;
}

caf::error posix_env::remove(const std::string& path) {
  budget_->unlinking(path, false);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return storage_error_from("unlink", path, errno);
  return caf::none;
}

caf::error posix_env::remove_all(const std::string& dir) {
  budget_->unlinking(dir, true);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec)
    return storage_error_from("remove", dir, ec.value());
  return caf::none;
}

caf::expected<bool> posix_env::exists(const std::string& path) {
  std::error_code ec;
  bool there = fs::exists(path, ec);
  if (ec)
    return storage_error_from("stat", path, ec.value());
  return there;
}

caf::error posix_env::create_dirs(const std::string& dir) {
  std::error_code ec;
  // The directories about to be created, deepest first: each new one gets its parent fsynced.
  std::vector<fs::path> created;
  auto p = fs::absolute(fs::path{dir}, ec).lexically_normal();
  if (ec)
    return storage_error_from("stat", dir, ec.value());
  if (!p.has_filename())
    p = p.parent_path();
  for (; p != p.parent_path() && !fs::exists(p, ec); p = p.parent_path())
    created.push_back(p);
  fs::create_directories(dir, ec);
  if (ec)
    return storage_error_from("mkdir", dir, ec.value());
  if (!fs::is_directory(dir, ec))
    return storage_error_from("mkdir", dir, ENOTDIR);
  for (auto i = created.rbegin(); i != created.rend(); ++i)
    if (auto err = sync_dir(i->parent_path().string()))
      return err;
  return caf::none;
}

caf::expected<std::vector<dir_entry>> posix_env::list_dir(const std::string& dir) {
  std::vector<dir_entry> out;
  std::error_code ec;
  for (fs::directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    dir_entry e;
    e.name = it->path().filename().string();
    e.is_dir = it->is_directory(ec2);
    e.is_file = !e.is_dir && it->is_regular_file(ec2);
    out.push_back(std::move(e));
  }
  if (ec)
    return storage_error_from("list", dir, ec.value());
  return out;
}

caf::error posix_env::sync_dir(const std::string& dir) {
  auto f = file_handle::open(dir, O_RDONLY | O_DIRECTORY);
  if (!f)
    return std::move(f.error());
  if (auto err = f->sync())
    return err;
  return f->close();
}

} // namespace cafka::storage
