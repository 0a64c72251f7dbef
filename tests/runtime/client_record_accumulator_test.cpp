// Tests of the producer's record accumulator: linger, batch.size, drain(all), sticky
// partitions, callback order and buffer.memory back-pressure on appending threads.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/client/record_accumulator.hpp"
#include "cafka/eventually.hpp"
#include "tests/runtime/accumulator_test_util.hpp"
#include "runtime/protocol/record_batch.hpp"

using namespace cafka;
using cafka::test::eventually;
using cafka::test::stays_false;
using namespace std::chrono_literals;

namespace {

topic_partition tp(const std::string& topic, int32_t p) {
  return topic_partition{topic, partition_id{p}};
}

const std::vector<record_header> no_headers;

// Appends a keyed record without a callback.
// block: wait for buffer memory (as the facade does, up to a bound no test reaches).
bool add(record_accumulator& acc, const topic_partition& where, int64_t ts,
         const std::string& value, bool block = false) {
  std::optional<std::chrono::milliseconds> max_block;
  if (block)
    max_block = std::chrono::minutes{10};
  return acc
    .append(where, ts, std::string_view{"k"}, std::string_view{value}, no_headers,
            delivery_callback{}, max_block)
    .wake;
}

std::vector<std::string> values_of(const ready_batch& rb) {
  REQUIRE_FALSE(validate_batch(rb.bytes));
  std::vector<record> recs;
  REQUIRE_FALSE(decode_records(rb.bytes, recs));
  std::vector<std::string> out;
  for (auto& r : recs)
    out.push_back(r.value);
  return out;
}

} // namespace

TEST_CASE("a batch is not drained before its linger expires, and is after", "[client]") {
  record_accumulator acc{16384, 100, 1 << 20};
  auto t0 = tp("t", 0);
  CHECK(add(acc, t0, 1000, "a"));        // opens a batch: wake the producer
  CHECK_FALSE(add(acc, t0, 1010, "b"));  // same batch, a wake is already pending
  CHECK(acc.take_wake());
  CHECK_FALSE(acc.take_wake());
  CHECK(acc.open_records() == 2);

  int64_t deadline = 0;
  CHECK(acc.drain(1000, false, deadline).empty());
  CHECK(deadline == 1100);
  CHECK(acc.drain(1099, false, deadline).empty());
  CHECK(deadline == 1100);
  CHECK(acc.open_records() == 2);

  auto out = acc.drain(1100, false, deadline);
  REQUIRE(out.size() == 1);
  CHECK(deadline == -1);
  CHECK(out[0].tp == t0);
  CHECK(out[0].record_count == 2);
  CHECK(values_of(out[0]) == std::vector<std::string>{"a", "b"});
  CHECK(acc.open_records() == 0);
  CHECK(acc.drain(5000, false, deadline).empty());
  CHECK(deadline == -1);

  // After a drain the next record opens a new batch and asks for a wake again.
  CHECK(add(acc, t0, 2000, "c"));
}

TEST_CASE("a batch its sender cannot take stays open, keeps filling and sets no deadline",
          "[client]") {
  record_accumulator acc{16384, 0, 1 << 20};  // linger.ms 0
  auto t0 = tp("t", 0);
  auto t1 = tp("t", 1);
  add(acc, t0, 1000, "a");
  add(acc, t1, 1000, "x");
  bool t0_busy = true;
  auto may_drain = [&](const topic_partition& p) { return !(p == t0 && t0_busy); };
  int64_t deadline = 0;
  auto out = acc.drain(1000, false, deadline, {}, may_drain);
  REQUIRE(out.size() == 1);
  CHECK(out[0].tp == t1);
  CHECK(deadline == -1);  // t0's linger passed, but nothing is due until its sender frees up
  CHECK_FALSE(add(acc, t0, 1001, "b"));  // joins the held batch: no wake
  CHECK(acc.drain(1002, true, deadline, {}, may_drain).empty());  // not even when flushing
  CHECK(acc.open_records() == 2);
  t0_busy = false;
  out = acc.drain(1003, false, deadline, {}, may_drain);
  REQUIRE(out.size() == 1);
  CHECK(out[0].tp == t0);
  CHECK(values_of(out[0]) == std::vector<std::string>{"a", "b"});
  CHECK(acc.open_records() == 0);
}

