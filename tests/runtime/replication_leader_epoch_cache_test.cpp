// Leader-epoch history (KIP-101 / KIP-279): assignment, end-offset lookups that decide where a
// diverged follower truncates, truncation from both ends, the checkpoint format.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"

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
  CHECK(none.epoch == leader_epoch{-1});
  CHECK(none.end_offset == log_offset{-1});
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

TEST_CASE("the checkpoint round-trips and rejects garbage", "[replication]") {
  auto c = sample();
  auto text = c.serialize();
  CHECK(text == "0\n3\n0 0\n2 10\n5 25\n");
  auto back = leader_epoch_cache::parse(text);
  REQUIRE(back);
  CHECK(back->serialize() == text);
  for (auto bad : {"", "1\n0\n", "0\n2\n0 0\n", "0\n2\n3 10\n2 20\n", "0\n1\n-1 0\n",
                   "0\n1\n0 0\nextra", "0\nx\n"}) {
    auto r = leader_epoch_cache::parse(bad);
    REQUIRE_FALSE(r);
    CHECK(errc_of(r.error()) == errc::corrupt_message);
  }
}
