// The idempotence table: duplicates of each remembered batch, gaps, producer epochs, sequence
// wrap-around, truncation and expiry, replay of a log against the live table, and the
// snapshot file (round trip, corrupt files, recovery from a snapshot plus the log tail).
#include <catch2/catch.hpp>

#include <fstream>
#include <limits>

#include "runtime/base/errc.hpp"
#include "runtime/replication/producer_state.hpp"
#include "runtime/storage/partition_log.hpp"
#include "runtime/storage/posix_env.hpp"

#include "tests/runtime/durable_test_util.hpp"
#include "tests/runtime/producer_state_test_util.hpp"
#include "tests/temp_dir.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

constexpr int32_t int32_max = std::numeric_limits<int32_t>::max();

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << bytes;
}

} // namespace

TEST_CASE("sequences advance and wrap from INT32_MAX to 0", "[replication][producer_state]") {
  CHECK(add_sequence(0, 0) == 0);
  CHECK(add_sequence(5, 3) == 8);
  CHECK(add_sequence(int32_max, 1) == 0);
  CHECK(add_sequence(int32_max - 1, 3) == 1);
  CHECK(add_sequence(int32_max - 2, 2) == int32_max);
  auto h = header_of(idem_batch(pid(1), ep(0), int32_max - 1, 4));
  CHECK(last_sequence(h) == 1); // int32_max - 1, int32_max, 0, 1
}

TEST_CASE("a batch without a producer id is always appended", "[replication][producer_state]") {
  leader l;
  for (int i = 0; i < 3; ++i)
    CHECK(l.produce(idem_batch(no_producer_id, no_producer_epoch, -1, 2)) == log_offset{2 * i});
  CHECK(l.table.size() == 0);
  CHECK(l.table.next_offset() == log_offset{6});
}

TEST_CASE("a new producer starts at sequence 0, then must continue without gaps",
          "[replication][producer_state]") {
  leader l;
  // An unknown producer at another sequence: its first batch is missing (or the table
  // forgot it): refused, so that the producer resends in order or in a new epoch.
  CHECK(error_of(l.produce(idem_batch(pid(7), ep(0), 40, 3))) == errc::unknown_producer_id);
  CHECK(l.produce(idem_batch(pid(7), ep(0), 0, 3)) == log_offset{0});
  CHECK(l.produce(idem_batch(pid(7), ep(0), 3, 2)) == log_offset{3}); // next sequence
  // A gap: 5 is expected.
  auto gap = l.produce(idem_batch(pid(7), ep(0), 6, 1));
  CHECK(error_of(gap) == errc::out_of_order_sequence);
  CHECK(l.log->log_end_offset() == log_offset{5});
  // Other producers are independent; any epoch may start a new producer.
  CHECK(l.produce(idem_batch(pid(8), ep(3), 0, 1)) == log_offset{5});
  CHECK(l.produce(idem_batch(pid(7), ep(0), 5, 1)) == log_offset{6});
  auto e = l.table.find(pid(7));
  REQUIRE(e != nullptr);
  CHECK(e->batches.size() == 3);
  CHECK(e->last().last_seq == 5);
}

TEST_CASE("a retry of each of the last 5 batches is a duplicate with its original offset",
          "[replication][producer_state]") {
  leader l;
  // Seven batches of 2 records: sequences 0,2,...,12 at offsets 0,2,...,12.
  for (int i = 0; i < 7; ++i)
    REQUIRE(l.produce(idem_batch(pid(3), ep(0), 2 * i, 2)) == log_offset{2 * i});
  for (int i = 2; i < 7; ++i) {
    auto h = header_of(idem_batch(pid(3), ep(0), 2 * i, 2));
    auto c = l.table.check(h);
    REQUIRE(c);
    CHECK(c->kind == check_result::duplicate);
    CHECK(c->base_offset == log_offset{2 * i});
    CHECK(c->last_offset == log_offset{2 * i + 1});
    CHECK(l.produce(idem_batch(pid(3), ep(0), 2 * i, 2)) == log_offset{2 * i});
  }
  CHECK(l.log->log_end_offset() == log_offset{14}); // nothing appended twice
  // Older than the window: no longer recognisable, and not the next sequence.
  CHECK(error_of(l.produce(idem_batch(pid(3), ep(0), 0, 2))) == errc::out_of_order_sequence);
  CHECK(error_of(l.produce(idem_batch(pid(3), ep(0), 2, 2))) == errc::out_of_order_sequence);
  // Same first sequence but another length is not the same batch.
  CHECK(error_of(l.produce(idem_batch(pid(3), ep(0), 12, 1))) == errc::out_of_order_sequence);
  CHECK(l.produce(idem_batch(pid(3), ep(0), 14, 1)) == log_offset{14});
}

