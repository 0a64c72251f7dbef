// Tests of a partition's send queue in the producer: FIFO with bounded retries for a plain
// producer; for an idempotent one the sequence stamps, the window of 5 unacknowledged
// batches, the in-order resend with the original bytes, the retriable out_of_order_sequence,
// the epoch bump after a lost sequence, and the delivery timeout.
#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <vector>

#include <caf/sec.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/client/client_config.hpp"
#include "runtime/client/send_queue.hpp"
#include "runtime/protocol/record_batch.hpp"

using namespace cafka;

namespace {

const topic_partition tp0{"t", partition_id{0}};

send_queue_config idem_config(int32_t max_in_flight = 5) {
  send_queue_config c;
  c.idempotent = true;
  c.producer_id = producer_id{42};
  c.max_in_flight = max_in_flight;
  c.retry_backoff_ms = 100;
  c.delivery_timeout_ms = 10000;
  return c;
}

// A drained batch of `records` records; stamped from q if it is idempotent.
ready_batch make(send_queue& q, bool idempotent, int records, int64_t now = 0) {
  batch_builder b;
  for (int i = 0; i < records; ++i)
    b.append(1000, std::nullopt, std::string_view{"v"});
  ready_batch rb;
  rb.tp = tp0;
  rb.record_count = records;
  if (idempotent) {
    rb.stamp = q.next_stamp(records);
    b.set_producer(rb.stamp.producer_id, rb.stamp.producer_epoch, rb.stamp.base_sequence);
  }
  rb.bytes = b.finish();
  rb.drained_ms = now;
  return rb;
}

batch_header header(const ready_batch& rb) {
  batch_header h;
  REQUIRE_FALSE(validate_batch(rb.bytes));
  REQUIRE(read_batch_header(rb.bytes.data(), rb.bytes.size(), h));
  return h;
}

const caf::error not_leader = make_error(errc::not_leader_for_partition);
const caf::error out_of_order = make_error(errc::out_of_order_sequence);
const caf::error timed_out = caf::make_error(caf::sec::request_timeout);

} // namespace

TEST_CASE("retriable produce errors", "[client][send_queue]") {
  CHECK(retriable_produce_error(not_leader));
  CHECK(retriable_produce_error(timed_out));
  CHECK(retriable_produce_error(make_error(errc::broker_fenced)));
  CHECK_FALSE(retriable_produce_error(make_error(errc::message_too_large)));
  CHECK_FALSE(retriable_produce_error(out_of_order)); // only in context: see the queue
}

TEST_CASE("a plain producer's queue: FIFO, in-flight limit, bounded retries at the front",
          "[client][send_queue]") {
  send_queue_config c;
  c.max_in_flight = 2;
  c.retries = 1;
  send_queue q{c};
  for (int i = 0; i < 3; ++i)
    q.push(make(q, false, 1));
  REQUIRE(q.ready(0));
  auto a = q.pop(0);
  auto b = q.pop(0);
  CHECK(a.number == 0);
  CHECK(b.number == 1);
  CHECK_FALSE(q.ready(0)); // two in flight
  auto r = q.on_result(a, not_leader, 0);
  CHECK(r.kind == send_queue::verdict::retry);
  CHECK(r.backoff_started);
  CHECK_FALSE(q.ready(50)); // backing off
  REQUIRE(q.ready(100));
  auto again = q.pop(100);
  CHECK(again.number == 0); // the retry goes first
  CHECK(again.attempts == 2);
  CHECK(q.on_result(again, not_leader, 100).kind == send_queue::verdict::failed);
  CHECK(q.on_result(b, caf::error{}, 100).kind == send_queue::verdict::done);
  CHECK(q.waiting() == 1);
  CHECK(q.expire(c.delivery_timeout_ms - 1).empty());
  auto expired = q.expire(c.delivery_timeout_ms); // the delivery timeout applies too
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].number == 2);
  CHECK(q.idle());
}

TEST_CASE("a plain producer's queue with Kafka's default retries retries until the delivery "
          "timeout",
          "[client][send_queue]") {
  send_queue_config c;
  c.retries = producer_config{}.retries;
  c.delivery_timeout_ms = 10000;
  send_queue q{c};
  q.push(make(q, false, 1));
  auto b = q.pop(0);
  for (int i = 1; i < 100; ++i) { // each retry 100 ms later: 99 retries within 10 s
    REQUIRE(q.on_result(b, not_leader, 100 * (i - 1)).kind == send_queue::verdict::retry);
    REQUIRE(q.ready(100 * i));
    b = q.pop(100 * i);
  }
  CHECK(q.on_result(b, not_leader, 10000).kind == send_queue::verdict::failed);
  CHECK(q.idle());
}

