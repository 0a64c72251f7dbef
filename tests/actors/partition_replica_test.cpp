// Tests of the partition replica actor on a real actor system: produce / fetch / list offsets
// (earliest, latest, by timestamp), long-poll fetch (woken by a produce, or answered empty
// after max wait), rejection of oversize and corrupt batches, out-of-range fetches, and stop
// with and without delete.

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/broker/partition_replica.hpp"
#include "actors/broker/replica_interface.hpp"
#include "runtime/replication/producer_state.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/chaos/node_io.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/protocol/wire.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/replica_fixture.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

TEST_CASE_METHOD(replica_fixture, "produce assigns consecutive offsets and fetch returns them",
                 "[actors][replica]") {
  auto r = spawn();
  auto first = produce(r, make_batch("a", 5));
  REQUIRE(first);
  CHECK(first->tp == tp);
  CHECK(first->base_offset == log_offset{0});
  CHECK(first->log_start_offset == log_offset{0});
  auto second = produce(r, make_batch("b", 3));
  REQUIRE(second);
  CHECK(second->base_offset == log_offset{5});

  auto all = fetch(r, 0);
  REQUIRE(all);
  CHECK(all->tp == tp);
  CHECK(all->high_watermark == log_offset{8});
  CHECK(all->log_start_offset == log_offset{0});
  auto expected = expected_values("a", 5, 0);
  for (auto& x : expected_values("b", 3, 5))
    expected.push_back(x);
  CHECK(decode(all->records) == expected);

  // From the middle: whole batches come back, the caller skips what is below its offset.
  auto mid = fetch(r, 6);
  REQUIRE(mid);
  CHECK(decode(mid->records, 6)
        == std::vector<offset_value>{{log_offset{6}, "b-1"}, {log_offset{7}, "b-2"}});

  // At the log end: nothing, at once when max wait is 0.
  auto at_end = fetch(r, 8);
  REQUIRE(at_end);
  CHECK(at_end->records.empty());
  CHECK(at_end->high_watermark == log_offset{8});

  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "list offsets gives the log start and the log end",
                 "[actors][replica]") {
  auto r = spawn();
  auto earliest = list(r, earliest_timestamp);
  auto latest = list(r, latest_timestamp);
  REQUIRE(earliest);
  REQUIRE(latest);
  CHECK(earliest->tp == tp);
  CHECK(earliest->offset == log_offset{0});
  CHECK(latest->offset == log_offset{0});

  REQUIRE(produce(r, make_batch("a", 4)));
  REQUIRE(produce(r, make_batch("b", 2)));
  earliest = list(r, earliest_timestamp);
  latest = list(r, latest_timestamp);
  REQUIRE(earliest);
  REQUIRE(latest);
  CHECK(earliest->offset == log_offset{0});
  CHECK(latest->offset == log_offset{6});
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture,
                 "list offsets by timestamp gives the first record at or after it",
                 "[actors][replica]") {
  auto r = spawn();
  auto none = list(r, 0);
  REQUIRE(none);
  CHECK(none->offset == no_offset);
  CHECK(none->timestamp == -1);
  // Records at 1000, 1001, 1002, 1003 (offsets 0-3), then 1000, 1001 (offsets 4-5).
  REQUIRE(produce(r, make_batch("a", 4)));
  REQUIRE(produce(r, make_batch("b", 2)));
  auto at = [&](int64_t ts) {
    auto resp = list(r, ts);
    REQUIRE(resp);
    CHECK(resp->tp == tp);
    return std::make_pair(resp->offset, resp->timestamp);
  };
  CHECK(at(0) == std::make_pair(log_offset{0}, int64_t{1000}));
  CHECK(at(1001) == std::make_pair(log_offset{1}, int64_t{1001}));
  CHECK(at(1003) == std::make_pair(log_offset{3}, int64_t{1003}));
  CHECK(at(1004) == std::make_pair(no_offset, int64_t{-1}));  // no record that late
  // Earliest and latest carry no timestamp, as in Kafka.
  auto latest = list(r, latest_timestamp);
  REQUIRE(latest);
  CHECK(latest->offset == log_offset{6});
  CHECK(latest->timestamp == -1);
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "a long-poll fetch at the log end is answered by a produce",
                 "[actors][replica]") {
  auto r = spawn();
  REQUIRE(produce(r, make_batch("a", 2)));
  {
    caf::scoped_actor fetcher{sys};
    fetch_request req;
    req.tp = tp;
    req.offset = log_offset{2};
    // The max wait is far beyond the request timeout: only the produce can answer in time.
    req.max_wait_ms = 60000;
    auto pending = fetcher->request(r, request_timeout, fetch_atom::value, req);

    auto p = produce(r, make_batch("b", 3));
    REQUIRE(p);
    CHECK(p->base_offset == log_offset{2});

    bool answered = false;
    std::string failure;
    pending.receive(
      [&](fetch_response& resp) {
        answered = true;
        CHECK(resp.high_watermark == log_offset{5});
        CHECK(decode(resp.records, 2) == expected_values("b", 3, 2));
      },
      [&](caf::error& err) { failure = describe(err); });
    CHECK(failure == "");
    CHECK(answered);
  }
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "a long-poll fetch with no produce is answered empty after "
                                  "max wait",
                 "[actors][replica]") {
  auto r = spawn();
  REQUIRE(produce(r, make_batch("a", 2)));
  auto start = std::chrono::steady_clock::now();
  auto resp = fetch(r, 2, 300);
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(resp);
  CHECK(resp->records.empty());
  CHECK(resp->high_watermark == log_offset{2});
  // It waited (the expiry timer is what answered it), and not for ever.
  CHECK(elapsed >= 290ms);
  CHECK(elapsed < request_timeout);

  // A waiting fetch for data that already exists is answered at once, wait or not.
  auto ready = fetch(r, 0, 60000);
  REQUIRE(ready);
  CHECK(decode(ready->records) == expected_values("a", 2, 0));
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "a parked long poll is answered shutting_down on stop",
                 "[actors][replica]") {
  auto r = spawn();
  {
    caf::scoped_actor fetcher{sys};
    fetch_request req;
    req.tp = tp;
    req.offset = log_offset{0};
    req.max_wait_ms = 60000;
    auto pending = fetcher->request(r, request_timeout, fetch_atom::value, req);
    REQUIRE(stop(r, false));
    caf::error got;
    pending.receive([&](fetch_response&) { FAIL("expected an error"); },
                    [&](caf::error& err) { got = std::move(err); });
    CHECK(errc_of(got) == errc::shutting_down);
  }
}