TEST_CASE("producer epochs: an older one is fenced, a newer one restarts at sequence 0",
          "[replication][producer_state]") {
  leader l;
  REQUIRE(l.produce(idem_batch(pid(5), ep(2), 0, 2)) == log_offset{0});
  REQUIRE(l.produce(idem_batch(pid(5), ep(2), 2, 2)) == log_offset{2});
  CHECK(error_of(l.produce(idem_batch(pid(5), ep(1), 4, 1))) == errc::invalid_producer_epoch);
  CHECK(error_of(l.produce(idem_batch(pid(5), ep(3), 4, 1))) == errc::out_of_order_sequence);
  CHECK(l.produce(idem_batch(pid(5), ep(3), 0, 1)) == log_offset{4});
  auto e = l.table.find(pid(5));
  REQUIRE(e != nullptr);
  CHECK(e->epoch == ep(3));
  CHECK(e->batches.size() == 1);
  // The old epoch's batches are forgotten: their retries are fenced now.
  CHECK(error_of(l.produce(idem_batch(pid(5), ep(2), 2, 2))) == errc::invalid_producer_epoch);
  CHECK(l.produce(idem_batch(pid(5), ep(3), 1, 1)) == log_offset{5});
}

TEST_CASE("sequence numbers wrap around at INT32_MAX", "[replication][producer_state]") {
  leader l;
  // A producer that has sent 2^31 - 3 records: its batch at offsets 0-1 ends at INT32_MAX - 1.
  l.seed(idem_batch(pid(9), ep(0), int32_max - 2, 2));
  CHECK(error_of(l.produce(idem_batch(pid(9), ep(0), 0, 1))) == errc::out_of_order_sequence);
  REQUIRE(l.produce(idem_batch(pid(9), ep(0), int32_max, 1)) == log_offset{2});
  CHECK(error_of(l.produce(idem_batch(pid(9), ep(0), 1, 1))) == errc::out_of_order_sequence);
  REQUIRE(l.produce(idem_batch(pid(9), ep(0), 0, 3)) == log_offset{3}); // 0..2
  // A batch across the wrap: INT32_MAX, 0, 1.
  leader m;
  m.seed(idem_batch(pid(9), ep(0), int32_max - 1, 1));
  REQUIRE(m.produce(idem_batch(pid(9), ep(0), int32_max, 3)) == log_offset{1});
  CHECK(m.table.find(pid(9))->last().last_seq == 1);
  CHECK(m.produce(idem_batch(pid(9), ep(0), int32_max, 3)) == log_offset{1}); // duplicate
  CHECK(m.produce(idem_batch(pid(9), ep(0), 2, 1)) == log_offset{4});
}

TEST_CASE("malformed idempotent batches are invalid_request", "[replication][producer_state]") {
  producer_state st;
  auto h = header_of(idem_batch(pid(1), ep(0), 0, 1));
  h.base_sequence = -1;
  CHECK(errc_of(st.check(h).error()) == errc::invalid_request);
  h = header_of(idem_batch(pid(1), ep(0), 0, 1));
  h.producer_epoch = no_producer_epoch;
  CHECK(errc_of(st.check(h).error()) == errc::invalid_request);
  batch_builder empty;
  empty.set_producer(pid(1), ep(0), 0);
  CHECK(errc_of(st.check(header_of(empty.finish())).error()) == errc::invalid_request);
}

TEST_CASE("truncation forgets the batches at or after the new log end",
          "[replication][producer_state]") {
  producer_state st;
  // Producer 1: sequences 0..3 at offsets 0..3; producer 2: one batch at offset 4.
  for (int i = 0; i < 4; ++i)
    st.on_append(header_of(idem_batch(pid(1), ep(0), i, 1), i));
  st.on_append(header_of(idem_batch(pid(2), ep(0), 0, 1), 4));
  REQUIRE(st.next_offset() == log_offset{5});
  st.truncate(log_offset{2});
  CHECK(st.next_offset() == log_offset{2});
  CHECK(st.find(pid(2)) == nullptr); // all its batches are gone: unknown again
  REQUIRE(st.find(pid(1)) != nullptr);
  CHECK(st.find(pid(1))->last().last_seq == 1);
  // The producer resends sequence 2 to the new leader: the next one again.
  auto c = st.check(header_of(idem_batch(pid(1), ep(0), 2, 1)));
  REQUIRE(c);
  CHECK(c->kind == check_result::append);
  // on_append of a batch below next_offset() (already in the table) is ignored.
  CHECK_FALSE(st.on_append(header_of(idem_batch(pid(1), ep(0), 1, 1), 1)));
  CHECK(st.on_append(header_of(idem_batch(pid(1), ep(0), 2, 1), 2)));
}

