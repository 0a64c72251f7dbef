// Tests of the cap on storage descriptors (storage::file_budget behind posix_env): at the cap
// idle files give up their descriptors and reopen on their next use with the same bytes, the
// same mode and their renamed path; unlinked or replaced files keep their contents; at the cap
// with nothing idle an open is refused with the exact error; EMFILE evicts instead of failing.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/base/open_files.hpp"
#include "runtime/storage/file_budget.hpp"
#include "runtime/storage/posix_env.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using cafka::storage::file_budget;
using cafka::storage::open_mode;
using cafka::test::temp_dir;

namespace {

std::string read_all(const storage::file& f) {
  char buf[64] = {};
  auto n = f.read_at(buf, sizeof(buf), 0);
  REQUIRE(n);
  return std::string(buf, *n);
}

std::unique_ptr<storage::file> must_open(storage::env& env, const std::string& path,
                                         open_mode mode) {
  auto f = env.open(path, mode);
  REQUIRE(f);
  return std::move(*f);
}

} // namespace

TEST_CASE("at the cap an idle file gives up its descriptor and reads the same bytes after "
          "reopening",
          "[storage][env][file_budget]") {
  temp_dir dir;
  auto budget = std::make_shared<file_budget>(1);
  storage::posix_env env{budget};
  auto a = must_open(env, dir.file("a"), open_mode::write);
  REQUIRE_FALSE(a->write_at("alpha", 5, 0));
  auto b = must_open(env, dir.file("b"), open_mode::write);  // takes a's descriptor
  CHECK(budget->descriptors() == 1);
  CHECK(budget->evictions() == 1);
  CHECK(budget->files() == 2);
  CHECK(a->is_open());
  CHECK(read_all(*a) == "alpha");  // reopened, b evicted
  CHECK(budget->reopens() == 1);
  CHECK(budget->descriptors() == 1);
  REQUIRE_FALSE(b->write_at("beta", 4, 0));  // b reopened in turn
  CHECK(*a->size() == 5);
  REQUIRE_FALSE(a->write_at("ALPHA!", 6, 0));
  REQUIRE_FALSE(a->sync());
  CHECK(budget->reopens() == 3);
  CHECK(test::read_file(dir.file("a")) == "ALPHA!");
  CHECK(test::read_file(dir.file("b")) == "beta");
  REQUIRE_FALSE(a->close());
  CHECK_FALSE(a->is_open());
  CHECK(budget->files() == 1);
  CHECK(budget->descriptors() == 0);  // a was evicted by b's write when it closed
}

TEST_CASE("a reopened file keeps its open mode: truncate does not empty it again, append "
          "appends, read stays read-only",
          "[storage][env][file_budget]") {
  temp_dir dir;
  auto budget = std::make_shared<file_budget>(1);
  storage::posix_env env{budget};
  test::write_file(dir.file("r"), "ro");
  auto t = must_open(env, dir.file("t"), open_mode::truncate);
  REQUIRE_FALSE(t->write_at("kept", 4, 0));
  auto ap = must_open(env, dir.file("ap"), open_mode::append);
  REQUIRE_FALSE(ap->append("one", 3));
  auto r = must_open(env, dir.file("r"), open_mode::read);
  CHECK(read_all(*t) == "kept");
  REQUIRE_FALSE(ap->append("two", 3));
  CHECK(test::read_file(dir.file("ap")) == "onetwo");
  auto err = r->write_at("x", 1, 0);
  REQUIRE(err);
  CHECK(err == errc::storage_error);
  CHECK(read_all(*r) == "ro");
}

TEST_CASE("a mapping stays valid while its file is evicted", "[storage][env][file_budget]") {
  temp_dir dir;
  auto budget = std::make_shared<file_budget>(1);
  storage::posix_env env{budget};
  auto a = must_open(env, dir.file("a"), open_mode::write);
  REQUIRE_FALSE(a->truncate(16));
  auto m = a->map(16);
  REQUIRE(m);
  auto b = must_open(env, dir.file("b"), open_mode::write);
  std::copy_n("mapped", 6, (*m)->data());
  REQUIRE_FALSE((*m)->sync());
  CHECK(read_all(*a).substr(0, 6) == "mapped");
}

