// The load of a __consumer_offsets partition (runtime/group/offsets_load.hpp): it waits for
// the managers of an earlier load, reads to the log end, and serves only once the high
// watermark has reached it; and the routing rule of group requests.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/group/group_core.hpp"
#include "runtime/group/offsets_load.hpp"
#include "runtime/protocol/record_batch.hpp"

using namespace cafka;
using namespace cafka::group;

namespace {

// One batch at `base` committing `offset` for t-0 in group g.
std::string commit_batch(int64_t base, int64_t offset) {
  group_write w;
  w.records.emplace_back(offset_key("g", {"t", partition_id{0}}),
                         encode(offset_record{log_offset{offset}, 1000}));
  auto bytes = encode_batch(w, 1000);
  set_base_offset(bytes.data(), log_offset{base});
  return bytes;
}

fetch_response answer(std::string records, int64_t hw) {
  fetch_response r;
  r.high_watermark = log_offset{hw};
  r.records = std::move(records);
  return r;
}

} // namespace

TEST_CASE("a load serves only once the high watermark reaches the log end", "[group]") {
  offsets_load load{leader_epoch{3}, 0};
  REQUIRE(load.next_step() == load_step::read);
  CHECK(load.on_read(answer(commit_batch(0, 5) + commit_batch(1, 8), 1)) == load_step::read);
  CHECK(load.position() == log_offset{2});
  // The log ends at 2 but only offset 0 is on the ISR: offset 1 could still be cut off.
  CHECK(load.on_read(answer({}, 1)) == load_step::retry_later);
  CHECK_FALSE(load.loaded());
  CHECK(load.on_read(answer({}, 2)) == load_step::serve);
  REQUIRE(load.loaded());
  auto groups = load.take_groups();
  CHECK(groups["g"].offsets.at({"t", partition_id{0}}).offset == log_offset{8});
  CHECK(load.take_warnings().empty());
}

TEST_CASE("a load waits for the managers of an earlier load to stop", "[group]") {
  offsets_load load{leader_epoch{1}, 2};
  CHECK(load.next_step() == load_step::wait_managers);
  load.manager_stopped();
  CHECK(load.next_step() == load_step::wait_managers);
  load.manager_stopped();
  CHECK(load.next_step() == load_step::read);
}

TEST_CASE("a load skips what does not decode and starts at the log start", "[group]") {
  offsets_load load{leader_epoch{1}, 0};
  auto r = answer(commit_batch(10, 4), 11);
  r.log_start_offset = log_offset{10};
  CHECK(load.on_read(r) == load_step::read);
  CHECK(load.position() == log_offset{11});
  auto garbage = commit_batch(11, 5);
  garbage[garbage.size() - 1] ^= 0x55;  // the CRC no longer matches
  CHECK(load.on_read(answer(garbage, 12)) == load_step::retry_later);
  CHECK(load.take_warnings().size() == 1);
  CHECK(load.position() == log_offset{11});
}

TEST_CASE("a group is served only by the loaded leader of its offsets partition", "[group]") {
  std::map<partition_id, offsets_load> led;
  CHECK(errc_of(serving_partition("", 4, led, node_id{1}).error()) == errc::invalid_group_id);
  CHECK(errc_of(serving_partition("g", 0, led, node_id{1}).error())
        == errc::coordinator_not_available);
  CHECK(errc_of(serving_partition("g", 4, led, node_id{1}).error()) == errc::not_coordinator);
  auto p = partition_id{partition_for_group("g", 4)};
  led.emplace(p, offsets_load{leader_epoch{1}, 0});
  CHECK(errc_of(serving_partition("g", 4, led, node_id{1}).error())
        == errc::coordinator_load_in_progress);
  REQUIRE(led.at(p).on_read(answer({}, 0)) == load_step::serve);
  auto served = serving_partition("g", 4, led, node_id{1});
  REQUIRE(served);
  CHECK(*served == p);
}

TEST_CASE("a load reads past compacted batches with nothing left for it", "[group]") {
  offsets_load load{leader_epoch{3}, 0};
  // An empty batch (a producer's last, kept by the cleaner) at [0, 4), then a commit at 4.
  auto empty = commit_batch(0, 5);
  auto thinned = rebuild_batch(empty, {}, 0);
  REQUIRE(thinned);
  set_base_offset(thinned->data(), log_offset{0});
  thinned->replace(23, 4, std::string{"\x00\x00\x00\x03", 4});  // last_offset_delta 3
  CHECK(load.on_read(answer(*thinned, 5)) == load_step::read);  // not loaded: 4 < hw
  CHECK_FALSE(load.loaded());
  CHECK(load.position() == log_offset{4});
  CHECK(load.on_read(answer(commit_batch(4, 9), 5)) == load_step::read);
  CHECK(load.on_read(answer({}, 5)) == load_step::serve);
  auto groups = load.take_groups();
  CHECK(groups["g"].offsets.at({"t", partition_id{0}}).offset == log_offset{9});
}
