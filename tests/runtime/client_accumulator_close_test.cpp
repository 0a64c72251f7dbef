// Tests of the producer's record accumulator at its limits: max.block.ms bounds the wait for
// buffer.memory, and close() refuses later appends, also those blocked at that moment.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <limits>
#include <string>
#include <thread>

#include "runtime/client/record_accumulator.hpp"
#include "cafka/eventually.hpp"
#include "tests/runtime/accumulator_test_util.hpp"

using namespace cafka;
using cafka::test::eventually;
using cafka::test::stays_false;
using namespace std::chrono_literals;

namespace {

const std::vector<record_header> no_headers;

append_status add(record_accumulator& acc, int32_t partition, const std::string& value,
                  std::optional<std::chrono::milliseconds> max_block) {
  return acc
    .append(topic_partition{"t", partition_id{partition}}, 1000, std::nullopt,
            std::string_view{value}, no_headers, delivery_callback{}, max_block)
    .status;
}

} // namespace

TEST_CASE("an append waits at most max.block.ms for buffer memory", "[client]") {
  const std::string value(100, 'v');
  record_accumulator acc{16384, 60000, 150};
  REQUIRE(add(acc, 0, value, 1000ms) == append_status::appended);
  // buffer.memory is used up now.
  auto start = std::chrono::steady_clock::now();
  CHECK(add(acc, 0, value, 300ms) == append_status::timed_out);
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 300ms);
  CHECK(waited < 5s);
  CHECK(add(acc, 1, value, 0ms) == append_status::timed_out);  // max.block.ms 0: no wait
  CHECK(acc.open_records() == 1);  // the refused records are not in it
  // Without a bound (the producer actor's own appends) it neither waits nor fails.
  CHECK(add(acc, 1, value, std::nullopt) == append_status::appended);
  CHECK(acc.open_records() == 2);
}

TEST_CASE("close refuses later appends and wakes blocked ones, keeping what it holds",
          "[client]") {
  const std::string value(100, 'v');
  record_accumulator acc{16384, 60000, 150};
  REQUIRE(add(acc, 0, value, 1000ms) == append_status::appended);
  std::atomic<bool> done{false};
  append_status blocked = append_status::appended;
  std::thread appender{[&] {
    blocked = add(acc, 0, value, std::chrono::milliseconds{60000});
    done = true;
  }};
  cafka::test::release_and_join join_at_exit{acc, appender};
  // The appender is seen waiting for memory (not merely not started), and stays there.
  REQUIRE(eventually([&] { return acc.waiting_appends() == 1; }));
  CHECK(stays_false([&] { return done.load(); }));
  CHECK_FALSE(acc.closed());

  acc.close();
  REQUIRE(eventually([&] { return done.load(); }));
  CHECK(blocked == append_status::closed);
  CHECK(acc.closed());
  CHECK(add(acc, 1, "late", std::nullopt) == append_status::closed);
  CHECK(add(acc, 1, "late", 1000ms) == append_status::closed);
  // The record appended before close is still there to be drained and reported.
  CHECK(acc.open_records() == 1);
  int64_t deadline = 0;
  auto out = acc.drain(1000, true, deadline);
  REQUIRE(out.size() == 1);
  CHECK(out[0].record_count == 1);
}