TEST_CASE("producers silent for longer than the expiration are forgotten",
          "[replication][producer_state]") {
  producer_state st;
  st.on_append(header_of(idem_batch(pid(1), ep(0), 0, 1, 1000), 0));
  st.on_append(header_of(idem_batch(pid(2), ep(0), 0, 1, 5000), 1));
  CHECK(st.expire(6000, 4000) == 1);
  CHECK(st.find(pid(1)) == nullptr);
  CHECK(st.find(pid(2)) != nullptr);
  CHECK(st.expire(6000, default_producer_id_expiration_ms) == 0);
}

TEST_CASE("replaying the log gives the table the leader built while appending",
          "[replication][producer_state]") {
  leader l;
  // Three producers interleaved with retries, gaps, an epoch bump and plain batches.
  std::vector<int32_t> next{0, 0, 0};
  producer_epoch epoch2{0};
  for (int round = 0; round < 40; ++round) {
    for (int64_t p = 0; p < 3; ++p) {
      auto n = 1 + (round + static_cast<int>(p)) % 3;
      auto& seq = next[static_cast<size_t>(p)];
      auto epoch = p == 2 ? epoch2 : ep(0);
      REQUIRE(l.produce(idem_batch(pid(p), epoch, seq, n, 1000 + round)));
      if (round % 4 == 1) // a retry of the batch just written: not appended again
        REQUIRE(l.produce(idem_batch(pid(p), epoch, seq, n, 1000 + round)));
      if (round % 5 == 2) // a gap: rejected
        REQUIRE(error_of(l.produce(idem_batch(pid(p), epoch, seq + n + 1, 1)))
                == errc::out_of_order_sequence);
      seq = add_sequence(seq, n);
    }
    if (round == 20) {
      ++epoch2;
      next[2] = 0;
    }
    REQUIRE(l.produce(idem_batch(no_producer_id, no_producer_epoch, -1, 2)));
  }
  // Straight replay of every byte of the log.
  auto all = l.log->read(l.log->log_start_offset(), 64 << 20);
  REQUIRE(all);
  producer_state replayed;
  auto n = replayed.replay(all->data);
  REQUIRE(n);
  CHECK(*n == 40 * 4);
  CHECK(replayed == l.table);
  // Recovery at open without a snapshot does the same.
  l.reopen();
  auto rec = recover_producer_state(l.disk, l.dir.str(), *l.log);
  REQUIRE(rec);
  CHECK(rec->warning.empty());
  CHECK(rec->replayed_from == log_offset{0});
  CHECK(rec->state == l.table);
}

TEST_CASE("a producer snapshot round-trips and recovery replays only the tail after it",
          "[replication][producer_state]") {
  leader l;
  for (int i = 0; i < 12; ++i)
    REQUIRE(l.produce(idem_batch(pid(i % 3), ep(0), (i / 3) * 2, 2, 2000 + i)));
  auto bytes = l.table.serialize();
  auto parsed = producer_state::parse(bytes);
  REQUIRE(parsed);
  CHECK(*parsed == l.table);
  REQUIRE_FALSE(save_producer_snapshot(l.disk, l.dir.str(), l.table));
  auto at = l.table.next_offset();
  // More batches after the snapshot, then a restart.
  std::vector<int32_t> next{8, 8, 8, 0}; // producer 3 is new
  for (int i = 12; i < 20; ++i) {
    auto& seq = next[static_cast<size_t>(i % 4)];
    REQUIRE(l.produce(idem_batch(pid(i % 4), ep(0), seq, 2)));
    seq += 2;
  }
  l.reopen();
  auto rec = recover_producer_state(l.disk, l.dir.str(), *l.log);
  REQUIRE(rec);
  CHECK(rec->warning.empty());
  CHECK(rec->replayed_from == at);
  CHECK(rec->batches_replayed == 8);
  CHECK(rec->state == l.table);
  // An empty table round-trips as well, and a missing file is an empty table.
  CHECK(producer_state::parse(producer_state{}.serialize()) == producer_state{});
  test::temp_dir empty;
  auto none = load_producer_snapshot(l.disk, empty.str());
  REQUIRE(none);
  CHECK(none->size() == 0);
}