TEST_CASE("next_deadline is the oldest remaining batch's linger expiry", "[client]") {
  record_accumulator acc{16384, 100, 1 << 20};
  add(acc, tp("t", 0), 1000, "x");
  add(acc, tp("t", 1), 1030, "y");
  add(acc, tp("u", 0), 1060, "z");
  int64_t deadline = 0;
  CHECK(acc.drain(1050, false, deadline).empty());
  CHECK(deadline == 1100);

  auto out = acc.drain(1100, false, deadline);
  REQUIRE(out.size() == 1);
  CHECK(out[0].tp == tp("t", 0));
  CHECK(deadline == 1130);

  out = acc.drain(1159, false, deadline);
  REQUIRE(out.size() == 1);
  CHECK(out[0].tp == tp("t", 1));
  CHECK(deadline == 1160);

  out = acc.drain(1160, false, deadline);
  REQUIRE(out.size() == 1);
  CHECK(out[0].tp == tp("u", 0));
  CHECK(deadline == -1);
}

TEST_CASE("drain(all) closes every open batch regardless of linger", "[client]") {
  record_accumulator acc{16384, 60000, 1 << 20};
  add(acc, tp("t", 0), 1000, "a");
  add(acc, tp("t", 1), 1000, "b");
  add(acc, tp("t", 1), 1001, "c");
  int64_t deadline = 0;
  CHECK(acc.drain(1001, false, deadline).empty());
  CHECK(deadline == 61000);
  auto out = acc.drain(1001, true, deadline);
  REQUIRE(out.size() == 2);
  CHECK(deadline == -1);
  int total = 0;
  for (auto& rb : out)
    total += rb.record_count;
  CHECK(total == 3);
  CHECK(acc.open_records() == 0);
}

TEST_CASE("batch.size closes a full batch, asks for a wake, and the next drain sends it",
          "[client]") {
  constexpr size_t batch_size = 400;
  record_accumulator acc{batch_size, 60000, 1 << 20};
  auto t0 = tp("t", 0);
  const std::string value(50, 'v');
  REQUIRE(add(acc, t0, 1000, value + "0"));
  REQUIRE(acc.take_wake());

  int appended = 1;
  bool woke = false;
  while (!woke && appended < 100) {
    woke = add(acc, t0, 1000, value + std::to_string(appended));
    ++appended;
  }
  REQUIRE(woke);
  REQUIRE(appended > 2);
  CHECK(acc.open_records() == static_cast<size_t>(appended));

  // The linger is far away, yet the full batch is drained; the new one stays open.
  int64_t deadline = 0;
  auto out = acc.drain(1000, false, deadline);
  REQUIRE(out.size() == 1);
  CHECK(deadline == 61000);
  auto& full = out[0];
  CHECK(full.tp == t0);
  CHECK(full.record_count == appended - 1);
  CHECK(full.bytes.size() <= batch_size);
  auto vals = values_of(full);
  REQUIRE(vals.size() == static_cast<size_t>(appended - 1));
  for (size_t i = 0; i < vals.size(); ++i)
    CHECK(vals[i] == value + std::to_string(i));
  CHECK(acc.open_records() == 1);

  out = acc.drain(1000, true, deadline);
  REQUIRE(out.size() == 1);
  CHECK(values_of(out[0]) == std::vector<std::string>{value + std::to_string(appended - 1)});
}

TEST_CASE("a record larger than batch.size still gets a batch of its own", "[client]") {
  record_accumulator acc{100, 60000, 1 << 20};
  auto t0 = tp("t", 0);
  const std::string big(500, 'b');
  add(acc, t0, 1000, big);
  add(acc, t0, 1000, "small"); // closes the oversize batch
  int64_t deadline = 0;
  auto out = acc.drain(1000, false, deadline);
  REQUIRE(out.size() == 1);
  CHECK(out[0].record_count == 1);
  CHECK(values_of(out[0]) == std::vector<std::string>{big});
  out = acc.drain(1000, true, deadline);
  REQUIRE(out.size() == 1);
  CHECK(values_of(out[0]) == std::vector<std::string>{"small"});
}

