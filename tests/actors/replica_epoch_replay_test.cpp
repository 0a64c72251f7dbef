// Tests of the partition replica's leader-epoch checkpoint across a machine crash: a new
// epoch's entry is written without fsync and synced with the log, so a crash of the machine
// can lose it (or leave a damaged file); open then rebuilds the history from the epochs the
// batches carry. Test thread only.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/broker/partition_replica.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"
#include "runtime/storage/recovery_point.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/replica_fixture.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

using history = std::vector<std::pair<int32_t, int64_t>>;  // (epoch, start offset)

std::string file_bytes(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << bytes;
}

// The history in the replica's leader-epoch-checkpoint; empty if it does not parse.
history saved_epochs(const replica_fixture& f) {
  auto parsed
    = leader_epoch_cache::parse(file_bytes(f.log_dir() + "/" + epoch_checkpoint_file));
  history h;
  if (parsed)
    for (auto& e : parsed->entries())
      h.emplace_back(e.epoch.value, e.start_offset.value);
  return h;
}

// The real disk of a replica_fixture, with a record of the renames and directory fsyncs: a
// rename of `<file>.tmp` followed by an fsync of its directory is a durable replace
// (env::replace_file); one without is an unsynced one.
class recording_env final : public storage::env {
public:
  explicit recording_env(std::shared_ptr<storage::env> base) : base_(std::move(base)) {}

  std::vector<std::string> ops;  // "rename <from>", "sync_dir <dir>"
  std::string fail_rename;       // a rename from this path fails with storage_error

  caf::expected<std::unique_ptr<storage::file>> open(const std::string& path,
                                                     storage::open_mode mode) override {
    return base_->open(path, mode);
  }
  caf::error rename(const std::string& from, const std::string& to) override {
    ops.push_back("rename " + from);
    if (from == fail_rename)
      return make_error(errc::storage_error, "rename " + from + ": injected failure");
    return base_->rename(from, to);
  }
  caf::error remove(const std::string& path) override { return base_->remove(path); }
  caf::error remove_all(const std::string& dir) override { return base_->remove_all(dir); }
  caf::expected<bool> exists(const std::string& path) override { return base_->exists(path); }
  caf::error create_dirs(const std::string& dir) override { return base_->create_dirs(dir); }
  caf::expected<std::vector<storage::dir_entry>> list_dir(const std::string& dir) override {
    return base_->list_dir(dir);
  }
  caf::error sync_dir(const std::string& dir) override {
    ops.push_back("sync_dir " + dir);
    return base_->sync_dir(dir);
  }

private:
  std::shared_ptr<storage::env> base_;
};

// The recovery checkpoint as another boot would have left it: open trusts only its fsynced
// point, as after a crash of the machine.
void as_if_rebooted(replica_fixture& f) {
  auto c = load_recovery_checkpoint(*f.io.disk, f.log_dir());
  REQUIRE(c);
  REQUIRE(*c);
  (*c)->boot_id = "another boot";
  REQUIRE_FALSE(save_recovery_checkpoint(*f.io.disk, f.log_dir(), **c, true));
}

} // namespace

