#include "runtime/chaos/faulty_env.hpp"

#include <cassert>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "runtime/storage/file_handle.hpp"

namespace cafka {

namespace {

using storage::file;
using storage::mapping;

class faulty_mapping final : public mapping {
public:
  faulty_mapping(std::unique_ptr<mapping> inner, faulty_env& env, std::string path)
    : mapping(inner->data(), inner->size()), inner_(std::move(inner)), env_(env),
      path_(std::move(path)) {
  }

  caf::error sync() override {
    if (auto e = env_.meet(disk_op::fsync, path_))
      return storage_error_from("msync", path_, e);
    return inner_->sync();
  }

private:
  std::unique_ptr<mapping> inner_;
  faulty_env& env_;  // Requires: outlives the mapping (the env outlives what it opened)
  std::string path_;
};

class faulty_file final : public file {
public:
  faulty_file(std::unique_ptr<file> inner, faulty_env& env)
    : file(inner->path()), inner_(std::move(inner)), env_(env) {
  }

  caf::error write_at(const void* data, size_t n, uint64_t pos) override {
    if (auto e = env_.meet(disk_op::write, path())) {
      static_cast<void>(inner_->write_at(data, n / 2, pos));
      return storage_error_from("pwrite", path(), e);
    }
    return inner_->write_at(data, n, pos);
  }

  caf::error append(const void* data, size_t n) override {
    if (auto e = env_.meet(disk_op::write, path())) {
      static_cast<void>(inner_->append(data, n / 2));
      return storage_error_from("write", path(), e);
    }
    return inner_->append(data, n);
  }

  caf::expected<size_t> read_at(void* data, size_t n, uint64_t pos) const override {
    return inner_->read_at(data, n, pos);
  }

  caf::error sync() override {
    if (auto e = env_.meet(disk_op::fsync, path()))
      return storage_error_from("fsync", path(), e);
    return inner_->sync();
  }

  caf::error truncate(uint64_t size) override { return inner_->truncate(size); }
  caf::expected<uint64_t> size() const override { return inner_->size(); }

  caf::expected<std::unique_ptr<mapping>> map(size_t n) override {
    auto m = inner_->map(n);
    if (!m)
      return std::move(m.error());
    return std::unique_ptr<mapping>{new faulty_mapping(std::move(*m), env_, path())};
  }

  caf::error close() override { return inner_->close(); }
  bool is_open() const override { return inner_->is_open(); }

private:
  std::unique_ptr<file> inner_;
  faulty_env& env_;  // Requires: outlives the file
};

} // namespace

faulty_env::faulty_env(std::shared_ptr<storage::env> base, std::shared_ptr<fault_table> faults,
                       std::chrono::milliseconds max_stall, sleeper sleep)
  : base_(std::move(base)), faults_(std::move(faults)), max_stall_(max_stall),
    sleep_(std::move(sleep)) {
  assert(base_ != nullptr && faults_ != nullptr && max_stall_.count() >= 0);
  if (!sleep_)
    sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

int faulty_env::meet(disk_op op, const std::string& path) {
  if (faults_->disk_empty())
    return 0;
  auto d = faults_->decide_disk(op, path);
  if (d.delay.count() > 0) {
    auto stall = d.delay;
    if (stall > max_stall_) {
      spdlog::warn("chaos: a slow-disk stall of {} ms on {} is capped at {} ms", d.delay.count(),
                   path, max_stall_.count());
      stall = max_stall_;
    }
    ++stalls_;
    stalled_ms_ += stall.count();
    sleep_(stall);
  }
  if (d.error != 0)
    ++errors_;
  return d.error;
}

faulty_env::counts faulty_env::injected() const {
  return counts{errors_.load(), stalls_.load(), stalled_ms_.load()};
}

caf::expected<std::unique_ptr<storage::file>> faulty_env::open(const std::string& path,
                                                               storage::open_mode mode) {
  auto f = base_->open(path, mode);
  if (!f)
    return std::move(f.error());
  return std::unique_ptr<storage::file>{new faulty_file(std::move(*f), *this)};
}

caf::error faulty_env::rename(const std::string& from, const std::string& to) {
  return base_->rename(from, to);
}

caf::error faulty_env::remove(const std::string& path) {
  return base_->remove(path);
}

caf::error faulty_env::remove_all(const std::string& dir) {
  return base_->remove_all(dir);
}

caf::expected<bool> faulty_env::exists(const std::string& path) {
  return base_->exists(path);
}

caf::error faulty_env::create_dirs(const std::string& dir) {
  return base_->create_dirs(dir);
}

caf::expected<std::vector<storage::dir_entry>> faulty_env::list_dir(const std::string& dir) {
  return base_->list_dir(dir);
}

caf::error faulty_env::sync_dir(const std::string& dir) {
  return base_->sync_dir(dir);
}

} // namespace cafka