TEST_CASE("callbacks stay in record order across batches", "[client]") {
  record_accumulator acc{300, 60000, 1 << 20};
  auto t0 = tp("t", 0);
  std::vector<int> order;
  constexpr int n = 20;
  for (int i = 0; i < n; ++i) {
    auto value = "value-" + std::to_string(i) + std::string(20, '.');
    acc.append(t0, 1000 + i, std::string_view{"key"}, std::string_view{value}, no_headers,
               [&order, i](const delivery_report&) { order.push_back(i); }, std::nullopt);
  }
  int64_t deadline = 0;
  auto out = acc.drain(1000, true, deadline);
  REQUIRE(out.size() > 1); // batch.size split them
  int64_t offset = 0;
  int records = 0;
  for (auto& rb : out) {
    REQUIRE(rb.callbacks.size() == static_cast<size_t>(rb.record_count));
    for (auto& cb : rb.callbacks) {
      REQUIRE(cb);
      cb(delivery_report{rb.tp, log_offset{offset++}, caf::error{}});
    }
    records += rb.record_count;
  }
  CHECK(records == n);
  std::vector<int> expected;
  for (int i = 0; i < n; ++i)
    expected.push_back(i);
  CHECK(order == expected);
}

TEST_CASE("the sticky partition moves on when its batch is closed", "[client]") {
  record_accumulator acc{400, 100, 1 << 20};
  const std::string topic = "sticky";
  auto p = acc.sticky_partition(topic, 3);
  CHECK(p == partition_id{0});
  CHECK(acc.sticky_partition(topic, 3) == partition_id{0}); // sticky while the batch is open
  add(acc, topic_partition{topic, p}, 1000, "a");
  CHECK(acc.sticky_partition(topic, 3) == partition_id{0});

  // Closed by linger.
  int64_t deadline = 0;
  REQUIRE(acc.drain(1100, false, deadline).size() == 1);
  CHECK(acc.sticky_partition(topic, 3) == partition_id{1});

  // Closing another partition's batch does not move it.
  add(acc, tp(topic, 2), 2000, "other");
  REQUIRE(acc.drain(2000, true, deadline).size() == 1);
  CHECK(acc.sticky_partition(topic, 3) == partition_id{1});

  // Closed because it is full.
  const std::string value(60, 'v');
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    add(acc, tp(topic, 1), 3000, value);
    acc.take_wake();
    closed = acc.sticky_partition(topic, 3) != partition_id{1};
  }
  REQUIRE(closed);
  CHECK(acc.sticky_partition(topic, 3) == partition_id{2});
  REQUIRE_FALSE(acc.drain(3000, true, deadline).empty()); // closes partition 1's new batch

  // Wraps around after the last partition.
  add(acc, tp(topic, 2), 4000, "w");
  REQUIRE(acc.drain(4000, true, deadline).size() == 1);
  CHECK(acc.sticky_partition(topic, 3) == partition_id{0});

  // Another topic has its own sticky partition, always in range.
  auto q = acc.sticky_partition("another", 2);
  CHECK(q >= partition_id{0});
  CHECK(q < partition_id{2});
}

TEST_CASE("a blocking append waits until release() frees buffer memory",
          "[client]") {
  const std::string value(100, 'v');
  record_accumulator acc{16384, 60000, 150};
  auto t0 = tp("t", 0);
  add(acc, t0, 1000, value, true); // nothing in use yet: does not block
  // Now buffer.memory is used up. A non-blocking append still goes through.
  add(acc, tp("t", 1), 1000, value, false);
  add(acc, t0, 1000, value, false);
  CHECK(acc.open_records() == 3);

  std::atomic<bool> done{false};
  std::thread appender{[&] {
    add(acc, t0, 1000, "late", true);
    done = true;
  }};
  cafka::test::release_and_join join_at_exit{acc, appender};

  // The appender is seen waiting for memory (not merely not started), and stays there.
  REQUIRE(eventually([&] { return acc.waiting_appends() == 1; }));
  CHECK(stays_false([&] { return done.load(); }));
  CHECK(acc.open_records() == 3);

  // Draining alone frees nothing: the bytes are in flight until their batch completes.
  int64_t deadline = 0;
  auto out = acc.drain(1000, true, deadline);
  REQUIRE(out.size() == 2);
  CHECK(stays_false([&] { return done.load(); }, 100ms));
  CHECK(acc.waiting_appends() == 1);

  for (auto& rb : out)
    acc.release(rb.bytes.size());
  REQUIRE(eventually([&] { return done.load(); }));
  CHECK(acc.open_records() == 1);
}

