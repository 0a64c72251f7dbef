// The consumer actor as a group member: finds the group's coordinator, heartbeats, applies
// the assignment incrementally (revoke, commit, confirm; then fetch committed offsets and
// start), commits processed positions, and leaves on stop or max.poll.interval.ms.
// Consumer actor context.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/client/consumer_state.hpp"
#include "runtime/base/entropy.hpp"

namespace cafka {

namespace {

using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

constexpr auto tick_interval = milliseconds{50};
constexpr auto leave_timeout = milliseconds{2000};

std::vector<topic_partition> owned(const consumer_state& st) {
  std::set<topic_partition> out;
  for (auto& kv : st.parts)
    out.insert(kv.first);
  if (st.group) {
    out.insert(st.group->assigning.begin(), st.group->assigning.end());
    out.insert(st.group->revoking.begin(), st.group->revoking.end());
  }
  return {out.begin(), out.end()};
}


milliseconds timeout_of(const consumer_state& st) {
  return milliseconds{st.cfg.request_timeout_ms};
}

void schedule_tick(consumer_self self) {
  auto& st = self->state;
  if (st.ticking || !st.group)
    return;
  st.ticking = true;
  self->delayed_send(self, tick_interval, caf::tick_atom::value);
}

template <class T>
void to_sink(consumer_self self, T msg) {
  caf::send_as(caf::actor_cast<caf::actor>(self), self->state.sink, std::move(msg));
}

uint64_t begin_pending(consumer_self self, std::function<void(caf::error)> on_lost) {
  auto id = self->state.next_request++;
  self->state.pending.emplace(id, std::move(on_lost));
  return id;
}

// False if the request already ended (its broker went down and it was failed).
bool end_pending(consumer_self self, uint64_t id) {
  return self->state.pending.erase(id) > 0;
}

// Runs f with the group's coordinator broker, finding it first if needed.
void with_coordinator(consumer_self self, coordinator_callback f) {
  auto& st = self->state;
  if (st.coordinator) {
    f(*st.coordinator);
    return;
  }
  st.coordinator_waiters.push_back(std::move(f));
  if (st.coordinator_waiters.size() > 1)
    return;
  auto finish = [=](caf::expected<broker_actor> b) {
    auto& st = self->state;
    if (b)
      st.coordinator = *b;
    auto ws = std::move(st.coordinator_waiters);
    st.coordinator_waiters.clear();
    for (auto& w : ws)
      w(b);
  };
  auto group = group_name(st);
  st.link.with_bootstrap(self, [=](caf::expected<broker_actor> b) {
    if (!b) {
      finish(std::move(b.error()));
      return;
    }
    self->request(*b, timeout_of(self->state), find_coordinator_atom::value, group)
      .then([=](node_id id) { self->state.link.with_broker(self, id, finish); },
            [=](caf::error& err) {
              if (errc_of(err) == errc::none)
                self->state.link.forget(no_node);
              finish(std::move(err));
            });
  });
}

void forget_coordinator(consumer_self self) {
  self->state.coordinator.reset();
}

// Every partition goes away at once (the member was removed or gives up).
void lose_all(consumer_self self, bool lost) {
  auto& st = self->state;
  auto all = owned(st);
  forget_positions(st, all);
  st.parts.clear();
  st.group->assigning.clear();
  st.group->revoking.clear();
  st.group->revocations.clear();
  if (!all.empty())
    to_sink(self, partitions_revoked{std::move(all), lost});
}

void on_heartbeat(consumer_self self, uint64_t gen, group_heartbeat_response& resp);

void heartbeat_failed(consumer_self self, uint64_t gen, const caf::error& err) {
  auto& st = self->state;
  if (!st.group)
    return;
  auto& g = *st.group;
  g.heartbeat_in_flight = false;
  if (gen != g.generation) {
    heartbeat_now(self);
    return;
  }
  switch (group_membership::classify(err)) {
    case group_membership::error_kind::retry:
      spdlog::debug("consumer: group '{}' heartbeat: {}; retrying", g.membership.group(),
                    describe(err));
      forget_coordinator(self);
      g.next_heartbeat = self->clock().now() + milliseconds{st.cfg.retry_backoff_ms};
      break;
    case group_membership::error_kind::fenced:
      spdlog::warn("consumer: group '{}': {}; its partitions are lost, joining again",
                   g.membership.group(), describe(err));
      lose_all(self, true);
      g.membership.reset();
      g.suspended = false;
      ++g.generation;
      heartbeat_now(self);
      break;
    case group_membership::error_kind::fatal:
      spdlog::error("consumer: group '{}': {}", g.membership.group(), describe(err));
      // The member is out of the group: the partitions may be another's already.
      lose_all(self, true);
      g.failed = true;
      to_sink(self, consumer_failed{g.membership.group(), err});
      break;
  }
}

void heartbeat_later(consumer_self self) {
  auto& st = self->state;
  st.group->heartbeat_in_flight = false;
  st.group->next_heartbeat = self->clock().now() + milliseconds{st.cfg.retry_backoff_ms};
}

// The group gave these partitions: their committed offsets first, then fetching.
void start_partitions(consumer_self self, uint64_t gen, std::vector<topic_partition> tps) {
  auto& st = self->state;
  st.group->assigning.insert(tps.begin(), tps.end());
  fetch_committed(self, tps, [=](caf::expected<std::vector<partition_offset>> r) {
    auto& st = self->state;
    if (!st.group || st.group->generation != gen)
      return;
    auto& g = *st.group;
    if (!r) {
      // They stay assigned to this member: the next answer hands them out again.
      spdlog::debug("consumer: committed offsets of group '{}': {}", g.membership.group(),
                    describe(r.error()));
      for (auto& tp : tps)
        g.assigning.erase(tp);
      forget_coordinator(self);
      g.next_heartbeat = self->clock().now() + milliseconds{st.cfg.retry_backoff_ms};
      return;
    }
    std::vector<topic_partition> started;
    for (auto& po : *r) {
      if (g.assigning.erase(po.tp) == 0)
        continue; // revoked meanwhile
      st.parts[po.tp] = new_position(self, po.offset);
      if (po.offset >= log_offset{0}) {
        st.committed[po.tp] = po.offset;
        st.processed[po.tp] = po.offset;
      }
      started.push_back(po.tp);
    }
    if (!started.empty())
      to_sink(self, partitions_assigned{started});
    pump(self);
    heartbeat_now(self); // confirms it owns them now
  });
}

void on_heartbeat(consumer_self self, uint64_t gen, group_heartbeat_response& resp) {
  auto& st = self->state;
  if (!st.group)
    return;
  auto& g = *st.group;
  g.heartbeat_in_flight = false;
  if (gen != g.generation || g.paused || st.leaving) {
    heartbeat_now(self);
    return;
  }
  auto step = g.membership.on_response(resp, owned(st));
  g.next_heartbeat = self->clock().now() + g.membership.interval();
  g.last_answer = self->clock().now();
  if (g.suspended) {
    g.suspended = false;
    deliver(self);
    pump(self);
  }
  // Partitions already on their way out or in stay on their way.
  auto drop = [](std::vector<topic_partition>& xs, const std::set<topic_partition>& busy) {
    xs.erase(std::remove_if(xs.begin(), xs.end(),
                            [&](const topic_partition& tp) { return busy.count(tp) > 0; }),
             xs.end());
  };
  drop(step.revoke, g.revoking);
  drop(step.assign, g.assigning);
  if (!step.revoke.empty())
    revoke_partitions(self, std::move(step.revoke));
  if (!step.assign.empty())
    start_partitions(self, gen, std::move(step.assign));
  if (g.heartbeat_again)
    heartbeat_now(self);
}

} // namespace

std::string group_name(const consumer_state& st) {
  return st.group ? st.group->membership.group() : st.cfg.group_id;
}

std::string group_id_for(const consumer_config& cfg) {
  if (!cfg.group_id.empty())
    return cfg.group_id;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(random_u64()));
  return std::string{"cafka-consumer-"} + buf;
}

