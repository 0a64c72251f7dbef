// Tests of the storage file-system seam on the real disk (storage::posix_env): every file and
// directory operation round-trips, errors are storage_errors naming the path, and the helpers
// (replace_file, read_file) leave no temporary file behind.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/storage/posix_env.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
using cafka::storage::open_mode;
using cafka::test::temp_dir;

namespace {

std::vector<std::string> names(const std::vector<storage::dir_entry>& entries) {
  std::vector<std::string> out;
  for (auto& e : entries)
    out.push_back(e.name);
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("a posix_env file writes, reads, truncates, syncs and reports its size",
          "[storage][env]") {
  temp_dir dir;
  storage::posix_env env;
  auto f = env.open(dir.file("a.bin"), open_mode::write);
  REQUIRE(f);
  CHECK((*f)->path() == dir.file("a.bin"));
  CHECK((*f)->is_open());
  REQUIRE_FALSE((*f)->write_at("hello world", 11, 0));
  REQUIRE_FALSE((*f)->write_at("HELLO", 5, 0));
  CHECK(*(*f)->size() == 11);
  char buf[32] = {};
  auto n = (*f)->read_at(buf, sizeof(buf), 0);
  REQUIRE(n);
  CHECK(*n == 11);  // short only at the end of the file
  CHECK(std::string(buf, *n) == "HELLO world");
  REQUIRE_FALSE((*f)->truncate(5));
  CHECK(*(*f)->size() == 5);
  REQUIRE_FALSE((*f)->sync());
  REQUIRE_FALSE((*f)->close());
  CHECK_FALSE((*f)->is_open());
  CHECK_FALSE((*f)->close());  // idempotent
  CHECK(test::read_file(dir.file("a.bin")) == "HELLO");
}

TEST_CASE("posix_env open modes: read needs the file, truncate empties it, append adds at the "
          "end",
          "[storage][env]") {
  temp_dir dir;
  storage::posix_env env;
  auto path = dir.file("m.bin");
  auto missing = env.open(path, open_mode::read);
  REQUIRE_FALSE(missing);
  CHECK(errc_of(missing.error()) == errc::storage_error);
  CHECK(describe(missing.error()).find(path) != std::string::npos);
  {
    auto w = env.open(path, open_mode::write);
    REQUIRE(w);
    REQUIRE_FALSE((*w)->write_at("abc", 3, 0));
  }
  {
    auto a = env.open(path, open_mode::append);
    REQUIRE(a);
    REQUIRE_FALSE((*a)->append("def", 3));
    REQUIRE_FALSE((*a)->append("gh", 2));
  }
  CHECK(test::read_file(path) == "abcdefgh");
  {
    auto r = env.open(path, open_mode::read);
    REQUIRE(r);
    char c = 0;
    CHECK(errc_of((*r)->write_at("x", 1, 0)) == errc::storage_error);  // read only
    REQUIRE(*(*r)->read_at(&c, 1, 7) == 1);
    CHECK(c == 'h');
  }
  {
    auto t = env.open(path, open_mode::truncate);
    REQUIRE(t);
    CHECK(*(*t)->size() == 0);
  }
  CHECK(test::read_file(path).empty());
}

TEST_CASE("a posix_env mapping reads and writes the file's bytes and syncs them",
          "[storage][env]") {
  temp_dir dir;
  storage::posix_env env;
  auto path = dir.file("map.bin");
  auto f = env.open(path, open_mode::write);
  REQUIRE(f);
  REQUIRE_FALSE((*f)->truncate(16));
  REQUIRE_FALSE((*f)->write_at("0123", 4, 0));
  auto m = (*f)->map(16);
  REQUIRE(m);
  CHECK((*m)->size() == 16);
  CHECK(std::string((*m)->data(), 4) == "0123");
  std::memcpy((*m)->data() + 4, "abcd", 4);
  REQUIRE_FALSE((*m)->sync());
  char buf[8] = {};
  REQUIRE(*(*f)->read_at(buf, 8, 0) == 8);
  CHECK(std::string(buf, 8) == "0123abcd");
  REQUIRE_FALSE((*f)->close());
  CHECK(std::string((*m)->data(), 8) == "0123abcd");  // valid after the file is closed
  m->reset();
  auto empty = env.open(dir.file("e.bin"), open_mode::write);
  REQUIRE(empty);
  auto none = (*empty)->map(0);
  REQUIRE_FALSE(none);
  CHECK(errc_of(none.error()) == errc::storage_error);
}

TEST_CASE("posix_env renames, removes, lists and creates directories", "[storage][env]") {
  temp_dir dir;
  storage::posix_env env;
  auto nested = dir.file("x/y/z");
  REQUIRE_FALSE(env.create_dirs(nested));
  CHECK(std::filesystem::is_directory(nested));
  REQUIRE_FALSE(env.create_dirs(nested));  // existing: fine
  REQUIRE_FALSE(env.replace_file(dir.file("x/f1"), "one"));
  REQUIRE_FALSE(env.replace_file(dir.file("x/f2"), "two"));
  auto listed = env.list_dir(dir.file("x"));
  REQUIRE(listed);
  CHECK(names(*listed) == std::vector<std::string>{"f1", "f2", "y"});
  for (auto& e : *listed) {
    CHECK(e.is_dir == (e.name == "y"));
    CHECK(e.is_file == (e.name != "y"));
  }
  auto not_dir = env.create_dirs(dir.file("x/f1"));
  CHECK(errc_of(not_dir) == errc::storage_error);
  CHECK(describe(not_dir).find("x/f1") != std::string::npos);

  REQUIRE_FALSE(env.rename(dir.file("x/f1"), dir.file("x/f2")));
  CHECK(test::read_file(dir.file("x/f2")) == "one");
  CHECK_FALSE(*env.exists(dir.file("x/f1")));
  CHECK(errc_of(env.rename(dir.file("x/f1"), dir.file("x/f3"))) == errc::storage_error);
  REQUIRE_FALSE(env.remove(dir.file("x/f2")));
  CHECK_FALSE(*env.exists(dir.file("x/f2")));
  CHECK_FALSE(env.remove(dir.file("x/f2")));  // missing: fine
  REQUIRE_FALSE(env.sync_dir(dir.file("x")));
  CHECK(errc_of(env.sync_dir(dir.file("nope"))) == errc::storage_error);
  auto gone = env.list_dir(dir.file("nope"));
  REQUIRE_FALSE(gone);
  CHECK(errc_of(gone.error()) == errc::storage_error);
  REQUIRE_FALSE(env.remove_all(dir.file("x")));
  CHECK_FALSE(*env.exists(dir.file("x")));
  CHECK_FALSE(env.remove_all(dir.file("x")));  // missing: fine
}

TEST_CASE("replace_file swaps contents without a temporary file left, read_file reads them "
          "back or says the file is missing",
          "[storage][env]") {
  temp_dir dir;
  storage::posix_env env;
  auto path = dir.file("meta");
  auto none = env.read_file(path);
  REQUIRE(none);
  CHECK_FALSE(*none);
  REQUIRE_FALSE(env.replace_file(path, "first"));
  REQUIRE_FALSE(env.replace_file(path, "second, longer"));
  auto back = env.read_file(path);
  REQUIRE(back);
  REQUIRE(*back);
  CHECK(**back == "second, longer");
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  auto bad = env.replace_file(dir.file("nope/meta"), "x");
  CHECK(errc_of(bad) == errc::storage_error);
  CHECK(describe(bad).find("nope/meta.tmp") != std::string::npos);
}