TEST_CASE("a blocked append stays blocked while in-flight batches still fill the buffer",
          "[client]") {
  // The size of a batch holding one such record, header included.
  const std::string value(100, 'v');
  batch_builder probe;
  probe.append(1000, std::string_view{"k"}, std::string_view{value});
  const size_t one_batch = probe.size_bytes();

  // buffer.memory holds exactly one one-record batch: with two in flight it is full, and
  // after one of them completes (release of its bytes) it is still full.
  record_accumulator acc{16384, 60000, one_batch};
  add(acc, tp("t", 0), 1000, value, true);
  add(acc, tp("t", 1), 1000, value, false);
  int64_t deadline = 0;
  auto out = acc.drain(1000, true, deadline);
  REQUIRE(out.size() == 2);

  std::atomic<bool> done{false};
  std::thread appender{[&] {
    add(acc, tp("t", 2), 1000, "late", true);
    done = true;
  }};
  cafka::test::release_and_join join_at_exit{acc, appender};

  // The appender is seen waiting for memory (not merely not started).
  REQUIRE(eventually([&] { return acc.waiting_appends() == 1; }));
  acc.release(out[0].bytes.size());
  // One batch of one_batch bytes is still in flight: the buffer is still full.
  CHECK(stays_false([&] { return done.load(); }));
  CHECK(acc.waiting_appends() == 1);
  acc.release(out[1].bytes.size());
  REQUIRE(eventually([&] { return done.load(); }));
  CHECK(acc.waiting_appends() == 0);
}

TEST_CASE("drain stamps producer fields in batch creation order, full batches first",
          "[client][idempotence]") {
  record_accumulator acc{200, 1000, 1 << 20};
  auto t0 = tp("t", 0);
  auto t1 = tp("t", 1);
  // Two full batches of t0 are closed by appends; one open batch each for t0 and t1.
  std::string big(120, 'x');
  add(acc, t0, 1000, big + "0");
  add(acc, t0, 1000, big + "1"); // closes batch 0
  add(acc, t1, 1000, "t1");
  add(acc, t0, 1000, big + "2"); // closes batch 1
  std::vector<std::pair<topic_partition, int32_t>> asked;
  std::map<topic_partition, int32_t> next;
  auto stamp = [&](const topic_partition& where, int32_t records) {
    asked.emplace_back(where, records);
    auto seq = next[where];
    next[where] += records;
    return producer_stamp{producer_id{42}, producer_epoch{0}, seq};
  };
  int64_t deadline = 0;
  auto batches = acc.drain(1000, true, deadline, stamp);
  REQUIRE(batches.size() == 4);
  REQUIRE(asked.size() == 4);
  std::map<topic_partition, std::vector<std::string>> order;
  for (size_t i = 0; i < batches.size(); ++i) {
    auto& rb = batches[i];
    REQUIRE_FALSE(validate_batch(rb.bytes)); // the CRC covers the stamped fields
    batch_header h;
    REQUIRE(read_batch_header(rb.bytes.data(), rb.bytes.size(), h));
    CHECK(h.producer_id == producer_id{42});
    CHECK(h.producer_epoch == producer_epoch{0});
    CHECK(h.base_sequence == rb.stamp.base_sequence);
    CHECK(rb.tp == asked[i].first);
    CHECK(rb.drained_ms == 1000);
    order[rb.tp].push_back(values_of(rb).front());
  }
  // Per partition: sequences follow the order the batches were created in.
  CHECK(order[t0] == std::vector<std::string>{big + "0", big + "1", big + "2"});
  CHECK(next[t0] == 3);
  CHECK(next[t1] == 1);
}

TEST_CASE("abort_all closes every batch unstamped so its records can be failed",
          "[client][idempotence]") {
  record_accumulator acc{16384, 1000, 1 << 20};
  add(acc, tp("t", 0), 1000, "a");
  add(acc, tp("t", 1), 1000, "b");
  auto batches = acc.abort_all(1000);
  REQUIRE(batches.size() == 2);
  for (auto& rb : batches) {
    batch_header h;
    REQUIRE(read_batch_header(rb.bytes.data(), rb.bytes.size(), h));
    CHECK(h.producer_id == no_producer_id);
  }
  CHECK(acc.open_records() == 0);
}
