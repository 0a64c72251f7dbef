// The consumer actor's revocations as a group member: a partition the group takes away is
// let go in order (the sink answers, credits every batch of it, auto commit stores what it
// processed) before the member confirms by heartbeating without it. Consumer actor context.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/client/consumer_state.hpp"

namespace cafka {

namespace {

using std::chrono::milliseconds;

bool drained(const consumer_state& st, const std::vector<topic_partition>& tps) {
  for (auto& d : st.unacked)
    if (std::find(tps.begin(), tps.end(), d.tp) != tps.end())
      return false;
  return true;
}

// The sink answered the partitions_revoked request of this revocation (or could not).
void acknowledge_revocation(consumer_self self, uint64_t gen,
                            const std::vector<topic_partition>& tps) {
  auto& st = self->state;
  if (!st.group || st.group->generation != gen)
    return;
  for (auto& r : st.group->revocations)
    if (r.tps == tps)
      r.acknowledged = true;
  check_revocations(self);
}

} // namespace

// Forgets the positions of partitions this member no longer owns: deliveries of them still
// waiting for credit must not move a later owner's (or a later assignment's) position.
void forget_positions(consumer_state& st, const std::vector<topic_partition>& tps) {
  for (auto& tp : tps) {
    st.processed.erase(tp);
    st.committed.erase(tp);
    forget_deliveries(st, tp);
  }
}

// Finishes every revocation whose batches the sink has all processed: commits what it
// processed of those partitions (auto commit), then confirms by heartbeating without them.
void check_revocations(consumer_self self) {
  auto& st = self->state;
  if (!st.group)
    return;
  auto gen = st.group->generation;
  for (auto& r : st.group->revocations) {
    if (r.committing || !r.acknowledged || !drained(st, r.tps))
      continue;
    r.committing = true;
    auto tps = r.tps;
    auto done = [=](caf::error err) {
      auto& st = self->state;
      if (err)
        spdlog::warn("consumer: committing revoked partitions of group '{}': {}",
                     group_name(st), describe(err));
      if (!st.group || st.group->generation != gen)
        return;
      auto& g = *st.group;
      for (auto& tp : tps)
        g.revoking.erase(tp);
      g.revocations.erase(std::remove_if(g.revocations.begin(), g.revocations.end(),
                                         [&](const group_session::revocation& x) {
                                           return x.tps == tps;
                                         }),
                          g.revocations.end());
      forget_positions(st, tps);
      heartbeat_now(self);
    };
    std::vector<partition_offset> offsets;
    if (st.cfg.enable_auto_commit)
      for (auto& tp : tps) {
        auto p = st.processed.find(tp);
        auto c = st.committed.find(tp);
        if (p != st.processed.end() && (c == st.committed.end() || c->second != p->second))
          offsets.push_back({tp, p->second});
      }
    if (offsets.empty())
      done({});
    else
      commit(self, std::move(offsets), done);
    return check_revocations(self); // `done` may have changed the list
  }
}

// Stops reading these partitions and asks the sink to let them go: the revocation completes
// once the sink answered (a sink that commits by hand commits in its handler, before the
// group moves the partitions) and processed what it was sent of them (check_revocations).
void revoke_partitions(consumer_self self, std::vector<topic_partition> tps) {
  auto& st = self->state;
  auto& g = *st.group;
  for (auto& tp : tps) {
    st.parts.erase(tp);
    g.assigning.erase(tp);
    g.revoking.insert(tp);
  }
  g.revocations.push_back({tps, false, false});
  auto gen = g.generation;
  // A sink that takes longer than max.poll.interval.ms, or has no handler (an error reply),
  // lets the revocation go on without its answer.
  self
    ->request(st.sink, milliseconds{st.cfg.max_poll_interval_ms}, partitions_revoked{tps, false})
    .then([=]() { acknowledge_revocation(self, gen, tps); },
          [=](caf::error& err) {
            spdlog::debug("consumer: the sink did not answer partitions_revoked: {}",
                          describe(err));
            acknowledge_revocation(self, gen, tps);
          });
}

} // namespace cafka
