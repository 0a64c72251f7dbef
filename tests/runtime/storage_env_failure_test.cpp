// Storage code over an in-test env that fails chosen operations (file fsync, directory fsync,
// rename): the partition log, the atomic file replacement, the producer snapshot and the Raft
// storage report each failure as a storage_error, keep what was durable before, and work
// again afterwards.

#include <catch2/catch.hpp>

#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/raft/disk_persistence.hpp"
#include "runtime/replication/producer_state.hpp"
#include "runtime/storage/file_handle.hpp"
#include "runtime/storage/partition_log.hpp"
#include "runtime/storage/posix_env.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using cafka::storage::open_mode;
using cafka::test::make_batch;
using cafka::test::temp_dir;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return !suffix.empty() && s.size() >= suffix.size()
         && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The real disk, except that file fsyncs, directory fsyncs and renames onto paths ending with
// the chosen suffixes fail with EIO (an empty suffix: never).
class failing_env final : public storage::env {
public:
  std::string fail_sync;
  std::string fail_sync_dir;
  std::string fail_rename;
  int failures = 0;

  caf::expected<std::unique_ptr<storage::file>> open(const std::string& path,
                                                     open_mode mode) override {
    auto f = real_.open(path, mode);
    if (!f)
      return std::move(f.error());
    return std::unique_ptr<storage::file>{new failing_file(std::move(*f), *this)};
  }
  caf::error rename(const std::string& from, const std::string& to) override {
    if (ends_with(to, fail_rename))
      return fail("rename", from);
    return real_.rename(from, to);
  }
  caf::error remove(const std::string& path) override { return real_.remove(path); }
  caf::error remove_all(const std::string& dir) override { return real_.remove_all(dir); }
  caf::expected<bool> exists(const std::string& path) override { return real_.exists(path); }
  caf::error create_dirs(const std::string& dir) override { return real_.create_dirs(dir); }
  caf::expected<std::vector<storage::dir_entry>> list_dir(const std::string& dir) override {
    return real_.list_dir(dir);
  }
  caf::error sync_dir(const std::string& dir) override {
    if (ends_with(dir, fail_sync_dir))
      return fail("fsync", dir);
    return real_.sync_dir(dir);
  }

private:
  class failing_file final : public storage::file {
  public:
    failing_file(std::unique_ptr<storage::file> inner, failing_env& env)
      : storage::file(inner->path()), inner_(std::move(inner)), env_(env) {
    }
    caf::error write_at(const void* d, size_t n, uint64_t pos) override {
      return inner_->write_at(d, n, pos);
    }
    caf::error append(const void* d, size_t n) override { return inner_->append(d, n); }
    caf::expected<size_t> read_at(void* d, size_t n, uint64_t pos) const override {
      return inner_->read_at(d, n, pos);
    }
    caf::error sync() override {
      if (ends_with(path(), env_.fail_sync))
        return env_.fail("fsync", path());
      return inner_->sync();
    }
    caf::error truncate(uint64_t size) override { return inner_->truncate(size); }
    caf::expected<uint64_t> size() const override { return inner_->size(); }
    caf::expected<std::unique_ptr<storage::mapping>> map(size_t n) override {
      return inner_->map(n);
    }
    caf::error close() override { return inner_->close(); }
    bool is_open() const override { return inner_->is_open(); }

  private:
    std::unique_ptr<storage::file> inner_;
    failing_env& env_;
  };

  caf::error fail(const char* op, const std::string& path) {
    ++failures;
    return storage_error_from(op, path, EIO);
  }

  storage::posix_env real_;
};

} // namespace

TEST_CASE("a partition log reports a failed segment fsync as a storage error and flushes "
          "once fsync works again",
          "[storage][env]") {
  temp_dir dir;
  failing_env env;
  auto log = partition_log::open(env, dir.str(), log_config{}, 0);
  REQUIRE(log);
  auto b = make_batch(4);
  REQUIRE((*log)->append(b, 0));
  env.fail_sync = ".log";
  auto err = (*log)->flush();
  CHECK(errc_of(err) == errc::storage_error);
  CHECK(describe(err).find("fsync") != std::string::npos);
  CHECK(describe(err).find("00000000000000000000.log") != std::string::npos);
  CHECK(env.failures == 1);
  auto read = (*log)->read(log_offset{0}, 1 << 20);  // the log still serves what it has
  REQUIRE(read);
  CHECK(test::offsets_in(read->data).size() == 4);
  env.fail_sync.clear();
  CHECK_FALSE((*log)->flush());
}