TEST_CASE_METHOD(replica_fixture,
                 "a replica rebuilds the leader-epoch entries a machine crash lost from its "
                 "batches",
                 "[actors][replica]") {
  auto path = log_dir() + "/" + epoch_checkpoint_file;
  // First life, epoch 2: a clean stop syncs the log, and the checkpoint before it.
  auto first = spawn({}, {}, leader_epoch{2});
  REQUIRE(produce(first, make_batch("a", 3)));
  REQUIRE(stop(first, false));
  REQUIRE(saved_epochs(*this) == history{{2, 0}});
  auto synced = file_bytes(path);
  // Second life, epoch 5: the entry is written before its first batch, then the broker is
  // killed (nothing is flushed at a kill).
  auto owner = sys.spawn([]() -> caf::behavior { return {[](int32_t) {}}; });
  auto second = spawn({}, owner.address(), leader_epoch{5});
  REQUIRE(produce(second, make_batch("b", 2)));
  CHECK(saved_epochs(*this) == history{{2, 0}, {5, 3}});
  REQUIRE(kill_owner(owner, second));
  // The machine crash took what was not synced.
  SECTION("the unsynced entry is lost") {
    write_bytes(path, synced);
  }
  SECTION("the file is damaged") {
    write_bytes(path, synced.substr(0, synced.size() / 2));
  }
  SECTION("the file is gone") {
    std::filesystem::remove(path);
  }
  SECTION("the file names an epoch past the log end") {
    // Its batches were lost (a crash cut the log); the epoch-5 batch before it was kept.
    auto stale = leader_epoch_cache::parse(synced);
    REQUIRE(stale);
    stale->assign(leader_epoch{7}, log_offset{100});
    write_bytes(path, stale->serialize());
  }
  as_if_rebooted(*this);
  auto third = spawn({}, {}, leader_epoch{5});
  auto latest = list(third, latest_timestamp);
  REQUIRE(latest);
  CHECK(latest->offset == log_offset{5});
  CHECK(saved_epochs(*this) == history{{2, 0}, {5, 3}});
  REQUIRE(stop(third, false));
}

TEST_CASE_METHOD(replica_fixture,
                 "without a recovery checkpoint a replica reads the epochs of every segment",
                 "[actors][replica]") {
  auto path = log_dir() + "/" + epoch_checkpoint_file;
  broker_defaults d;
  d.log.segment_bytes = 100;  // a segment per batch
  auto first = spawn(d, {}, leader_epoch{2});
  REQUIRE(produce(first, make_batch("a", 3)));
  REQUIRE(stop(first, false));
  auto synced = file_bytes(path);
  auto owner = sys.spawn([]() -> caf::behavior { return {[](int32_t) {}}; });
  auto second = spawn(d, owner.address(), leader_epoch{5});
  REQUIRE(produce(second, make_batch("b", 2)));
  REQUIRE(produce(second, make_batch("c", 2)));
  REQUIRE(kill_owner(owner, second));
  // The crash lost the unsynced entry, and no recovery checkpoint vouches for any segment.
  write_bytes(path, synced);
  std::filesystem::remove(log_dir() + "/" + recovery_checkpoint_file);
  auto third = spawn(d, {}, leader_epoch{5});
  REQUIRE(list(third, latest_timestamp));
  // Epoch 5 starts at b (in a sealed segment), not at c.
  CHECK(saved_epochs(*this) == history{{2, 0}, {5, 3}});
  REQUIRE(stop(third, false));
}