TEST_CASE("a corrupt producer snapshot is ignored and the table rebuilt from the log start",
          "[replication][producer_state]") {
  leader l;
  for (int i = 0; i < 6; ++i)
    REQUIRE(l.produce(idem_batch(pid(1), ep(0), i, 1)));
  REQUIRE_FALSE(save_producer_snapshot(l.disk, l.dir.str(), l.table));
  auto path = l.dir.file(producer_snapshot_file);
  auto good = read_file(path);
  REQUIRE(producer_state::parse(good));
  SECTION("a flipped byte") {
    auto bad = good;
    bad[bad.size() - 3] ^= 0x10;
    CHECK(errc_of(producer_state::parse(bad).error()) == errc::corrupt_message);
    write_file(path, bad);
  }
  SECTION("a cut-off file") {
    auto bad = good.substr(0, good.size() - 5);
    CHECK(errc_of(producer_state::parse(bad).error()) == errc::corrupt_message);
    write_file(path, bad);
  }
  SECTION("an unknown version") {
    auto bad = good;
    bad[1] = 9;
    CHECK(errc_of(producer_state::parse(bad).error()) == errc::corrupt_message);
    write_file(path, bad);
  }
  SECTION("garbage") {
    CHECK(errc_of(producer_state::parse("x").error()) == errc::corrupt_message);
    write_file(path, "not a snapshot at all, just some text");
  }
  l.reopen();
  auto rec = recover_producer_state(l.disk, l.dir.str(), *l.log);
  REQUIRE(rec);
  CHECK_FALSE(rec->warning.empty());
  CHECK(rec->replayed_from == log_offset{0});
  CHECK(rec->state == l.table);
}

TEST_CASE("a snapshot beyond a truncated log end is cut back and rewritten",
          "[replication][producer_state]") {
  leader l;
  for (int i = 0; i < 6; ++i)
    REQUIRE(l.produce(idem_batch(pid(1), ep(0), i, 1)));
  REQUIRE_FALSE(save_producer_snapshot(l.disk, l.dir.str(), l.table)); // as of offset 6
  REQUIRE_FALSE(l.log->truncate_to(log_offset{4}));
  l.table.truncate(log_offset{4});
  l.reopen();
  auto rec = recover_producer_state(l.disk, l.dir.str(), *l.log);
  REQUIRE(rec);
  CHECK(rec->state == l.table);
  CHECK(rec->state.find(pid(1))->last().last_seq == 3);
  // The file no longer claims the lost tail: new batches at 4.. are replayed after a restart.
  auto reloaded = load_producer_snapshot(l.disk, l.dir.str());
  REQUIRE(reloaded);
  CHECK(reloaded->next_offset() == log_offset{4});
  l.table = rec->state;
  REQUIRE(l.produce(idem_batch(pid(1), ep(0), 4, 3)) == log_offset{4});
  l.reopen();
  auto again = recover_producer_state(l.disk, l.dir.str(), *l.log);
  REQUIRE(again);
  CHECK(again->state == l.table);
  CHECK(again->state.find(pid(1))->last().last_seq == 6);
}

// What commit e5e7511 wrote for producer 42 (epoch 1) whose batch [10, 12] has sequences
// 0-2 and timestamp 1700000000000, the table at offset 13 (version 1, unchanged since):
//   sh tests/tools/durable_fixtures/print_fixtures.sh
const std::string producer_snapshot_v1 = test::unhex(
  "0001 0aa8ffea"                                  // version 1, crc32c of the rest
  " 000000000000000d 00000001"                     // next offset 13, 1 entry:
  "   000000000000002a 0001 0000018bcfe56800"      //   producer 42, epoch 1, last timestamp
  "   00000001"                                    //   1 batch:
  "     00000000 00000002 000000000000000a 000000000000000c 0000018bcfe56800");

TEST_CASE("a producer snapshot of version 1 decodes and encodes to the same bytes",
          "[replication][producer_state][durable]") {
  auto st = producer_state::parse(producer_snapshot_v1);
  REQUIRE(st);
  CHECK(st->next_offset() == log_offset{13});
  auto e = st->find(pid(42));
  REQUIRE(e != nullptr);
  CHECK(e->epoch == ep(1));
  CHECK(e->last_timestamp == 1700000000000);
  CHECK(e->batches.size() == 1);
  CHECK(e->last() == producer_batch{0, 2, log_offset{10}, log_offset{12}, 1700000000000});
  CHECK(test::hex(st->serialize()) == test::hex(producer_snapshot_v1));
}

TEST_CASE("a cut, damaged or unknown producer snapshot is an exact error",
          "[replication][producer_state][durable]") {
  auto error_of = [](const std::string& bytes) {
    auto st = producer_state::parse(bytes);
    REQUIRE_FALSE(st);
    return describe(st.error());
  };
  const std::string prefix = "corrupt_message: producer-state.snapshot: ";
  auto& good = producer_snapshot_v1;
  CHECK(error_of(good.substr(0, 10)) == prefix + "too short (10 bytes)");
  CHECK(error_of(good.substr(0, good.size() - 1)) == prefix + "CRC32C mismatch");
  auto newer = good;
  newer[1] = 2;
  CHECK(error_of(newer) == prefix + "unknown version 2");
}