TEST_CASE("a roll syncs the directory at once: a failed directory fsync fails the append "
          "that rolled, and the next flush syncs it",
          "[storage][env]") {
  temp_dir dir;
  failing_env env;
  log_config cfg;
  cfg.segment_bytes = 1024;  // every batch below rolls
  auto log = partition_log::open(env, dir.str(), cfg, 0);
  REQUIRE(log);
  auto b0 = make_batch(5, 300);
  REQUIRE((*log)->append(b0, 0));
  env.fail_sync_dir = dir.str();
  auto b1 = make_batch(5, 300);
  auto rolled = (*log)->append(b1, 0);
  REQUIRE_FALSE(rolled);
  CHECK(errc_of(rolled.error()) == errc::storage_error);
  CHECK(describe(rolled.error()).find(dir.str()) != std::string::npos);
  CHECK(env.failures == 1);
  REQUIRE((*log)->segment_count() == 2);
  CHECK((*log)->log_end_offset() == log_offset{5});  // nothing of b1 was written
  // While the directory stays due, every flush tries it again.
  CHECK(errc_of((*log)->flush()) == errc::storage_error);
  env.fail_sync_dir.clear();
  CHECK_FALSE((*log)->flush());
  auto b2 = make_batch(5, 300);
  CHECK((*log)->append(b2, 0));
}

TEST_CASE("a failed rename in replace_file keeps the old contents and leaves no temporary "
          "file",
          "[storage][env]") {
  temp_dir dir;
  failing_env env;
  auto path = dir.file("leader-epoch-checkpoint");
  REQUIRE_FALSE(env.replace_file(path, "old"));
  env.fail_rename = "leader-epoch-checkpoint";
  auto err = env.replace_file(path, "new");
  CHECK(errc_of(err) == errc::storage_error);
  CHECK(describe(err).find("rename") != std::string::npos);
  CHECK(test::read_file(path) == "old");
  CHECK_FALSE(*env.exists(path + ".tmp"));
  env.fail_rename.clear();
  env.fail_sync = ".tmp";
  CHECK(errc_of(env.replace_file(path, "new")) == errc::storage_error);
  CHECK(test::read_file(path) == "old");
  CHECK_FALSE(*env.exists(path + ".tmp"));
}

TEST_CASE("a producer snapshot is written through the env: a failed rename keeps the old one",
          "[storage][env][replication]") {
  temp_dir dir;
  failing_env env;
  producer_state at7;
  at7.start_at(log_offset{7});
  REQUIRE_FALSE(save_producer_snapshot(env, dir.str(), at7));
  producer_state at9;
  at9.start_at(log_offset{9});
  env.fail_rename = producer_snapshot_file;
  auto err = save_producer_snapshot(env, dir.str(), at9);
  CHECK(errc_of(err) == errc::storage_error);
  CHECK(describe(err) == "storage_error: rename " + dir.file(producer_snapshot_file)
                           + ".tmp: Input/output error");
  CHECK(env.failures == 1);
  auto loaded = load_producer_snapshot(env, dir.str());
  REQUIRE(loaded);
  CHECK(loaded->next_offset() == log_offset{7});
}

TEST_CASE("raft storage reports a failed vote rename or log fsync and reloads what was "
          "durable",
          "[storage][env][raft]") {
  temp_dir dir;
  auto env = std::make_shared<failing_env>();
  raft::disk_persistence p{dir.file("raft"), env};
  raft::persisted_state st;
  REQUIRE_FALSE(p.load(st));
  REQUIRE_FALSE(p.store_term_and_vote(raft_term{2}, node_id{1}));
  env->fail_rename = raft::disk_persistence::vote_file;
  auto err = p.store_term_and_vote(raft_term{3}, node_id{2});
  CHECK(errc_of(err) == errc::storage_error);
  CHECK(describe(err).find("rename") != std::string::npos);
  env->fail_rename.clear();
  env->fail_sync = std::string{"/"} + raft::disk_persistence::log_file;
  raft::log_entry e;
  e.index = raft_index{1};
  e.term = raft_term{2};
  e.kind = raft::entry_kind::noop;
  auto append_err = p.append({e});
  CHECK(errc_of(append_err) == errc::storage_error);
  CHECK(describe(append_err).find("fsync") != std::string::npos);
  env->fail_sync.clear();
  raft::disk_persistence again{dir.file("raft"), env};
  raft::persisted_state back;
  REQUIRE_FALSE(again.load(back));
  CHECK(back.term == raft_term{2});
  CHECK(back.voted_for == node_id{1});
  CHECK(back.entries.empty());  // the failed append was taken back
  REQUIRE_FALSE(again.append({e}));
}
