// The idempotence table's cap (max-producer-ids-per-partition): beyond it the least recently
// written producer is evicted, its next write is unknown_producer_id, and replay, recovery and
// the snapshot evict the same way from the same log.
#include <catch2/catch.hpp>

#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/replication/producer_state.hpp"

#include "tests/runtime/producer_state_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

std::vector<producer_id> ids_of(const producer_state& t) {
  std::vector<producer_id> out;
  for (auto& kv : t.entries())
    out.push_back(kv.first);
  return out;
}

} // namespace

TEST_CASE("beyond the cap the least recently written producer is evicted and its next "
          "write is unknown_producer_id",
          "[replication][producer_state]") {
  leader l;
  l.table.set_max_entries(2);
  REQUIRE(l.produce(idem_batch(pid(1), ep(0), 0)));  // offset 0
  REQUIRE(l.produce(idem_batch(pid(2), ep(0), 0)));  // offset 1
  REQUIRE(l.produce(idem_batch(pid(1), ep(0), 1)));  // offset 2: producer 2 is now the oldest
  REQUIRE(l.produce(idem_batch(pid(3), ep(0), 0)));  // offset 3: evicts producer 2
  CHECK(ids_of(l.table) == std::vector<producer_id>{pid(1), pid(3)});
  CHECK(l.table.evictions() == 1);
  // Producer 2 continues at sequence 1: the table does not know it any more.
  auto r = l.produce(idem_batch(pid(2), ep(0), 1));
  REQUIRE_FALSE(r);
  CHECK(errc_of(r.error()) == errc::unknown_producer_id);
  CHECK(describe(r.error())
        == "unknown_producer_id: unknown producer 2 must start at sequence 0, got 1");
  // The others go on as before; a retry of producer 1's batch is still a duplicate.
  CHECK(l.produce(idem_batch(pid(1), ep(0), 1)) == log_offset{2});
  CHECK(l.produce(idem_batch(pid(3), ep(0), 1)) == log_offset{4});
  // Producer 2 restarting at 0 (a new epoch, as its client does) evicts producer 1 (last
  // write at offset 2), not producer 3 (offset 4).
  CHECK(l.produce(idem_batch(pid(2), ep(1), 0)) == log_offset{5});
  CHECK(ids_of(l.table) == std::vector<producer_id>{pid(2), pid(3)});
  CHECK(l.table.evictions() == 2);
  CHECK(l.table.size() == 2);
}

TEST_CASE("lowering the cap evicts the least recently written producers at once",
          "[replication][producer_state]") {
  producer_state t;
  // Producers 5, 4, 3, 2, 1 write in that order; then producer 5 again.
  int64_t offset = 0;
  for (int64_t p = 5; p >= 1; --p)
    REQUIRE(t.on_append(header_of(idem_batch(pid(p), ep(0), 0), offset++)));
  REQUIRE(t.on_append(header_of(idem_batch(pid(5), ep(0), 1), offset++)));
  CHECK(t.size() == 5);
  t.set_max_entries(3);
  CHECK(t.max_entries() == 3);
  CHECK(ids_of(t) == std::vector<producer_id>{pid(1), pid(2), pid(5)});
  CHECK(t.evictions() == 2);
  // Truncation and expiry keep the eviction order right: cut producer 5's second batch,
  // then producer 5's last write is offset 0, the oldest.
  t.truncate(log_offset{5});
  REQUIRE(t.on_append(header_of(idem_batch(pid(6), ep(0), 0), 5)));
  CHECK(ids_of(t) == std::vector<producer_id>{pid(1), pid(2), pid(6)});
  t.clear();
  CHECK(t.size() == 0);
  CHECK(t.max_entries() == 3);  // the cap outlives clear()
}

TEST_CASE("replay, recovery and the snapshot evict as the live table did, and a snapshot "
          "never holds more producers than the cap",
          "[replication][producer_state]") {
  leader l;
  l.table.set_max_entries(3);
  producer_state uncapped;
  // Eight producers, two batches each, interleaved: 0..7, then 7..0 again.
  std::vector<int32_t> next(8, 0);
  auto write = [&](int64_t p) {
    auto batch = idem_batch(pid(p), ep(0), next[static_cast<size_t>(p)]++, 1);
    auto base = l.produce(batch);
    REQUIRE(base);
    uncapped.on_append(header_of(batch, base->value));
  };
  for (int64_t p = 0; p < 8; ++p)
    write(p);
  // Producers 0..4 were evicted (the cap keeps 5, 6, 7): they restart at 0.
  CHECK(ids_of(l.table) == std::vector<producer_id>{pid(5), pid(6), pid(7)});
  for (int64_t p = 0; p < 5; ++p)
    next[static_cast<size_t>(p)] = 0;
  for (int64_t p = 7; p >= 0; --p)
    write(p);
  // The last three writers were 2, 1, 0.
  CHECK(ids_of(l.table) == std::vector<producer_id>{pid(0), pid(1), pid(2)});
  CHECK(uncapped.size() == 8);
  // A replica replaying the log under the same cap builds the same table.
  auto all = l.log->read(l.log->log_start_offset(), 1 << 20);
  REQUIRE(all);
  producer_state replayed;
  replayed.set_max_entries(3);
  REQUIRE(replayed.replay(all->data));
  CHECK(replayed == l.table);
  // Recovery without a snapshot does the same.
  l.reopen();
  auto rec = recover_producer_state(l.disk, l.dir.str(), *l.log, 3);
  REQUIRE(rec);
  CHECK(rec->state == l.table);
  // A snapshot made under a higher cap (or none) is cut to the cap when it is loaded, and
  // what is saved afterwards holds at most the cap.
  REQUIRE_FALSE(save_producer_snapshot(l.disk, l.dir.str(), uncapped));
  rec = recover_producer_state(l.disk, l.dir.str(), *l.log, 3);
  REQUIRE(rec);
  CHECK(rec->batches_replayed == 0);
  CHECK(ids_of(rec->state) == ids_of(l.table));
  CHECK(rec->state.evictions() == 5);
  REQUIRE_FALSE(save_producer_snapshot(l.disk, l.dir.str(), rec->state));
  auto saved = load_producer_snapshot(l.disk, l.dir.str());
  REQUIRE(saved);
  CHECK(saved->size() == 3);
  // A snapshot taken half-way under the cap plus the replay of the rest is the live table.
  producer_state half;
  half.set_max_entries(3);
  auto first = l.log->read(l.log->log_start_offset(), 1 << 20);
  REQUIRE(first);
  REQUIRE(half.replay(first->data.substr(0, first->data.size() / 2)));
  REQUIRE(half.next_offset() > log_offset{0});
  REQUIRE_FALSE(save_producer_snapshot(l.disk, l.dir.str(), half));
  rec = recover_producer_state(l.disk, l.dir.str(), *l.log, 3);
  REQUIRE(rec);
  CHECK(rec->replayed_from == half.next_offset());
  CHECK(rec->state == l.table);
}
