// The end-to-end benchmark's stamped records and the reading side's tally of them.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/metrics/e2e_tally.hpp"

using namespace cafka::metrics;

namespace {

std::string stamped(int64_t due_ns, uint64_t seq, size_t size = 100) {
  std::string v(size, 'x');
  e2e_tally::stamp(v, due_ns, seq);
  return v;
}

} // namespace

TEST_CASE("the e2e tally records a first copy's latency from its stamped due time",
          "[metrics]") {
  latency_recorder rec{"received", 100};
  e2e_tally tally{2, 10, 3, rec};
  auto v = stamped(1'000'000, 5);
  tally.receive(0, v.data(), v.size(), 1'000'000 + 2'500'000);
  CHECK(tally.unique() == 1);
  CHECK(rec.total().count() == 1);
  CHECK(rec.total().max() == 2500);
}

TEST_CASE("the e2e tally keeps warm-up records out of the run's total", "[metrics]") {
  latency_recorder rec{"received", 100};
  e2e_tally tally{1, 10, 3, rec};
  auto warm = stamped(0, 2);
  auto counted = stamped(0, 3);
  tally.receive(0, warm.data(), warm.size(), 7000);
  tally.receive(0, counted.data(), counted.size(), 9000);
  CHECK(tally.unique() == 2);
  CHECK(rec.recorded() == 2);
  CHECK(rec.total().count() == 1);
  CHECK(rec.total().max() == 9);
}

TEST_CASE("the e2e tally counts duplicates, foreign records and each partition's probe once",
          "[metrics]") {
  latency_recorder rec{"received", 16};
  e2e_tally tally{2, 4, 0, rec};
  auto r1 = stamped(0, 1, 16);
  tally.receive(1, r1.data(), r1.size(), 1000);
  tally.receive(0, r1.data(), r1.size(), 2000);  // the same record again
  auto beyond = stamped(0, 4, 16);                // not a sequence number of this run
  tally.receive(0, beyond.data(), beyond.size(), 1000);
  std::string short_value(15, 'x');
  tally.receive(0, short_value.data(), short_value.size(), 1000);
  auto probe = stamped(0, e2e_tally::probe_seq, 16);
  tally.receive(1, probe.data(), probe.size(), 1000);
  tally.receive(1, probe.data(), probe.size(), 1000);
  CHECK(tally.probed() == 1);
  tally.receive(0, probe.data(), probe.size(), 1000);
  tally.receive(7, probe.data(), probe.size(), 1000);  // no such partition: ignored
  CHECK(tally.probed() == 2);
  CHECK(tally.unique() == 1);
  CHECK(tally.duplicates() == 1);
  CHECK(tally.foreign() == 2);
  CHECK(rec.recorded() == 1);
}

TEST_CASE("the e2e tally's outcome counts the run's records that never came as missing",
          "[metrics]") {
  latency_recorder rec{"received", 16};
  e2e_tally tally{1, 5, 0, rec};
  for (uint64_t seq : {0, 2, 2, 4}) {
    auto v = stamped(0, seq, 16);
    tally.receive(0, v.data(), v.size(), 1000);
  }
  auto x = tally.outcome(5, 0.5, 1);
  CHECK(x.sent == 5);
  CHECK(x.send_secs == 0.5);
  CHECK(x.received == 3);
  CHECK(x.missing == 2);
  CHECK(x.duplicated == 1);
  CHECK(x.failed == 1);
  CHECK(x.foreign == 0);
}
