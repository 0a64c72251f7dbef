// Tests of file_handle (the descriptor class posix_env is built on) and the POSIX helpers
// fsync_dir and atomic_replace_file.

#include <catch2/catch.hpp>

#include <fcntl.h>

#include <filesystem>
#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/storage/file_handle.hpp"
#include "tests/runtime/storage_test_util.hpp"

using namespace cafka;
// <fcntl.h> declares a global `struct file_handle` (name_to_handle_at): always qualify ours.
using cafka::test::temp_dir;

TEST_CASE("file_handle writes, reads, truncates and reports sizes", "[storage]") {
  temp_dir dir;
  auto f = cafka::file_handle::open(dir.file("a.bin"), O_RDWR | O_CREAT, 0644);
  REQUIRE(f);
  CHECK(f->is_open());
  REQUIRE(!f->write_at("hello world", 11, 0));
  REQUIRE(!f->write_at("HELLO", 5, 0));
  CHECK(*f->size() == 11);
  char buf[32] = {};
  auto n = f->read_at(buf, sizeof(buf), 0);
  REQUIRE(n);
  CHECK(*n == 11);  // short only at end of file
  CHECK(std::string(buf, *n) == "HELLO world");
  n = f->read_at(buf, 5, 6);
  REQUIRE(n);
  CHECK(std::string(buf, *n) == "world");
  REQUIRE(!f->truncate(5));
  CHECK(*f->size() == 5);
  REQUIRE(!f->sync());
  REQUIRE(!f->close());
  CHECK(!f->is_open());
  CHECK(!f->close());  // idempotent
}

TEST_CASE("file_handle append writes at the end of an O_APPEND file", "[storage]") {
  temp_dir dir;
  auto f = cafka::file_handle::open(dir.file("b.bin"), O_WRONLY | O_CREAT | O_APPEND, 0644);
  REQUIRE(f);
  REQUIRE(!f->append("abc", 3));
  REQUIRE(!f->append("def", 3));
  CHECK(test::read_file(dir.file("b.bin")) == "abcdef");
  cafka::file_handle moved = std::move(*f);
  CHECK(moved.is_open());
  CHECK(!f->is_open());
}

TEST_CASE("file_handle open failures are storage errors with the path", "[storage]") {
  temp_dir dir;
  auto f = cafka::file_handle::open(dir.file("missing/x.bin"), O_RDONLY);
  REQUIRE(!f);
  CHECK(errc_of(f.error()) == errc::storage_error);
  CHECK(describe(f.error()).find("missing/x.bin") != std::string::npos);
}

TEST_CASE("atomic_replace_file replaces contents and leaves no temp file", "[storage]") {
  temp_dir dir;
  auto path = dir.file("meta");
  REQUIRE(!atomic_replace_file(path, "first"));
  CHECK(test::read_file(path) == "first");
  REQUIRE(!atomic_replace_file(path, "second, longer"));
  CHECK(test::read_file(path) == "second, longer");
  CHECK(!std::filesystem::exists(path + ".tmp"));
  CHECK(!fsync_dir(dir.str()));
  CHECK(errc_of(fsync_dir(dir.file("nope"))) == errc::storage_error);
  CHECK(errc_of(atomic_replace_file(dir.file("nope/meta"), "x")) == errc::storage_error);
}
