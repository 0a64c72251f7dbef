// Follower/leader reconciliation (KIP-320): the leader's divergence check on a fetch, the
// follower's truncation point, and how a follower copies a fetch response onto its log.
#include <catch2/catch.hpp>

#include "runtime/protocol/record_batch.hpp"
#include "runtime/replication/replica_sync.hpp"

using namespace cafka;

namespace {

leader_epoch_cache history(std::initializer_list<std::pair<int32_t, int64_t>> xs) {
  leader_epoch_cache c;
  for (auto& x : xs)
    c.assign(leader_epoch{x.first}, log_offset{x.second});
  return c;
}

// A batch of n records placed at `base`.
std::string batch_at(int64_t base, int n) {
  batch_builder b;
  for (int i = 0; i < n; ++i)
    b.append(1000 + i, std::nullopt, std::string_view{"v"});
  auto bytes = b.finish();
  set_base_offset(bytes.data(), log_offset{base});
  return bytes;
}

} // namespace

TEST_CASE("a follower whose log is a prefix of the leader's fetches on", "[replication]") {
  auto leader = history({{0, 0}, {2, 10}, {5, 25}});
  CHECK_FALSE(find_divergence(leader, log_offset{0}, log_offset{30}, no_leader_epoch, log_offset{0}));
  CHECK_FALSE(find_divergence(leader, log_offset{0}, log_offset{30}, leader_epoch{2}, log_offset{25}));
  CHECK_FALSE(find_divergence(leader, log_offset{0}, log_offset{30}, leader_epoch{5}, log_offset{30}));
}

TEST_CASE("the leader reports where a diverged follower's epoch ends", "[replication]") {
  auto leader = history({{0, 0}, {2, 10}, {5, 25}});
  // The follower wrote past the end of epoch 2 as the leader knows it.
  auto d = find_divergence(leader, log_offset{0}, log_offset{30}, leader_epoch{2}, log_offset{28});
  REQUIRE(d);
  CHECK(d->epoch == leader_epoch{2});
  CHECK(d->end_offset == log_offset{25});
  // The follower led epoch 3, which the leader never saw: epoch 2 is the common one.
  d = find_divergence(leader, log_offset{0}, log_offset{30}, leader_epoch{3}, log_offset{27});
  REQUIRE(d);
  CHECK(d->epoch == leader_epoch{2});
  // Ahead of the leader in the same epoch.
  d = find_divergence(leader, log_offset{0}, log_offset{30}, leader_epoch{5}, log_offset{31});
  REQUIRE(d);
  CHECK(d->end_offset == log_offset{30});
  // Records without any epoch cannot be checked.
  d = find_divergence(leader, log_offset{0}, log_offset{30}, no_leader_epoch, log_offset{4});
  REQUIRE(d);
  CHECK(d->epoch == no_leader_epoch);
  // An empty follower restarted at the leader's log start holds nothing to check.
  CHECK_FALSE(find_divergence(leader, log_offset{4}, log_offset{30}, no_leader_epoch,
                              log_offset{4}));
}

TEST_CASE("a follower truncates to the end of the last common epoch", "[replication]") {
  // The follower led epoch 3 from offset 25 and wrote to 40; the leader's epoch 2 ended at 25.
  auto follower = history({{0, 0}, {2, 10}, {3, 25}});
  auto at = truncation_point(follower, log_offset{40}, log_offset{12},
                             epoch_end{leader_epoch{2}, log_offset{25}});
  CHECK(at == log_offset{25});
  // The leader's epoch 2 ended earlier than the follower's.
  at = truncation_point(follower, log_offset{40}, log_offset{12},
                        epoch_end{leader_epoch{2}, log_offset{20}});
  CHECK(at == log_offset{20});
  // The follower never saw the leader's epoch 1: cut back to the end of its epoch 0 first.
  at = truncation_point(follower, log_offset{40}, log_offset{0},
                        epoch_end{leader_epoch{1}, log_offset{15}});
  CHECK(at == log_offset{10});
}

TEST_CASE("a follower whose every epoch is newer than the leader's answer truncates all of "
          "them",
          "[replication]") {
  // The follower led epoch 1 and wrote [0, 3) that nobody copied; the leader's epoch 0 runs
  // to offset 10 and it never heard of epoch 1.
  auto follower = history({{1, 0}});
  CHECK(truncation_point(follower, log_offset{3}, log_offset{0},
                         epoch_end{leader_epoch{0}, log_offset{10}})
        == log_offset{0});
  // Still never below the high watermark.
  CHECK(truncation_point(follower, log_offset{3}, log_offset{2},
                         epoch_end{leader_epoch{0}, log_offset{10}})
        == log_offset{2});
}

TEST_CASE("truncation never goes below the follower's high watermark", "[replication]") {
  auto follower = history({{0, 0}, {2, 10}});
  CHECK(truncation_point(follower, log_offset{20}, log_offset{15},
                         epoch_end{leader_epoch{2}, log_offset{12}})
        == log_offset{15});
  // An unknown epoch keeps only what is committed.
  CHECK(truncation_point(follower, log_offset{20}, log_offset{7}, epoch_end{})
        == log_offset{7});
  CHECK(truncation_point(follower, log_offset{5}, log_offset{7}, epoch_end{})
        == log_offset{5});
}

TEST_CASE("diverging histories converge in a few fetch rounds", "[replication]") {
  // Leader: epochs 0@0, 1@40, 3@60, end 70. Follower: 0@0, 2@50, end 100.
  auto leader = history({{0, 0}, {1, 40}, {3, 60}});
  auto follower = history({{0, 0}, {2, 50}});
  log_offset end{100};
  int rounds = 0;
  for (;;) {
    REQUIRE(++rounds < 10);
    auto last = follower.latest() ? follower.latest()->epoch : no_leader_epoch;
    auto d = find_divergence(leader, log_offset{0}, log_offset{70}, last, end);
    if (!d)
      break;
    end = truncation_point(follower, end, log_offset{0}, *d);
    follower.truncate_from_end(end);
  }
  CHECK(end == log_offset{40});
}

TEST_CASE("a follower copies the batches that continue its log", "[replication]") {
  auto a = batch_at(0, 3);
  auto b = batch_at(3, 2);
  auto c = batch_at(5, 4);
  auto plan = plan_follower_copy(a + b + c, log_offset{3});
  CHECK(plan.skip_bytes == a.size());
  CHECK(plan.append_bytes == b.size() + c.size());
  CHECK_FALSE(plan.misaligned);
  // A gap (a compacted leader's log) is copied as it is.
  plan = plan_follower_copy(b + batch_at(7, 1), log_offset{3});
  CHECK(plan.append_bytes == b.size() + batch_at(7, 1).size());
  CHECK_FALSE(plan.misaligned);
  // A batch across the expected offset ends the usable prefix.
  plan = plan_follower_copy(b + batch_at(4, 2), log_offset{3});
  CHECK(plan.append_bytes == b.size());
  CHECK(plan.misaligned);
  // A partial trailing batch is ignored.
  auto all = b + c;
  plan = plan_follower_copy(std::string_view{all}.substr(0, all.size() - 5), log_offset{3});
  CHECK(plan.append_bytes == b.size());
  CHECK_FALSE(plan.misaligned);
}
