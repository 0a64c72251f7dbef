// `cafka bench rebalance`: how long a consumer group takes to recover from a join and from a
// member's death. N actor consumers share a topic of P partitions; each round one member
// joins, then one dies (its consumer actor is killed, so the group manager learns it from
// the CAF down message). The time runs from the event to the moment every partition is
// owned by exactly one live member again, balanced within one partition, each taken up by
// its new owner (the `partitions_assigned` message, sent as the consumer starts fetching).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "cafka/consumer_actor.hpp"
#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"

namespace cafka::app {

namespace {

using steady = std::chrono::steady_clock;

struct rebalance_options {
  connection_options conn;
  std::string topic = "bench-rebalance";
  int32_t partitions = 100;
  int32_t consumers = 10;
  int32_t rounds = 5;
  int32_t replication_factor = -1;
};

// Who owns what, as the members' own actors report it.
struct ownership {
  std::mutex mtx;
  std::map<int, std::set<topic_partition>> held;  // live members only
  steady::time_point last_change;
  size_t moves = 0;  // partitions assigned since the last reset

  void assigned(int member, const std::vector<topic_partition>& tps) {
    std::lock_guard<std::mutex> guard{mtx};
    held[member].insert(tps.begin(), tps.end());
    last_change = steady::now();
    moves += tps.size();
  }
  void revoked(int member, const std::vector<topic_partition>& tps) {
    std::lock_guard<std::mutex> guard{mtx};
    auto i = held.find(member);
    if (i == held.end())
      return;
    for (auto& tp : tps)
      i->second.erase(tp);
  }
  void died(int member) {
    std::lock_guard<std::mutex> guard{mtx};
    held.erase(member);
  }
  // Every partition has exactly one owner among `members`, balanced within one.
  bool settled(const std::set<int>& members, int32_t partitions) {
    std::lock_guard<std::mutex> guard{mtx};
    std::set<topic_partition> all;
    size_t lo = SIZE_MAX, hi = 0, total = 0;
    for (auto m : members) {
      auto i = held.find(m);
      size_t n = i == held.end() ? 0 : i->second.size();
      lo = std::min(lo, n);
      hi = std::max(hi, n);
      total += n;
      if (i != held.end())
        all.insert(i->second.begin(), i->second.end());
    }
    return total == static_cast<size_t>(partitions) && all.size() == total && hi - lo <= 1;
  }
};

caf::behavior member_sink(caf::event_based_actor* self, int id,
                          std::shared_ptr<ownership> own) {
  return {
    [=](partitions_assigned& a) { own->assigned(id, a.tps); },
    [=](partitions_revoked& r) { own->revoked(id, r.tps); },
    [=](consumer_records&) {
      self->send(caf::actor_cast<consumer_actor>(self->current_sender()), credit_atom::value,
                 int32_t{1});
    },
    [=](consumer_failed& f) {
      std::fprintf(stderr, "member %d: %s\n", id, describe(f.error).c_str());
    },
    [=](consumer_error& e) {
      std::fprintf(stderr, "member %d: %s\n", id, describe(e.error).c_str());
    },
  };
}

struct member {
  caf::actor sink;
  consumer_actor consumer;
};

// Waits until the group is settled over `live`; returns ms from t0 to the last assignment.
double wait_settled(ownership& own, const std::set<int>& live, int32_t partitions,
                    steady::time_point t0) {
  auto deadline = steady::now() + std::chrono::seconds{60};
  while (!own.settled(live, partitions)) {
    if (steady::now() > deadline)
      return -1;
    std::this_thread::sleep_for(std::chrono::microseconds{200}); // poll interval
  }
  std::lock_guard<std::mutex> guard{own.mtx};
  return std::chrono::duration<double, std::milli>(own.last_change - t0).count();
}

void summary(const char* what, std::vector<double> xs) {
  if (xs.empty())
    return;
  std::sort(xs.begin(), xs.end());
  std::printf("%s: min %.1f ms, median %.1f ms, max %.1f ms over %zu round(s)\n", what,
              xs.front(), xs[xs.size() / 2], xs.back(), xs.size());
}

int bench_rebalance(const rebalance_options& o) {
  auto hp = resolve_bootstrap(o.conn);
  if (!hp)
    return 1;
  auto cs = open_client_system(o.conn.config);
  if (!cs)
    return 1;
  auto& sys = cs->sys();
  if (auto rc = ensure_topic(sys, o.conn, {o.topic, o.partitions, o.replication_factor}))
    return rc;
  std::random_device rd;
  auto group = "bench-rebalance-" + std::to_string(rd());
  consumer_config cc;
  cc.bootstrap = *hp;
  cc.group_id = group;
  auto own = std::make_shared<ownership>();
  std::map<int, member> members;
  std::set<int> live;
  int next_id = 0;
  auto join = [&] {
    int id = next_id++;
    auto sink = sys.spawn(member_sink, id, own);
    auto cons = spawn_consumer(sys, cc, sink, 2);
    caf::anon_send(cons, subscribe_atom::value, std::vector<std::string>{o.topic});
    members.emplace(id, member{sink, cons});
    live.insert(id);
  };
  auto t0 = steady::now();
  for (int i = 0; i < o.consumers; ++i)
    join();
  auto formed = wait_settled(*own, live, o.partitions, t0);
  if (formed < 0)
    return fail("the group did not settle within 60 s");
  std::printf("group '%s': %d consumers own %d partitions after %.1f ms\n", group.c_str(),
              o.consumers, o.partitions, formed);
  std::vector<double> joins, deaths;
  for (int r = 0; r < o.rounds; ++r) {
    own->moves = 0;
    t0 = steady::now();
    join();
    auto j = wait_settled(*own, live, o.partitions, t0);
    if (j < 0)
      return fail("the group did not settle after a join within 60 s");
    std::printf("round %d: join  -> %zu members, every partition owned again after %.1f ms "
                "(%zu partition(s) moved)\n",
                r + 1, live.size(), j, own->moves);
    joins.push_back(j);
    // The oldest member dies: its consumer actor is killed (no leave, no final commit).
    auto victim = *live.begin();
    own->moves = 0;
    t0 = steady::now();
    auto& m = members.at(victim);
    caf::anon_send_exit(m.consumer, caf::exit_reason::kill);
    caf::anon_send_exit(m.sink, caf::exit_reason::kill);
    own->died(victim);
    live.erase(victim);
    auto d = wait_settled(*own, live, o.partitions, t0);
    if (d < 0)
      return fail("the group did not settle after a death within 60 s");
    std::printf("round %d: death -> %zu members, every partition owned again after %.1f ms "
                "(%zu partition(s) moved)\n",
                r + 1, live.size(), d, own->moves);
    deaths.push_back(d);
  }
  summary("join", joins);
  summary("death", deaths);
  for (auto& [id, m] : members) {
    caf::anon_send_exit(m.consumer, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(m.sink, caf::exit_reason::user_shutdown);
  }
  return 0;
}

} // namespace

void add_bench_rebalance_command(CLI::App& bench, command_fn& run) {
  auto o = std::make_shared<rebalance_options>();
  auto cmd = bench.add_subcommand(
    "rebalance", "time a consumer group's recovery from a member joining and one dying");
  add_connection_options(*cmd, o->conn);
  cmd->add_option("--topic", o->topic, "topic (created if missing)")->capture_default_str();
  cmd->add_option("--partitions", o->partitions, "partitions if the topic is created")
    ->capture_default_str()
    ->check(CLI::Range(1, 100000));
  cmd->add_option("--consumers", o->consumers, "members before each join")
    ->capture_default_str()
    ->check(CLI::Range(1, 1000));
  cmd->add_option("--rounds", o->rounds, "join + death rounds")
    ->capture_default_str()
    ->check(CLI::Range(1, 1000));
  cmd->add_option("--replication-factor", o->replication_factor,
                  "replication factor if the topic is created (default: the cluster's)")
    ->check(CLI::Range(1, 100));
  cmd->callback([o, &run] { run = [o] { return bench_rebalance(*o); }; });
}

} // namespace cafka::app