TEST_CASE("an idempotent queue stamps sequences by record count and wraps at INT32_MAX",
          "[client][send_queue][idempotence]") {
  send_queue q{idem_config()};
  auto s0 = q.next_stamp(3);
  auto s1 = q.next_stamp(2);
  CHECK(s0.producer_id == producer_id{42});
  CHECK(s0.producer_epoch == producer_epoch{0});
  CHECK(s0.base_sequence == 0);
  CHECK(s1.base_sequence == 3);
  CHECK(add_sequence(std::numeric_limits<int32_t>::max(), 1) == 0);
}

TEST_CASE("an idempotent queue sends at most max_in_flight batches past the oldest unacked",
          "[client][send_queue][idempotence]") {
  send_queue q{idem_config(3)};
  for (int i = 0; i < 5; ++i)
    q.push(make(q, true, 1));
  auto b0 = q.pop(0);
  auto b1 = q.pop(0);
  auto b2 = q.pop(0);
  CHECK_FALSE(q.ready(0));
  // Batch 1 is acknowledged before batch 0: batch 3 would be 3 past batch 0.
  CHECK(q.on_result(b1, caf::error{}, 0).kind == send_queue::verdict::done);
  CHECK(q.in_flight() == 2);
  CHECK_FALSE(q.ready(0));
  CHECK(q.on_result(b0, caf::error{}, 0).kind == send_queue::verdict::done);
  REQUIRE(q.ready(0));
  CHECK(q.pop(0).number == 3);
  CHECK(q.on_result(b2, caf::error{}, 0).kind == send_queue::verdict::done);
}

TEST_CASE("after a failure the idempotent queue waits for the in-flight batches, then resends "
          "in sequence order with the original bytes",
          "[client][send_queue][idempotence]") {
  send_queue q{idem_config()};
  for (int i = 0; i < 4; ++i)
    q.push(make(q, true, 2));
  std::vector<ready_batch> sent;
  std::vector<std::string> original;
  for (int i = 0; i < 3; ++i) {
    sent.push_back(q.pop(0));
    original.push_back(sent.back().bytes);
  }
  // Batch 0 hit a leader change; 1 and 2 were refused as out of order (0 is missing).
  auto r0 = q.on_result(sent[0], not_leader, 10);
  CHECK(r0.kind == send_queue::verdict::retry);
  CHECK(r0.backoff_started);
  CHECK_FALSE(q.ready(500)); // two requests still in flight: nothing goes out
  auto r1 = q.on_result(sent[1], out_of_order, 20);
  CHECK(r1.kind == send_queue::verdict::retry);
  CHECK_FALSE(r1.backoff_started); // the backoff already runs
  CHECK_FALSE(q.ready(500));
  CHECK(q.on_result(sent[2], out_of_order, 30).kind == send_queue::verdict::retry);
  CHECK_FALSE(q.ready(50)); // backoff until 110
  std::vector<int32_t> seqs;
  while (q.ready(200)) {
    auto rb = q.pop(200);
    if (rb.number < 3) {
      CHECK(rb.bytes == original[rb.number]); // same bytes: a duplicate is recognised
      CHECK(rb.attempts == 2);
    }
    seqs.push_back(header(rb).base_sequence);
    CHECK(q.on_result(rb, caf::error{}, 200).kind == send_queue::verdict::done);
  }
  CHECK(seqs == std::vector<int32_t>{0, 2, 4, 6});
  CHECK(q.idle());
}