void subscribe(consumer_self self, std::vector<std::string> topics) {
  auto& st = self->state;
  if (st.group) {
    st.group->membership.subscribe(std::move(topics));
    heartbeat_now(self);
    return;
  }
  st.parts.clear(); // a manual assignment ends
  auto group = group_id_for(st.cfg);
  spdlog::debug("consumer: joining group '{}'", group);
  st.group.emplace(group_session{group_membership{group, st.cfg.group_instance_id,
                                                  st.cfg.group_remote_assignor,
                                                  std::move(topics)}});
  st.last_credit = self->clock().now();
  st.last_auto_commit = self->clock().now();
  schedule_tick(self);
  heartbeat_now(self);
}

void heartbeat_now(consumer_self self) {
  auto& st = self->state;
  if (!st.group || st.group->failed || st.group->paused || st.leaving)
    return;
  auto& g = *st.group;
  if (g.heartbeat_in_flight) {
    g.heartbeat_again = true;
    return;
  }
  g.heartbeat_in_flight = true;
  g.heartbeat_again = false;
  auto gen = g.generation;
  with_coordinator(self, [=](caf::expected<broker_actor> c) {
    auto& st = self->state;
    if (!st.group)
      return;
    if (!c) {
      spdlog::debug("consumer: no coordinator for group '{}': {}", group_name(st),
                    describe(c.error()));
      heartbeat_later(self);
      return;
    }
    auto req = st.group->membership.heartbeat(owned(st));
    auto id = begin_pending(self, [=](caf::error err) { heartbeat_failed(self, gen, err); });
    self->request(*c, timeout_of(st), group_heartbeat_atom::value, std::move(req))
      .then(
        [=](group_heartbeat_response& resp) {
          if (end_pending(self, id))
            on_heartbeat(self, gen, resp);
        },
        [=](caf::error& err) {
          if (end_pending(self, id))
            heartbeat_failed(self, gen, err);
        });
  });
}