TEST_CASE_METHOD(replica_fixture, "a batch above message.max.bytes is message_too_large",
                 "[actors][replica]") {
  broker_defaults defaults;
  defaults.message_max_bytes = 2048;
  auto r = spawn(defaults);
  REQUIRE(produce(r, make_batch("small", 2)));

  auto big = make_batch("big", 4, 1000);
  REQUIRE(big.size() > 2048);
  auto res = produce(r, big);
  REQUIRE_FALSE(res);
  CHECK(errc_of(res.error()) == errc::message_too_large);
  CHECK_THAT(describe(res.error()), Catch::Matchers::Contains("message.max.bytes"));

  // Nothing was written.
  auto latest = list(r, latest_timestamp);
  REQUIRE(latest);
  CHECK(latest->offset == log_offset{2});
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "a corrupt batch is corrupt_message and is not written",
                 "[actors][replica]") {
  auto r = spawn();
  auto batch = make_batch("a", 3);
  SECTION("a flipped payload byte") {
    batch[batch.size() - 2] ^= 0x20;
  }
  SECTION("a flipped CRC byte") {
    batch[batch_crc_pos] ^= 0x01;
  }
  SECTION("truncated") {
    batch.resize(batch.size() - 5);
  }
  SECTION("not a batch at all") {
    batch = "hello, broker";
  }
  auto res = produce(r, batch);
  REQUIRE_FALSE(res);
  CHECK(errc_of(res.error()) == errc::corrupt_message);

  auto latest = list(r, latest_timestamp);
  REQUIRE(latest);
  CHECK(latest->offset == log_offset{0});
  // The log still takes good batches.
  auto ok = produce(r, make_batch("good", 1));
  REQUIRE(ok);
  CHECK(ok->base_offset == log_offset{0});
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "transactional and control batches are refused unwritten",
                 "[actors][replica]") {
  auto r = spawn();
  auto batch = make_batch("t", 2);
  auto flag = GENERATE(batch_transactional_flag, batch_control_flag);
  auto attributes = static_cast<int16_t>(wire::load_be16(batch.data() + batch_crc_begin) | flag);
  wire::store_be16(batch.data() + batch_crc_begin, static_cast<uint16_t>(attributes));
  wire::store_be32(batch.data() + batch_crc_pos,
                   crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin));
  REQUIRE_FALSE(validate_batch(batch)); // well-formed: refused for what it is
  auto res = produce(r, batch);
  REQUIRE_FALSE(res);
  CHECK(errc_of(res.error()) == errc::invalid_request);
  CHECK_THAT(describe(res.error()), Catch::Matchers::Contains("transactional and control"));
  auto latest = list(r, latest_timestamp);
  REQUIRE(latest);
  CHECK(latest->offset == log_offset{0});
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "a fetch outside [log start, log end] is offset_out_of_range",
                 "[actors][replica]") {
  auto r = spawn();
  REQUIRE(produce(r, make_batch("a", 3)));
  auto offset = GENERATE(int64_t{4}, int64_t{100}, int64_t{-1});
  CAPTURE(offset);
  // Even a long poll is answered at once with the error.
  auto res = fetch(r, offset, 60000);
  REQUIRE_FALSE(res);
  CHECK(errc_of(res.error()) == errc::offset_out_of_range);
  REQUIRE(stop(r, false));
}

