// Tests of the partition replica's leader-epoch checkpoint across a machine crash: a new
// epoch's entry is written without fsync and synced with the log, so a crash of the machine
// can lose it (or leave a damaged file); open then rebuilds the history from the epochs the
// batches carry. Test thread only.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/broker/partition_replica.hpp"
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
  as_if_rebooted(*this);
  auto third = spawn({}, {}, leader_epoch{5});
  auto latest = list(third, latest_timestamp);
  REQUIRE(latest);
  CHECK(latest->offset == log_offset{5});
  CHECK(saved_epochs(*this) == history{{2, 0}, {5, 3}});
  REQUIRE(stop(third, false));
}