void group_tick(consumer_self self) {
  auto& st = self->state;
  st.ticking = false;
  if (!st.group || st.leaving)
    return;
  auto& g = *st.group;
  auto now = self->clock().now();
  if (!g.failed) {
    // The sink has held a delivery without granting credit back for max.poll.interval.ms.
    bool stalled = !st.unacked.empty()
                   && now - st.unacked.front().at > milliseconds{st.cfg.max_poll_interval_ms};
    if (g.paused) {
      if (st.last_credit > g.paused_at) {
        spdlog::info("consumer: the sink is processing again; rejoining group '{}'",
                     g.membership.group());
        g.paused = false;
        heartbeat_now(self);
      }
    } else if (g.membership.joined() && now - g.last_answer > g.membership.session_timeout()) {
      // No answer for a whole session: the group has removed this member by now and its
      // partitions may be read elsewhere. Drop them and join again.
      spdlog::warn("consumer: no answer from group '{}' for a session; its partitions are "
                   "lost, joining again",
                   g.membership.group());
      lose_all(self, true);
      g.membership.reset();
      g.suspended = false;
      ++g.generation;
      g.heartbeat_in_flight = false;
      heartbeat_now(self);
    } else if (g.membership.joined() && stalled) {
      // Kafka's max.poll.interval.ms: a consumer that stopped processing leaves the group
      // so that its partitions move to members that work.
      spdlog::warn("consumer: the sink took no records for {} ms (max.poll.interval.ms); "
                   "leaving group '{}'",
                   st.cfg.max_poll_interval_ms, g.membership.group());
      if (st.coordinator)
        caf::anon_send(*st.coordinator, group_heartbeat_atom::value, g.membership.leave());
      // Lost, not revoked: the group moves them without waiting for this member.
      lose_all(self, true);
      g.membership.reset();
      ++g.generation;
      g.paused = true;
      g.paused_at = now;
    } else if (now >= g.next_heartbeat) {
      heartbeat_now(self);
    }
    if (st.cfg.enable_auto_commit && g.membership.joined()
        && now - st.last_auto_commit >= milliseconds{st.cfg.auto_commit_interval_ms}) {
      st.last_auto_commit = now;
      commit(self, {}, [=](caf::error err) {
        if (err)
          spdlog::debug("consumer: auto commit: {}", describe(err));
      });
    }
  }
  schedule_tick(self);
}

void on_credit(consumer_self self, int32_t n) {
  auto& st = self->state;
  for (; n > 0 && !st.unacked.empty(); --n) {
    auto& d = st.unacked.front();
    // Deliveries of a partition come in offset order, and those fetched before a seek are
    // detached: the newest credited one is the position (a seek back moves it back).
    if (!d.tp.topic.empty())
      st.processed[d.tp] = d.next;
    st.unacked.pop_front();
  }
  st.last_credit = self->clock().now();
  if (st.group && !st.group->revocations.empty())
    check_revocations(self);
}