TEST_CASE_METHOD(replica_fixture, "stop without delete keeps the log for the next replica",
                 "[actors][replica]") {
  auto r = spawn();
  REQUIRE(produce(r, make_batch("a", 3)));
  REQUIRE(stop(r, false));
  CHECK(std::filesystem::is_directory(log_dir()));

  auto again = spawn();
  auto latest = list(again, latest_timestamp);
  REQUIRE(latest);
  CHECK(latest->offset == log_offset{3});
  auto p = produce(again, make_batch("b", 1));
  REQUIRE(p);
  CHECK(p->base_offset == log_offset{3});
  auto all = fetch(again, 0);
  REQUIRE(all);
  auto expected = expected_values("a", 3, 0);
  expected.push_back({log_offset{3}, "b-0"});
  CHECK(decode(all->records) == expected);
  REQUIRE(stop(again, false));
}

TEST_CASE_METHOD(replica_fixture, "a stopping replica saves its producer snapshot unless "
                 "its partition is deleted", "[actors][replica]") {
  auto snapshot = log_dir() + "/" + producer_snapshot_file;
  auto kept = spawn();
  REQUIRE(produce(kept, make_batch("a", 3)));
  std::filesystem::remove(snapshot);
  REQUIRE(stop(kept, false));
  CHECK(std::filesystem::exists(snapshot));
  std::filesystem::remove(snapshot);
  // Deleted: the broker has moved the directory away to remove it; nothing is written.
  auto r = spawn();
  REQUIRE(produce(r, make_batch("b", 3)));
  auto ok = stop(r, true);
  REQUIRE(ok);
  CHECK_FALSE(std::filesystem::exists(snapshot));
  // The actor is gone: a request to it fails instead of hanging.
  auto late = list(r, latest_timestamp);
  REQUIRE_FALSE(late);
  CHECK(late.error() == caf::sec::request_receiver_down);
}

TEST_CASE_METHOD(replica_fixture, "a replica flushes and stops when its broker goes away",
                 "[actors][replica]") {
  auto owner = sys.spawn([]() -> caf::behavior { return {[](int32_t) {}}; });
  auto r = spawn({}, owner.address());
  REQUIRE(produce(r, make_batch("a", 3)));
  REQUIRE(kill_owner(owner, r));
  // The data it acknowledged is on disk: a new replica on the same directory serves it.
  auto again = spawn();
  auto latest = list(again, latest_timestamp);
  REQUIRE(latest);
  CHECK(latest->offset == log_offset{3});
}

TEST_CASE_METHOD(replica_fixture, "the leader stamps its epoch on every batch it appends",
                 "[actors][replica]") {
  auto r = spawn({}, {}, leader_epoch{7});
  REQUIRE(produce(r, make_batch("a", 2)));
  auto f = fetch(r, 0);
  REQUIRE(f);
  batch_header h;
  REQUIRE(read_batch_header(f->records.data(), f->records.size(), h));
  CHECK(h.partition_leader_epoch == 7);
  CHECK(!validate_batch(std::string_view{f->records}.substr(0, h.total_size())));
}

TEST_CASE_METHOD(replica_fixture, "the replica keeps the leader-epoch history on disk",
                 "[actors][replica]") {
  auto checkpoint = [&] {
    return test::epoch_checkpoint_lines(log_dir() + "/" + epoch_checkpoint_file);
  };
  auto r = spawn({}, {}, leader_epoch{3});
  REQUIRE(produce(r, make_batch("a", 2)));
  REQUIRE(produce(r, make_batch("b", 2)));
  CHECK(checkpoint() == "3 0\n");
  REQUIRE(stop(r, false));
  // A later leadership of this replica starts a new epoch where the log ends.
  auto again = spawn({}, {}, leader_epoch{5});
  REQUIRE(produce(again, make_batch("c", 1)));
  CHECK(checkpoint() == "3 0\n5 4\n");
}

TEST_CASE_METHOD(replica_fixture,
                 "a leader whose fsync fails answers the failing produce and every parked "
                 "request with storage_error, then stops",
                 "[replica][chaos]") {
  broker_defaults d;
  d.log.flush_messages = 1;  // fsync before every append returns
  auto r = spawn(d);
  REQUIRE(produce(r, make_batch("a", 3)));
  // A consumer's long poll waits at the log end.
  caf::scoped_actor poller{sys};
  fetch_request wait_req;
  wait_req.tp = tp;
  wait_req.offset = log_offset{3};
  wait_req.max_wait_ms = 60000;
  auto parked = poller->request(r, std::chrono::seconds{30}, fetch_atom::value, wait_req);
  // The fetch is parked once the replica answers something sent after it.
  REQUIRE(list(r, -1));
  fault_rule eio;
  eio.disk = disk_fault::fsync_error;
  eio.drop = 1.0;
  auto rule = io.faults->add(eio);
  auto failed = produce(r, make_batch("b", 2));
  io.faults->remove(rule);
  REQUIRE_FALSE(failed);
  CHECK(errc_of(failed.error()) == errc::storage_error);
  caf::error parked_err;
  parked.receive([](fetch_response&) {}, [&](caf::error& e) { parked_err = e; });
  // Not the request's timeout: the replica answered before it stopped.
  CHECK(errc_of(parked_err) == errc::storage_error);
  CHECK(eventually([&] { return !list(r, -1); }, 10s));  // it stopped
}