TEST_CASE("out_of_order_sequence for the oldest batch resends it in a new epoch from 0",
          "[client][send_queue][idempotence]") {
  send_queue q{idem_config()};
  for (int i = 0; i < 3; ++i)
    q.push(make(q, true, 2));
  auto b0 = q.pop(0);
  auto b1 = q.pop(0);
  auto b2 = q.pop(0);
  // Nothing older is unacknowledged: the leader does not continue this sequence (it forgot
  // the producer). All three were refused, so none of them is in the log.
  CHECK(q.on_result(b0, out_of_order, 0).kind == send_queue::verdict::retry);
  CHECK_FALSE(q.ready(500)); // wait for the other two
  CHECK(q.on_result(b1, out_of_order, 0).kind == send_queue::verdict::retry);
  CHECK(q.on_result(b2, out_of_order, 0).kind == send_queue::verdict::retry);
  REQUIRE(q.ready(100));
  CHECK(q.epoch() == producer_epoch{1});
  std::vector<std::pair<producer_epoch, int32_t>> stamps;
  while (q.ready(100)) {
    auto rb = q.pop(100);
    auto h = header(rb); // the CRC was recomputed
    CHECK(h.producer_id == producer_id{42});
    stamps.emplace_back(h.producer_epoch, h.base_sequence);
  }
  const producer_epoch one{1};
  CHECK(stamps == std::vector<std::pair<producer_epoch, int32_t>>{{one, 0}, {one, 2}, {one, 4}});
  auto next = q.next_stamp(1);
  CHECK(next.producer_epoch == one);
  CHECK(next.base_sequence == 6);
}

TEST_CASE("after a lost sequence, a batch that may be in the log keeps its bytes until it is "
          "resolved, and only then is the epoch bumped",
          "[client][send_queue][idempotence]") {
  send_queue q{idem_config()};
  for (int i = 0; i < 3; ++i)
    q.push(make(q, true, 1));
  auto b0 = q.pop(0);
  auto b1 = q.pop(0);
  auto b2 = q.pop(0);
  auto b1_bytes = b1.bytes;
  CHECK(q.on_result(b0, make_error(errc::message_too_large), 0).kind
        == send_queue::verdict::failed);
  CHECK(q.on_result(b1, timed_out, 0).kind == send_queue::verdict::retry); // may be written
  CHECK(q.on_result(b2, out_of_order, 0).kind == send_queue::verdict::retry);
  REQUIRE(q.ready(100));
  CHECK(q.epoch() == producer_epoch{0});
  auto again = q.pop(100);
  CHECK(again.number == 1);
  CHECK(again.bytes == b1_bytes);
  CHECK_FALSE(q.ready(100)); // one at a time while the sequence is broken
  // The leader refuses it as out of order: it was not written after all.
  CHECK(q.on_result(again, out_of_order, 100).kind == send_queue::verdict::retry);
  REQUIRE(q.ready(300));
  CHECK(q.epoch() == producer_epoch{1});
  auto c1 = q.pop(300);
  CHECK(c1.number == 1);
  CHECK(header(c1).producer_epoch == producer_epoch{1});
  CHECK(header(c1).base_sequence == 0);
  CHECK(header(q.pop(300)).base_sequence == 1);
}

TEST_CASE("an idempotent queue retries until the delivery timeout, then fails the batch",
          "[client][send_queue][idempotence]") {
  send_queue q{idem_config()};
  q.push(make(q, true, 1, 0));
  q.push(make(q, true, 1, 0));
  auto b0 = q.pop(0);
  for (int i = 0; i < 20; ++i) { // far more than `retries`
    REQUIRE(q.on_result(b0, not_leader, 100 * i).kind == send_queue::verdict::retry);
    REQUIRE(q.ready(100 * i + 100));
    b0 = q.pop(100 * i + 100);
  }
  CHECK(q.on_result(b0, not_leader, 10000).kind == send_queue::verdict::failed);
  // The other batch waited past its deadline too.
  auto expired = q.expire(10000);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].number == 1);
  CHECK(q.idle());
}

TEST_CASE("a queue takes more batches only with none waiting and a request slot free",
          "[client][send_queue]") {
  send_queue_config c;
  c.max_in_flight = 2;
  send_queue q{c};
  CHECK(q.takes_more());
  q.push(make(q, false, 1));
  CHECK_FALSE(q.takes_more());  // one waits to be sent
  auto a = q.pop(0);
  CHECK(q.takes_more());        // one in flight of two
  q.push(make(q, false, 1));
  auto b = q.pop(0);
  CHECK_FALSE(q.takes_more());  // two in flight
  CHECK(q.on_result(a, caf::error{}, 0).kind == send_queue::verdict::done);
  CHECK(q.takes_more());
  CHECK(q.on_result(b, caf::error{}, 0).kind == send_queue::verdict::done);
  CHECK(q.takes_more());
}
