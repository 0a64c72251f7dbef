// The partition replica's caps on consumer reads, on a real actor system: beyond
// max-parked-fetches-per-partition a fetch is answered at once with park_refused (the parked
// ones still wait and are woken by a produce), and a min_bytes above max_bytes is answered once
// max_bytes is read instead of waiting out max_wait; a fetch of max_bytes 0 without a wait
// reads the offsets only; max-producer-ids-per-partition reaches the replica's idempotence
// table.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <caf/all.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/replica_fixture.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

// A long poll at `offset` whose max wait is far beyond the request timeout: only data (or a
// refusal to park) can answer it in time.
fetch_request long_poll(const topic_partition& tp, int64_t offset) {
  fetch_request req;
  req.tp = tp;
  req.offset = log_offset{offset};
  req.max_wait_ms = 60000;
  return req;
}

std::string idempotent_batch(int64_t producer, int32_t seq) {
  batch_builder b;
  b.append(1000, std::nullopt, std::string_view{"v"});
  b.set_producer(producer_id{producer}, producer_epoch{0}, seq);
  return b.finish();
}

} // namespace

TEST_CASE_METHOD(replica_fixture, "beyond max-parked-fetches-per-partition a fetch is "
                                  "answered at once, flagged, and the parked ones still wait",
                 "[actors][replica][limits]") {
  limits.max_parked_fetches_per_partition = 2;
  auto r = spawn();
  REQUIRE(produce(r, make_batch("a", 2)));
  caf::scoped_actor a{sys};
  caf::scoped_actor b{sys};
  auto first = a->request(r, request_timeout, fetch_atom::value, long_poll(tp, 2));
  auto second = b->request(r, request_timeout, fetch_atom::value, long_poll(tp, 2));
  // The third finds two parked: answered at once (within the request timeout, far below its
  // max wait), empty, with park_refused.
  auto third = ask<fetch_response>(sys, r, fetch_atom::value, long_poll(tp, 2));
  REQUIRE(third);
  CHECK(third->park_refused);
  CHECK(third->records.empty());
  CHECK(third->high_watermark == log_offset{2});
  // A fetch with data is answered as always, and is not flagged.
  auto ready = ask<fetch_response>(sys, r, fetch_atom::value, long_poll(tp, 0));
  REQUIRE(ready);
  CHECK_FALSE(ready->park_refused);
  CHECK(decode(ready->records) == expected_values("a", 2, 0));
  // The produce wakes both parked polls.
  REQUIRE(produce(r, make_batch("b", 1)));
  for (auto* pending : {&first, &second}) {
    std::string failure;
    bool answered = false;
    pending->receive(
      [&](fetch_response& resp) {
        answered = true;
        CHECK_FALSE(resp.park_refused);
        CHECK(decode(resp.records, 2) == expected_values("b", 1, 2));
      },
      [&](caf::error& err) { failure = describe(err); });
    CHECK(failure == "");
    CHECK(answered);
  }
  // Both answered: room for two parked polls again (answered by stop), not three.
  auto fourth = a->request(r, request_timeout, fetch_atom::value, long_poll(tp, 3));
  auto fifth = b->request(r, request_timeout, fetch_atom::value, long_poll(tp, 3));
  auto sixth = ask<fetch_response>(sys, r, fetch_atom::value, long_poll(tp, 3));
  REQUIRE(sixth);
  CHECK(sixth->park_refused);
  REQUIRE(stop(r, false));
  for (auto* pending : {&fourth, &fifth}) {
    caf::error got;
    pending->receive([&](fetch_response&) { FAIL("expected an error"); },
                     [&](caf::error& err) { got = std::move(err); });
    CHECK(errc_of(got) == errc::shutting_down);
  }
}

TEST_CASE_METHOD(replica_fixture, "a fetch whose min_bytes exceeds its max_bytes is answered "
                                  "once it read max_bytes",
                 "[actors][replica][limits]") {
  auto r = spawn();
  REQUIRE(produce(r, make_batch("a", 3, 500)));  // more than 1024 bytes
  auto req = long_poll(tp, 0);
  req.max_bytes = 100;       // less than the batch: the first batch is read whole
  req.min_bytes = 1 << 20;   // never reached with the 100 bytes asked for
  auto resp = ask<fetch_response>(sys, r, fetch_atom::value, req);
  REQUIRE(resp);
  CHECK(decode(resp->records).size() == 3);
  // Within the broker's fetch-max-bytes too: a client asking for more than it gets is clamped
  // to what it gets.
  REQUIRE(stop(r, false));
  broker_defaults small;
  small.fetch_max_bytes = 1024;
  r = spawn(small);
  req.max_bytes = 1 << 30;
  resp = ask<fetch_response>(sys, r, fetch_atom::value, req);
  REQUIRE(resp);
  CHECK(decode(resp->records).size() == 3);
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "max-producer-ids-per-partition caps the replica's "
                                  "idempotence table, across a restart",
                 "[actors][replica][limits]") {
  limits.max_producer_ids_per_partition = 1;
  auto r = spawn();
  REQUIRE(produce(r, idempotent_batch(1, 0)));
  REQUIRE(produce(r, idempotent_batch(2, 0)));  // evicts producer 1
  auto p1 = produce(r, idempotent_batch(1, 1));
  REQUIRE_FALSE(p1);
  CHECK(errc_of(p1.error()) == errc::unknown_producer_id);
  auto p2 = produce(r, idempotent_batch(2, 1));
  REQUIRE(p2);
  CHECK(p2->base_offset == log_offset{2});
  // The stopped replica saved its table; the next one loads it under the same cap.
  REQUIRE(stop(r, false));
  r = spawn();
  auto again = produce(r, idempotent_batch(2, 1));  // a retry: the same offset
  REQUIRE(again);
  CHECK(again->base_offset == log_offset{2});
  p1 = produce(r, idempotent_batch(1, 1));
  REQUIRE_FALSE(p1);
  CHECK(errc_of(p1.error()) == errc::unknown_producer_id);
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "a fetch of max_bytes 0 without a wait reads the offsets "
                                  "only, and checks its offset",
                 "[actors][replica][limits]") {
  auto r = spawn();
  REQUIRE(produce(r, make_batch("a", 3, 500)));
  fetch_request req;
  req.tp = tp;
  req.offset = log_offset{0};
  req.max_bytes = 0;
  req.max_wait_ms = 0;
  auto resp = ask<fetch_response>(sys, r, fetch_atom::value, req);
  REQUIRE(resp);
  CHECK(resp->records.empty());
  CHECK(resp->high_watermark == log_offset{3});
  req.offset = log_offset{4};  // beyond the log end
  auto past = ask<fetch_response>(sys, r, fetch_atom::value, req);
  REQUIRE_FALSE(past);
  CHECK(errc_of(past.error()) == errc::offset_out_of_range);
  // With a byte to read it reads the first batch whole.
  req.offset = log_offset{0};
  req.max_bytes = 1;
  resp = ask<fetch_response>(sys, r, fetch_atom::value, req);
  REQUIRE(resp);
  CHECK(decode(resp->records).size() == 3);
  REQUIRE(stop(r, false));
}
