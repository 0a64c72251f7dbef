// Leader-epoch history (KIP-101 / KIP-279): assignment, end-offset lookups that decide where a
// diverged follower truncates, truncation from both ends, the checkpoint file.
#include <catch2/catch.hpp>

#include "runtime/base/durable_file.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"
#include "tests/runtime/durable_test_util.hpp"

using namespace cafka;

namespace {

leader_epoch_cache sample() {
  // epoch 0 wrote [0, 10), epoch 2 wrote [10, 25), epoch 5 writes from 25 on.
  leader_epoch_cache c;
  c.assign(leader_epoch{0}, log_offset{0});
  c.assign(leader_epoch{2}, log_offset{10});
  c.assign(leader_epoch{5}, log_offset{25});
  return c;
}

} // namespace

TEST_CASE("assign keeps epochs and start offsets increasing", "[replication]") {
  auto c = sample();
  c.assign(leader_epoch{4}, log_offset{30}); // older epoch: ignored
  c.assign(leader_epoch{5}, log_offset{40}); // same epoch: ignored
  REQUIRE(c.entries().size() == 3);
  c.assign(leader_epoch{6}, log_offset{25}); // epoch 5 wrote nothing: replaced
  REQUIRE(c.entries().size() == 3);
  CHECK(c.latest()->epoch == leader_epoch{6});
  CHECK(c.latest()->start_offset == log_offset{25});
}

TEST_CASE("end offset lookups follow KIP-279", "[replication]") {
  auto c = sample();
  auto log_end = log_offset{31};
  // A known epoch ends where the next one starts.
  auto e0 = c.end_offset_for(leader_epoch{0}, log_end);
  CHECK(e0.epoch == leader_epoch{0});
  CHECK(e0.end_offset == log_offset{10});
  // An epoch this log never had: the largest epoch below it, and its end.
  auto e3 = c.end_offset_for(leader_epoch{3}, log_end);
  CHECK(e3.epoch == leader_epoch{2});
  CHECK(e3.end_offset == log_offset{25});
  // The latest epoch (or any newer one) ends at the log end.
  CHECK(c.end_offset_for(leader_epoch{5}, log_end).end_offset == log_end);
  CHECK(c.end_offset_for(leader_epoch{9}, log_end).epoch == leader_epoch{5});
  // Older than anything known.
  leader_epoch_cache later;
  later.assign(leader_epoch{3}, log_offset{100});
  auto none = later.end_offset_for(leader_epoch{1}, log_offset{120});
  CHECK(none.epoch == no_leader_epoch);
  CHECK(none.end_offset == no_offset);
}

TEST_CASE("a diverged follower finds its truncation point", "[replication]") {
  // Leader: epoch 0 [0, 10), epoch 2 [10, ...). Follower: epoch 0 [0, 10), epoch 1 [10, 14)
  // (written while it briefly led and never replicated).
  auto leader = sample();
  leader_epoch_cache follower;
  follower.assign(leader_epoch{0}, log_offset{0});
  follower.assign(leader_epoch{1}, log_offset{10});
  auto ask = follower.latest()->epoch;                         // 1
  auto answer = leader.end_offset_for(ask, log_offset{31});    // epoch 0 ends at 10
  CHECK(answer.epoch == leader_epoch{0});
  auto truncate_to = std::min(answer.end_offset, log_offset{14});
  CHECK(truncate_to == log_offset{10});
  follower.truncate_from_end(truncate_to);
  CHECK(follower.latest()->epoch == leader_epoch{0});
}

TEST_CASE("truncation from the end and from the start", "[replication]") {
  auto c = sample();
  c.truncate_from_end(log_offset{25});
  CHECK(c.latest()->epoch == leader_epoch{2});
  c.truncate_from_end(log_offset{11});
  CHECK(c.latest()->epoch == leader_epoch{2}); // epoch 2 still has offset 10
  auto d = sample();
  d.truncate_from_start(log_offset{12});
  REQUIRE(d.entries().size() == 2);
  CHECK(d.entries()[0].epoch == leader_epoch{2});
  CHECK(d.entries()[0].start_offset == log_offset{12});
  d.truncate_from_start(log_offset{25});
  REQUIRE(d.entries().size() == 1);
  CHECK(d.entries()[0].epoch == leader_epoch{5});
}

// The checkpoint file (docs/partition-checkpoints-format.md). Version 0 is Kafka's text, as
// commit e5e7511 wrote it (sh tests/tools/durable_fixtures/print_fixtures.sh).

TEST_CASE("the checkpoint round-trips through its version 1 bytes", "[replication][durable]") {
  auto c = sample();
  auto bytes = c.serialize();
  CHECK(test::hex(bytes) == test::hex(test::unhex(
                              "0001 defc362d"                  // version 1, crc32c of the rest
                              " 03"                            // 3 entries:
                              " 00000000 0000000000000000"     //   epoch 0 from offset 0
                              " 00000002 000000000000000a"     //   epoch 2 from 10
                              " 00000005 0000000000000019")));  //  epoch 5 from 25
  auto back = leader_epoch_cache::parse(bytes);
  REQUIRE(back);
  CHECK(back->serialize() == bytes);
  auto empty = leader_epoch_cache::parse(leader_epoch_cache{}.serialize());
  REQUIRE(empty);
  CHECK(empty->entries().empty());
}

TEST_CASE("a checkpoint of version 0, Kafka's text, still loads", "[replication][durable]") {
  auto old = leader_epoch_cache::parse("0\n2\n0 0\n3 120\n");
  REQUIRE(old);
  REQUIRE(old->entries().size() == 2);
  CHECK(old->entries()[1].epoch == leader_epoch{3});
  CHECK(old->entries()[1].start_offset == log_offset{120});
  for (auto bad : {"0\n2\n0 0\n", "0\n2\n3 10\n2 20\n", "0\n1\n-1 0\n", "0\n1\n0 0\nextra",
                   "0\nx\n"}) {
    auto r = leader_epoch_cache::parse(bad);
    REQUIRE_FALSE(r);
    CHECK(errc_of(r.error()) == errc::corrupt_message);
  }
}

TEST_CASE("a cut, damaged or unknown checkpoint is an exact error", "[replication][durable]") {
  auto good = sample().serialize();
  auto error_of = [](const std::string& bytes) {
    auto r = leader_epoch_cache::parse(bytes);
    REQUIRE_FALSE(r);
    return describe(r.error());
  };
  CHECK(error_of("") == "corrupt_message: leader-epoch-checkpoint: shorter than its header "
                        "(0 bytes)");
  CHECK(error_of(good.substr(0, good.size() - 1))
        == "corrupt_message: leader-epoch-checkpoint: CRC32C mismatch");
  auto newer = good;
  newer[1] = 2;
  CHECK(error_of(newer) == "corrupt_message: leader-epoch-checkpoint: version 2 is unknown "
                           "(this cafka reads 0 and 1)");
  // Valid frames around bodies that do not parse or break the order.
  CHECK(error_of(durable::seal(1, test::unhex("02 00000000 0000000000000000")))
        == "corrupt_message: leader-epoch-checkpoint: truncated: 4 bytes needed at byte 13, "
           "0 left");
  CHECK(error_of(durable::seal(1, test::unhex("02 00000003 0000000000000000"
                                               " 00000002 0000000000000005")))
        == "corrupt_message: leader-epoch-checkpoint: entries out of order at 1");
}
