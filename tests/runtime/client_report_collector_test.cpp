// Tests of the report collector of a batch send: one hand-over, in the records' order, with
// each record's opaque.

#include <catch2/catch.hpp>

#include <vector>

#include "runtime/client/report_collector.hpp"

using namespace cafka;

TEST_CASE("a batch's reports are handed over once, in record order", "[client]") {
  std::vector<std::vector<delivery_report>> calls;
  report_collector c{3, [&](std::vector<delivery_report>& reps) { calls.push_back(reps); }};
  auto report = [](int64_t offset, uint64_t opaque) {
    return delivery_report{topic_partition{"t", partition_id{0}}, log_offset{offset},
                           caf::error{}, opaque};
  };
  c.set(2, report(12, 102));
  c.set(0, report(10, 100));
  CHECK(calls.empty());
  c.set(1, report(11, 101));
  REQUIRE(calls.size() == 1);
  REQUIRE(calls[0].size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(calls[0][i].offset == log_offset{static_cast<int64_t>(10 + i)});
    CHECK(calls[0][i].opaque == 100 + i);
  }
}

TEST_CASE("an empty batch is answered at once", "[client]") {
  int calls = 0;
  report_collector c{0, [&](std::vector<delivery_report>& reps) {
    CHECK(reps.empty());
    ++calls;
  }};
  CHECK(calls == 1);
}