TEST_CASE_METHOD(replica_fixture,
                 "an epoch entry a killed process left unsynced is synced before the next "
                 "clean stop syncs the log",
                 "[actors][replica]") {
  auto path = log_dir() + "/" + epoch_checkpoint_file;
  auto first = spawn({}, {}, leader_epoch{2});
  REQUIRE(produce(first, make_batch("a", 3)));
  REQUIRE(stop(first, false));
  auto owner = sys.spawn([]() -> caf::behavior { return {[](int32_t) {}}; });
  auto second = spawn({}, owner.address(), leader_epoch{5});
  REQUIRE(produce(second, make_batch("b", 2)));
  REQUIRE(kill_owner(owner, second));
  // Same boot: the page cache still has the entry, but nothing synced it.
  auto disk = std::make_shared<recording_env>(io.disk);
  io.disk = disk;
  auto third = spawn({}, {}, leader_epoch{5});
  REQUIRE(list(third, latest_timestamp));
  REQUIRE(stop(third, false));
  auto at = [&](const std::string& op) {
    return std::find(disk->ops.begin(), disk->ops.end(), op) - disk->ops.begin();
  };
  auto epochs_replaced = at("rename " + path + ".tmp");
  // The stop's durable recovery checkpoint is the last one (open writes one unsynced).
  auto ckpt_op = "rename " + log_dir() + "/" + recovery_checkpoint_file + ".tmp";
  auto log_checkpointed
    = disk->ops.rend() - std::find(disk->ops.rbegin(), disk->ops.rend(), ckpt_op) - 1;
  REQUIRE(epochs_replaced < static_cast<std::ptrdiff_t>(disk->ops.size()));
  CHECK(disk->ops.at(static_cast<size_t>(epochs_replaced) + 1) == "sync_dir " + log_dir());
  CHECK(epochs_replaced < log_checkpointed);
  CHECK(saved_epochs(*this) == history{{2, 0}, {5, 3}});
  // After that clean stop nothing is unsynced: the next one writes no epoch checkpoint.
  disk->ops.clear();
  auto fourth = spawn({}, {}, leader_epoch{5});
  REQUIRE(list(fourth, latest_timestamp));
  REQUIRE(stop(fourth, false));
  CHECK(at("rename " + path + ".tmp") == static_cast<std::ptrdiff_t>(disk->ops.size()));
}

TEST_CASE_METHOD(replica_fixture,
                 "a replica that cannot save the entries it rebuilt at open records no new "
                 "recovery point",
                 "[actors][replica]") {
  auto path = log_dir() + "/" + epoch_checkpoint_file;
  auto first = spawn({}, {}, leader_epoch{2});
  REQUIRE(produce(first, make_batch("a", 3)));
  REQUIRE(stop(first, false));
  auto synced = file_bytes(path);
  auto owner = sys.spawn([]() -> caf::behavior { return {[](int32_t) {}}; });
  auto second = spawn({}, owner.address(), leader_epoch{5});
  REQUIRE(produce(second, make_batch("b", 2)));
  REQUIRE(kill_owner(owner, second));
  write_bytes(path, synced);
  as_if_rebooted(*this);
  // The open after the crash rebuilds epoch 5 but cannot save it: the replica stops.
  auto real_disk = io.disk;
  auto disk = std::make_shared<recording_env>(real_disk);
  disk->fail_rename = path + ".tmp";
  io.disk = disk;
  auto third = spawn({}, {}, leader_epoch{5});
  REQUIRE(goes_down(third));
  // Had it recorded this boot's recovery point, the next open would trust it and read no
  // batch again; it reads them and rebuilds the entry.
  io.disk = real_disk;
  auto fourth = spawn({}, {}, leader_epoch{5});
  REQUIRE(list(fourth, latest_timestamp));
  CHECK(saved_epochs(*this) == history{{2, 0}, {5, 3}});
  REQUIRE(stop(fourth, false));
}

TEST_CASE_METHOD(replica_fixture,
                 "a replica that cannot save a new epoch's entry writes no batch of that epoch",
                 "[actors][replica]") {
  auto path = log_dir() + "/" + epoch_checkpoint_file;
  auto first = spawn({}, {}, leader_epoch{2});
  REQUIRE(produce(first, make_batch("a", 3)));
  REQUIRE(stop(first, false));
  auto real_disk = io.disk;
  auto disk = std::make_shared<recording_env>(real_disk);
  disk->fail_rename = path + ".tmp";
  io.disk = disk;
  auto second = spawn({}, {}, leader_epoch{5});
  auto refused = produce(second, make_batch("b", 2));
  REQUIRE_FALSE(refused);
  CHECK(errc_of(refused.error()) == errc::storage_error);
  io.disk = real_disk;
  auto third = spawn({}, {}, leader_epoch{5});
  auto latest = list(third, latest_timestamp);
  REQUIRE(latest);
  CHECK(latest->offset == log_offset{3});
  CHECK(saved_epochs(*this) == history{{2, 0}});
  REQUIRE(stop(third, false));
}