void commit(consumer_self self, std::vector<partition_offset> offsets,
            std::function<void(caf::error)> f) {
  auto& st = self->state;
  auto group = group_name(st);
  if (group.empty()) {
    f(make_error(errc::invalid_group_id, "commit needs a group: set group.id or subscribe"));
    return;
  }
  if (offsets.empty()) {
    for (auto& tp : owned(st)) {
      auto p = st.processed.find(tp);
      auto c = st.committed.find(tp);
      if (p != st.processed.end() && (c == st.committed.end() || c->second != p->second))
        offsets.push_back({tp, p->second});
    }
    if (offsets.empty()) {
      f({});
      return;
    }
  }
  offset_commit_request req;
  req.group = group;
  if (st.group && st.group->membership.joined()) {
    req.member_id = st.group->membership.member_id();
    req.member_epoch = st.group->membership.epoch();
  }
  req.offsets = std::move(offsets);
  with_coordinator(self, [=](caf::expected<broker_actor> c) {
    if (!c) {
      f(std::move(c.error()));
      return;
    }
    auto id = begin_pending(self, f);
    self->request(*c, timeout_of(self->state), commit_atom::value, req)
      .then(
        [=](caf::ok_atom) {
          if (!end_pending(self, id))
            return;
          for (auto& po : req.offsets)
            self->state.committed[po.tp] = po.offset;
          f({});
        },
        [=](caf::error& err) {
          if (!end_pending(self, id))
            return;
          if (group_membership::classify(err) == group_membership::error_kind::retry)
            forget_coordinator(self);
          f(std::move(err));
        });
  });
}

void fetch_committed(consumer_self self, std::vector<topic_partition> tps,
                     std::function<void(caf::expected<std::vector<partition_offset>>)> f) {
  auto group = group_name(self->state);
  if (group.empty()) {
    f(make_error(errc::invalid_group_id, "committed offsets need a group.id"));
    return;
  }
  with_coordinator(self, [=](caf::expected<broker_actor> c) {
    if (!c) {
      f(std::move(c.error()));
      return;
    }
    auto id = begin_pending(self, [=](caf::error err) { f(std::move(err)); });
    self->request(*c, timeout_of(self->state), offset_fetch_atom::value,
                  offset_fetch_request{group, tps})
      .then(
        [=](std::vector<partition_offset>& r) {
          if (end_pending(self, id))
            f(std::move(r));
        },
        [=](caf::error& err) {
          if (!end_pending(self, id))
            return;
          if (group_membership::classify(err) == group_membership::error_kind::retry)
            forget_coordinator(self);
          f(std::move(err));
        });
  });
}

bool on_coordinator_down(consumer_self self, const caf::actor_addr& broker) {
  auto& st = self->state;
  if (!st.coordinator || st.coordinator->address() != broker)
    return false;
  st.coordinator.reset();
  if (st.group && st.group->membership.joined())
    st.group->suspended = true;
  auto lost = std::move(st.pending);
  st.pending.clear();
  for (auto& kv : lost)
    kv.second(make_error(errc::coordinator_not_available,
                         "lost the connection to the group coordinator"));
  return true;
}

void leave_group(consumer_self self, std::function<void()> then) {
  auto& st = self->state;
  if (!st.group || st.leaving || st.group->failed || !st.group->membership.joined()) {
    then();
    return;
  }
  auto finish = [=] {
    auto& st = self->state;
    st.leaving = true;
    if (!st.coordinator) {
      then();
      return;
    }
    self->request(*st.coordinator, leave_timeout, group_heartbeat_atom::value,
                  st.group->membership.leave())
      .then([=](group_heartbeat_response&) { then(); }, [=](caf::error&) { then(); });
  };
  if (!st.cfg.enable_auto_commit) {
    finish();
    return;
  }
  commit(self, {}, [=](caf::error err) {
    if (err)
      spdlog::warn("consumer: final commit for group '{}': {}", group_name(self->state),
                   describe(err));
    finish();
  });
}

} // namespace cafka
