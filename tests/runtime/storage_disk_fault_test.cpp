// Tests of partition_log under injected disk faults (a fault_table's disk rules, applied by a
// faulty_env over the real disk): a failed write leaves no torn bytes, a failed fsync is
// reported, a log with a flush policy cannot reopen while fsync fails, and everything works
// again once healed.

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/chaos/fault_table.hpp"
#include "runtime/chaos/faulty_env.hpp"
#include "runtime/storage/partition_log.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using cafka::test::make_batch;
using cafka::test::offsets_in;
using cafka::test::temp_dir;

namespace {

// A node's disk: the real one seen through a fault table.
struct faulty_disk {
  std::shared_ptr<fault_table> table = std::make_shared<fault_table>();
  faulty_env env{test::real_disk_ptr(), table};
};

// Installs one disk rule in `disk`'s table for the scope.
struct disk_rule {
  faulty_disk& disk;
  uint64_t id;
  disk_rule(faulty_disk& d, disk_fault kind, double probability = 1.0) : disk(d) {
    fault_rule r;
    r.disk = kind;
    r.drop = probability;
    id = disk.table->add(r);
  }
  ~disk_rule() { disk.table->remove(id); }
};

uint64_t file_size(const temp_dir& dir) {
  uint64_t n = 0;
  for (auto& e : std::filesystem::directory_iterator{dir.str()})
    if (e.path().extension() == ".log")
      n += e.file_size();
  return n;
}

} // namespace

TEST_CASE("a write that fails half-way leaves the log as it was", "[storage][chaos]") {
  temp_dir dir;
  faulty_disk disk;
  auto log = partition_log::open(disk.env, dir.str(), log_config{}, 0);
  REQUIRE(log);
  auto b0 = make_batch(5);
  REQUIRE((*log)->append(b0, 0));
  auto size_before = file_size(dir);
  {
    disk_rule full{disk, disk_fault::write_error};
    auto b1 = make_batch(5);
    auto res = (*log)->append(b1, 0);
    REQUIRE_FALSE(res);
    CHECK(errc_of(res.error()) == errc::storage_error);
    CHECK(describe(res.error()).find("No space left on device") != std::string::npos);
    CHECK((*log)->log_end_offset() == log_offset{5});
    CHECK(file_size(dir) == size_before);  // the torn half was cut off
  }
  auto b2 = make_batch(5);
  auto res = (*log)->append(b2, 0);
  REQUIRE(res);
  CHECK(*res == log_offset{5});
  log->reset();
  auto again = partition_log::open(disk.env, dir.str(), log_config{}, 0);
  REQUIRE(again);
  auto read = (*again)->read(log_offset{0}, 1 << 20);
  REQUIRE(read);
  CHECK(offsets_in(read->data).size() == 10);
}

TEST_CASE("a failed fsync is an error, and a log with a flush policy reopens only once fsync "
          "works again",
          "[storage][chaos]") {
  temp_dir dir;
  faulty_disk disk;
  log_config cfg;
  cfg.flush_messages = 1;  // fsync before every append returns
  auto log = partition_log::open(disk.env, dir.str(), cfg, 0);
  REQUIRE(log);
  {
    disk_rule eio{disk, disk_fault::fsync_error};
    auto b = make_batch(3);
    auto res = (*log)->append(b, 0);
    REQUIRE_FALSE(res);
    CHECK(describe(res.error()).find("fsync") != std::string::npos);
    CHECK(describe(res.error()).find("Input/output error") != std::string::npos);
    // The write itself happened: its durability is unknown, so the owner must reopen.
    CHECK((*log)->log_end_offset() == log_offset{3});
    log->reset();
    auto refused = partition_log::open(disk.env, dir.str(), cfg, 0);
    REQUIRE_FALSE(refused);
    CHECK(errc_of(refused.error()) == errc::storage_error);
    CHECK(describe(refused.error()).find("fsync") != std::string::npos);
  }
  auto reopened = partition_log::open(disk.env, dir.str(), cfg, 0);
  REQUIRE(reopened);
  CHECK((*reopened)->log_end_offset() == log_offset{3});
  auto b = make_batch(2);
  CHECK((*reopened)->append(b, 0));
}

TEST_CASE("disk rules fault segment files only: network decisions, raft storage and "
          "checkpoints are left alone", "[storage][chaos]") {
  fault_table table;
  fault_rule r;
  r.disk = disk_fault::write_error;
  r.drop = 1.0;
  table.add(r);
  CHECK(table.empty());  // no network rule
  CHECK_FALSE(table.disk_empty());
  CHECK(table.decide(node_id{1}, node_id{2}).copies == 1);
  CHECK(table.decide_disk(disk_op::write, "/d/node-1/t-0/0.log").error == ENOSPC);
  CHECK(table.decide_disk(disk_op::fsync, "/d/node-1/t-0/0.log").error == 0);
  CHECK(table.decide_disk(disk_op::write, "/d/node-1/__cluster_metadata/log").error == 0);
  CHECK(table.decide_disk(disk_op::write, "/d/node-1/__cluster_metadata/0.log").error == 0);
  CHECK(table.decide_disk(disk_op::write, "/d/node-1/t-0/leader-epoch-checkpoint").error
        == 0);
  CHECK(describe(r) == "disk write errors 1.00");
  table.heal();
  CHECK(table.disk_empty());
}