TEST_CASE("files follow renames of themselves and of their directory while evicted",
          "[storage][env][file_budget]") {
  temp_dir dir;
  auto budget = std::make_shared<file_budget>(1);
  storage::posix_env env{budget};
  REQUIRE_FALSE(env.create_dirs(dir.file("p")));
  auto a = must_open(env, dir.file("p/a.log"), open_mode::write);
  REQUIRE_FALSE(a->write_at("data", 4, 0));
  auto other = must_open(env, dir.file("other"), open_mode::write);
  REQUIRE_FALSE(env.rename(dir.file("p"), dir.file("q")));
  REQUIRE_FALSE(a->write_at("DA", 2, 0));  // reopens q/a.log, never creates p/a.log
  CHECK_FALSE(std::filesystem::exists(dir.file("p/a.log")));
  CHECK(test::read_file(dir.file("q/a.log")) == "DAta");
  auto c = must_open(env, dir.file("c"), open_mode::write);
  REQUIRE_FALSE(env.rename(dir.file("q/a.log"), dir.file("q/b.log")));
  CHECK(read_all(*a) == "DAta");
  CHECK(a->path() == dir.file("p/a.log"));  // the name it was opened with
}

TEST_CASE("an unlinked or replaced file keeps its contents even if it was evicted",
          "[storage][env][file_budget]") {
  temp_dir dir;
  auto budget = std::make_shared<file_budget>(1);
  storage::posix_env env{budget};
  auto gone = must_open(env, dir.file("gone"), open_mode::write);
  REQUIRE_FALSE(gone->write_at("before", 6, 0));
  auto old = must_open(env, dir.file("old"), open_mode::write);  // evicts gone
  REQUIRE_FALSE(old->write_at("old", 3, 0));
  REQUIRE_FALSE(env.remove(dir.file("gone")));
  CHECK(budget->descriptors() == 1);  // gone reopened (to keep its contents), old evicted
  CHECK(read_all(*gone) == "before");
  REQUIRE_FALSE(gone->close());
  auto other = must_open(env, dir.file("other"), open_mode::write);  // evicts old
  REQUIRE_FALSE(env.replace_file(dir.file("old"), "new"));
  CHECK(read_all(*old) == "old");  // the file it opened, not the one now at its path
  CHECK(test::read_file(dir.file("old")) == "new");
  REQUIRE_FALSE(old->close());
  REQUIRE_FALSE(other->close());
  CHECK(budget->descriptors() == 0);
}

TEST_CASE("at the cap with no idle file an open is refused with the exact error",
          "[storage][env][file_budget]") {
  temp_dir dir;
  auto budget = std::make_shared<file_budget>(1);
  storage::posix_env env{budget};
  auto a = must_open(env, dir.file("a"), open_mode::write);
  REQUIRE_FALSE(env.remove(dir.file("a")));  // unlinked while open: keeps its descriptor
  auto b = env.open(dir.file("b"), open_mode::write);
  REQUIRE_FALSE(b);
  CHECK(b.error() == errc::storage_error);
  CHECK(describe(b.error())
        == "storage_error: open " + dir.file("b")
             + ": no file descriptor left for storage: all 1 of the node's 1 are in use "
               "(raise `ulimit -n` or host fewer partitions)");
  CHECK_FALSE(std::filesystem::exists(dir.file("b")));
  REQUIRE_FALSE(a->close());
  CHECK(env.open(dir.file("b"), open_mode::write));  // room again
}

TEST_CASE("an open that meets EMFILE evicts an idle file instead of failing",
          "[storage][env][file_budget]") {
  temp_dir dir;
  auto budget = std::make_shared<file_budget>();  // no cap of its own
  storage::posix_env env{budget};
  std::vector<std::unique_ptr<storage::file>> files;
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  int lowest_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(lowest_free >= 0);
  ::close(lowest_free);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(lowest_free) + 2;  // at most two more descriptors
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  for (int i = 0; i < 5; ++i) {
    auto f = env.open(dir.file("f" + std::to_string(i)), open_mode::write);
    if (!f)
      break;
    static_cast<void>((*f)->write_at("x", 1, 0));
    files.push_back(std::move(*f));
  }
  std::string first_read = files.empty() ? "" : read_all(*files[0]);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  CHECK(files.size() == 5);
  CHECK(budget->evictions() >= 3);
  CHECK(first_read == "x");
}

TEST_CASE("a node's storage files get what the open-file limit leaves after connections",
          "[storage][file_budget]") {
  CHECK(storage_files_within(20000, 10000) == 20000 - 10000 - 1250);
  CHECK(storage_files_within(1024, 500) == 1024 - 500 - 256);
  CHECK(storage_files_within(1024, 1000) == 64);
  CHECK(storage_files_within(INT64_MAX, 10000) == INT64_MAX);
}
