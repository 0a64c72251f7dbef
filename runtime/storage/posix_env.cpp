#include "runtime/storage/posix_env.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "runtime/base/errc.hpp"
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

class posix_file final : public file {
public:
  explicit posix_file(file_handle fh) : file(fh.path()), fh_(std::move(fh)) {}

  caf::error write_at(const void* data, size_t n, uint64_t pos) override {
    return fh_.write_at(data, n, pos);
  }
  caf::error append(const void* data, size_t n) override { return fh_.append(data, n); }
  caf::expected<size_t> read_at(void* data, size_t n, uint64_t pos) const override {
    return fh_.read_at(data, n, pos);
  }
  caf::error sync() override { return fh_.sync(); }
  caf::error truncate(uint64_t size) override { return fh_.truncate(size); }
  caf::expected<uint64_t> size() const override { return fh_.size(); }
  caf::error close() override { return fh_.close(); }
  bool is_open() const override { return fh_.is_open(); }

  caf::expected<std::unique_ptr<mapping>> map(size_t n) override {
    if (n == 0)
      return make_error(errc::storage_error, "mmap " + path() + ": empty mapping");
    void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED, fh_.fd(), 0);
    if (p == MAP_FAILED)
      return storage_error_from("mmap", path(), errno);
    return std::unique_ptr<mapping>{new posix_mapping(static_cast<char*>(p), n, path())};
  }

private:
  file_handle fh_;
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

caf::expected<std::unique_ptr<file>> posix_env::open(const std::string& path, open_mode mode) {
  auto fh = file_handle::open(path, flags_of(mode), 0644);
  if (!fh)
    return std::move(fh.error());
  return std::unique_ptr<file>{new posix_file(std::move(*fh))};
}

caf::error posix_env::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return storage_error_from("rename", from + " to " + to, errno);
  return caf::none;
}

caf::error posix_env::remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return storage_error_from("unlink", path, errno);
  return caf::none;
}

caf::error posix_env::remove_all(const std::string& dir) {
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
