// Tests of faulty_env: each disk fault kind of a fault table (write error, fsync error, slow
// disk) reaches the files of the wrapped env as documented, only on segment files, only while
// the rule exists; stalls go through the injected sleeper and are capped.

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/chaos/fault_table.hpp"
#include "runtime/chaos/faulty_env.hpp"
#include "runtime/storage/posix_env.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using namespace std::chrono_literals;
using cafka::storage::open_mode;
using cafka::test::temp_dir;

namespace {

// A faulty_env over the real disk whose stalls are recorded instead of slept.
struct fixture {
  temp_dir dir;
  std::shared_ptr<fault_table> table = std::make_shared<fault_table>(11);
  std::vector<std::chrono::milliseconds> slept;
  faulty_env env{test::real_disk_ptr(), table, 60ms,
                 [this](std::chrono::milliseconds d) { slept.push_back(d); }};

  uint64_t add(disk_fault kind, double probability = 1.0,
               std::chrono::milliseconds delay = 0ms) {
    fault_rule r;
    r.disk = kind;
    r.drop = probability;
    r.delay = delay;
    return table->add(r);
  }

  std::unique_ptr<storage::file> open(const std::string& name,
                                      open_mode mode = open_mode::write) {
    auto f = env.open(dir.file(name), mode);
    REQUIRE(f);
    return std::move(*f);
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "a faulty_env without disk rules passes every operation through",
                 "[chaos][env]") {
  auto f = open("00000000000000000000.log");
  REQUIRE_FALSE(f->write_at("abcdef", 6, 0));
  REQUIRE_FALSE(f->sync());
  char buf[6];
  REQUIRE(*f->read_at(buf, 6, 0) == 6);
  CHECK(std::string(buf, 6) == "abcdef");
  table->partition({node_id{1}}, {node_id{2}});  // network rules do not touch the disk
  REQUIRE_FALSE(f->write_at("x", 1, 6));
  REQUIRE_FALSE(f->sync());
  CHECK(env.injected().errors == 0);
  CHECK(env.injected().stalls == 0);
  CHECK(slept.empty());
}

TEST_CASE_METHOD(fixture, "a write error writes half of the bytes of a segment file write, "
                          "then fails with ENOSPC",
                 "[chaos][env]") {
  auto f = open("00000000000000000000.log");
  auto rule = add(disk_fault::write_error);
  auto err = f->write_at("abcdefgh", 8, 0);
  CHECK(errc_of(err) == errc::storage_error);
  CHECK(describe(err).find("No space left on device") != std::string::npos);
  CHECK(describe(err).find("00000000000000000000.log") != std::string::npos);
  CHECK(test::read_file(dir.file("00000000000000000000.log")) == "abcd");
  CHECK_FALSE(f->sync());  // fsync is not faulted by a write rule
  auto a = open("00000000000000000001.log", open_mode::append);
  CHECK(errc_of(a->append("12", 2)) == errc::storage_error);
  CHECK(test::read_file(dir.file("00000000000000000001.log")) == "1");
  // Files other than segment logs (checkpoints, indexes) are left alone.
  auto checkpoint = open("leader-epoch-checkpoint");
  CHECK_FALSE(checkpoint->write_at("0\n0\n", 4, 0));
  CHECK(env.injected().errors == 2);
  table->remove(rule);
  CHECK_FALSE(f->write_at("abcdefgh", 8, 0));
  CHECK(test::read_file(dir.file("00000000000000000000.log")) == "abcdefgh");
}

TEST_CASE_METHOD(fixture, "an fsync error fails a segment file's fsync and msync with EIO",
                 "[chaos][env]") {
  auto f = open("00000000000000000000.log");
  REQUIRE_FALSE(f->truncate(8));
  auto m = f->map(8);
  REQUIRE(m);
  add(disk_fault::fsync_error);
  CHECK_FALSE(f->write_at("abc", 3, 0));  // writes are not faulted by an fsync rule
  auto err = f->sync();
  CHECK(errc_of(err) == errc::storage_error);
  CHECK(describe(err).find("fsync") != std::string::npos);
  CHECK(describe(err).find("Input/output error") != std::string::npos);
  auto merr = (*m)->sync();
  CHECK(errc_of(merr) == errc::storage_error);
  CHECK(describe(merr).find("msync") != std::string::npos);
  CHECK_FALSE(open("00000000000000000000.index")->sync());
  CHECK_FALSE(env.sync_dir(dir.str()));  // directory fsyncs are left alone
  CHECK(env.injected().errors == 2);
  table->heal();
  CHECK_FALSE(f->sync());
  CHECK_FALSE((*m)->sync());
}

TEST_CASE_METHOD(fixture, "a slow disk stalls segment writes and fsyncs by the rules' delays, "
                          "capped at max_stall, and never reads",
                 "[chaos][env]") {
  auto f = open("00000000000000000000.log");
  auto first = add(disk_fault::slow, 1.0, 20ms);
  REQUIRE_FALSE(f->write_at("ab", 2, 0));
  REQUIRE_FALSE(f->sync());
  char buf[2];
  REQUIRE(*f->read_at(buf, 2, 0) == 2);
  CHECK(slept == std::vector<std::chrono::milliseconds>{20ms, 20ms});
  add(disk_fault::slow, 1.0, 50ms);  // delays add up: 70 ms, above the 60 ms cap
  REQUIRE_FALSE(f->write_at("cd", 2, 2));
  CHECK(slept.back() == 60ms);
  table->remove(first);
  REQUIRE_FALSE(f->sync());
  CHECK(slept.back() == 50ms);
  REQUIRE_FALSE(open("producer-state.snapshot")->write_at("x", 1, 0));
  CHECK(slept.size() == 4);
  auto n = env.injected();
  CHECK(n.stalls == 4);
  CHECK(n.stalled_ms == 20 + 20 + 60 + 50);
  CHECK(n.errors == 0);
}

TEST_CASE_METHOD(fixture, "write errors with a probability fail about that share of writes",
                 "[chaos][env]") {
  auto f = open("00000000000000000000.log");
  add(disk_fault::write_error, 0.25);
  int failed = 0;
  for (int i = 0; i < 2000; ++i)
    failed += f->write_at("ab", 2, 0) ? 1 : 0;
  CHECK(failed > 400);  // 500 expected (seed 11)
  CHECK(failed < 600);
  CHECK(env.injected().errors == static_cast<uint64_t>(failed));
}
