// The storage::env of the real disk: POSIX calls (open, pwrite, pread, fsync, ftruncate, mmap,
// rename, unlink), each retried on EINTR, with errno as errc::storage_error. Its files hold
// descriptors within a file_budget (idle ones are closed at the cap and reopened on their next
// use). Thread-safe: a node makes one and hands it down (see runtime/storage/env.hpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/storage/env.hpp"
#include "runtime/storage/file_budget.hpp"

namespace cafka::storage {

class posix_env final : public env {
public:
  // budget: the cap its files' descriptors share; null: the process's (file_budget.hpp).
  explicit posix_env(std::shared_ptr<file_budget> budget = nullptr);

  caf::expected<std::unique_ptr<file>> open(const std::string& path, open_mode mode) override;
  caf::error rename(const std::string& from, const std::string& to) override;
  caf::error remove(const std::string& path) override;
  caf::error remove_all(const std::string& dir) override;
  caf::expected<bool> exists(const std::string& path) override;
  caf::error create_dirs(const std::string& dir) override;
  caf::expected<std::vector<dir_entry>> list_dir(const std::string& dir) override;
  caf::error sync_dir(const std::string& dir) override;

  const std::shared_ptr<file_budget>& budget() const { return budget_; }

private:
  std::shared_ptr<file_budget> budget_;  // Invariant: not null
};

} // namespace cafka::storage
