// The rules of `cafka groups reset-offsets` (runtime/group/offset_reset.hpp): each target,
// clamped to the log, and the ISO 8601 times of --to-datetime.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/group/offset_reset.hpp"

using namespace cafka;
using namespace cafka::group;

namespace {

partition_position pos(int64_t start, int64_t end, std::optional<int64_t> committed = {},
                       std::optional<int64_t> at_time = {}) {
  partition_position p;
  p.log_start = log_offset{start};
  p.log_end = log_offset{end};
  if (committed)
    p.committed = log_offset{*committed};
  if (at_time)
    p.at_time = log_offset{*at_time};
  return p;
}

int64_t target(reset_kind k, int64_t v, const partition_position& p) {
  return reset_target(reset_spec{k, v}, p).value;
}

} // namespace

TEST_CASE("reset targets go to the log's bounds, an offset, a shift or a time",
          "[group][reset]") {
  auto p = pos(5, 20, 12, 9);
  CHECK(target(reset_kind::to_earliest, 0, p) == 5);
  CHECK(target(reset_kind::to_latest, 0, p) == 20);
  CHECK(target(reset_kind::to_offset, 7, p) == 7);
  CHECK(target(reset_kind::shift_by, -3, p) == 9);
  CHECK(target(reset_kind::shift_by, 4, p) == 16);
  CHECK(target(reset_kind::to_datetime, 0, p) == 9);
}

TEST_CASE("reset targets are clamped to the log start and the log end", "[group][reset]") {
  auto p = pos(5, 20, 12);
  CHECK(target(reset_kind::to_offset, 2, p) == 5);
  CHECK(target(reset_kind::to_offset, 99, p) == 20);
  CHECK(target(reset_kind::shift_by, -100, p) == 5);
  CHECK(target(reset_kind::shift_by, 100, p) == 20);
  CHECK(target(reset_kind::shift_by, INT64_MAX, p) == 20);
  CHECK(target(reset_kind::shift_by, INT64_MIN, p) == 5);
}

TEST_CASE("a shift without a committed offset starts at the log end, and a time past every "
          "record goes to the log end",
          "[group][reset]") {
  CHECK(target(reset_kind::shift_by, -4, pos(0, 10)) == 6);
  CHECK(target(reset_kind::to_datetime, 0, pos(0, 10)) == 10);
}

TEST_CASE("ISO 8601 times are read in UTC or with their zone", "[group][reset]") {
  CHECK(*parse_iso8601_ms("1970-01-01T00:00:00") == 0);
  CHECK(*parse_iso8601_ms("2024-02-29T12:34:56.789Z") == 1709210096789);
  CHECK(*parse_iso8601_ms("2024-02-29T14:34:56.789+02:00") == 1709210096789);
  CHECK(*parse_iso8601_ms("2024-02-29T10:04:56.7-0230") == 1709210096700);
  for (auto bad : {"2023-02-29T00:00:00", "2024-13-01T00:00:00", "2024-01-01 00:00:00",
                   "2024-01-01T24:00:00", "2024-01-01T00:00:00+", "2024-01-01T00:00:00.",
                   "yesterday", ""}) {
    auto r = parse_iso8601_ms(bad);
    REQUIRE_FALSE(r);
    CHECK(errc_of(r.error()) == errc::invalid_request);
  }
}
