// The controller member's status, metrics and events (see controller_metrics.hpp). Actor
// context of one controller_member_actor.
#include "actors/controller/controller_metrics.hpp"

#include <set>
#include <string>

#include "runtime/base/ids_format.hpp"

namespace cafka {

namespace {

constexpr raft::role roles[] = {raft::role::follower, raft::role::candidate,
                                raft::role::leader};

metrics::node_metrics& metrics_of(controller_self self) {
  return *self->state.cfg.metrics;
}

// How far member m has the leader's log (the leader itself: its last index).
// Requires: st is the leader.
raft_index member_match(const controller_state& st, node_id m) {
  auto& prog = st.raft->progress();
  auto p = prog.find(m);
  return p != prog.end() ? p->second.match_index : st.raft->last_index();
}

// Entries member m is behind the leader's commit index, as `cluster status` shows it.
// Requires: st is the leader.
int64_t member_lag(const controller_state& st, node_id m) {
  return st.raft->commit_index() - member_match(st, m);
}

metrics::gauge series(const metrics::gauge_family& f, const std::string& value) {
  auto g = f.with({value});
  return g ? *g : metrics::gauge{};
}

std::string nodes_text(const std::vector<node_id>& xs) {
  std::string out = "[";
  for (auto& x : xs)
    out += (out.size() > 1 ? "," : "") + to_string(x);
  return out + "]";
}

std::string node_text(node_id x) {
  return x == no_node ? std::string{"none"} : to_string(x);
}

// The partitions a command may give another leader or ISR: all of them, but for an ISR
// change (its own partition) and commands that touch no leader, ISR or broker (none).
bool watches_all(const metadata_command& cmd) {
  return std::holds_alternative<register_broker_cmd>(cmd)
         || std::holds_alternative<fence_broker_cmd>(cmd)
         || std::holds_alternative<unfence_broker_cmd>(cmd)
         || std::holds_alternative<elect_preferred_cmd>(cmd)
         || std::holds_alternative<alter_reassignments_cmd>(cmd)
         || std::holds_alternative<decommission_broker_cmd>(cmd);
}

void add_view(apply_watch& w, const topic_partition& tp, const partition_metadata& p) {
  w.partitions.push_back({tp, p.leader, p.isr});
}

// The broker events of an applied register, fence or unfence.
void record_brokers(metrics::event_log& log, const metadata_command& cmd,
                    const apply_watch& before, const cluster_metadata& md) {
  if (auto r = std::get_if<register_broker_cmd>(&cmd)) {
    log.append("broker_registered", "broker " + to_string(r->broker.id) + " registered "
                                      "(incarnation " + std::to_string(r->broker.incarnation)
                                      + ")");
    return;
  }
  for (auto& [id, was_alive] : before.alive) {
    auto b = md.find_broker(id);
    if (b == nullptr || b->alive == was_alive)
      continue;
    if (!b->alive) {
      auto f = std::get_if<fence_broker_cmd>(&cmd);
      auto why = f != nullptr && f->controlled ? "controlled shutdown"
                                                : "lease lapsed or process gone";
      log.append("broker_fenced", "broker " + to_string(id) + " fenced (" + why + ")");
    } else {
      log.append("broker_unfenced", "broker " + to_string(id) + " unfenced");
    }
  }
}

} // namespace

quorum_status make_status(const controller_state& st) {
  quorum_status s;
  s.self = st.cfg.self;
  s.role = raft::to_string(st.raft->current_role());
  s.leader = st.raft->leader();
  s.term = st.raft->term();
  s.commit_index = st.raft->commit_index();
  s.applied_index = st.applied;
  s.metadata_version = st.md.current().version;
  for (auto& m : st.cfg.members) {
    member_status ms;
    ms.id = m;
    ms.connected = m == st.cfg.self || st.peers.count(m) > 0;
    if (st.is_leader()) {
      ms.match_index = member_match(st, m);
      ms.lag = member_lag(st, m);
    }
    s.members.push_back(ms);
  }
  return s;
}

void publish_quorum(controller_self self) {
  auto& st = self->state;
  auto& m = metrics_of(self);
  auto role = st.raft->current_role();
  if (!st.shown.role || *st.shown.role != role) {
    for (auto r : roles)
      if (r != role)
        m.quorum_role.remove({raft::to_string(r)});
    series(m.quorum_role, raft::to_string(role)).set(1);
    st.shown.role = role;
  }
  m.quorum_term.set(static_cast<double>(st.raft->term().value));
  m.quorum_commit_index.set(static_cast<double>(st.raft->commit_index().value));
  m.quorum_applied_index.set(static_cast<double>(st.applied.value));
  m.controller_metadata_version.set(static_cast<double>(st.md.current().version));
}

void publish_tick(controller_self self) {
  auto& st = self->state;
  auto& m = metrics_of(self);
  series(m.mailbox_depth, "controller").set(static_cast<double>(self->mailbox().size()));
  if (!st.is_leader())
    return;
  for (auto id : st.cfg.members) {
    auto i = st.shown.member_lag.find(id);
    if (i == st.shown.member_lag.end())
      i = st.shown.member_lag.emplace(id, series(m.quorum_member_lag, to_string(id))).first;
    i->second.set(static_cast<double>(member_lag(st, id)));
  }
}

void publish_controller(controller_self self) {
  auto& st = self->state;
  auto& m = metrics_of(self);
  auto& md = st.md.current();
  std::set<node_id> alive;
  for (auto& b : md.brokers)
    if (b.alive)
      alive.insert(b.id);
  int64_t offline = 0;
  int64_t under_replicated = 0;
  for (auto& t : md.topics)
    for (auto& p : t.partitions) {
      if (p.leader == no_node || alive.count(p.leader) == 0)
        ++offline;
      if (p.isr.size() < p.replicas.size())
        ++under_replicated;
    }
  st.shown.brokers_alive.set(static_cast<double>(alive.size()));
  st.shown.brokers_fenced.set(static_cast<double>(md.brokers.size() - alive.size()));
  m.controller_offline_partitions.set(static_cast<double>(offline));
  m.controller_under_replicated_partitions.set(static_cast<double>(under_replicated));
}

void on_elected(controller_self self) {
  auto& st = self->state;
  auto& m = metrics_of(self);
  m.controller_active.set(1);
  st.shown.brokers_alive = series(m.controller_brokers, "alive");
  st.shown.brokers_fenced = series(m.controller_brokers, "fenced");
  m.events.append("controller_elected", "node " + to_string(st.cfg.self)
                                          + " leads the controller quorum (term "
                                          + to_string(st.raft->term()) + ")");
}

void on_deposed(controller_self self) {
  auto& st = self->state;
  auto& m = metrics_of(self);
  m.controller_active.set(0);
  for (auto& [id, g] : st.shown.member_lag)
    m.quorum_member_lag.remove({to_string(id)});
  st.shown.member_lag.clear();
  m.controller_brokers.remove({"alive"});
  m.controller_brokers.remove({"fenced"});
  st.shown.brokers_alive = {};
  st.shown.brokers_fenced = {};
  m.controller_offline_partitions.set(0);
  m.controller_under_replicated_partitions.set(0);
}

apply_watch watch_apply(const controller_state& st, const metadata_command& cmd) {
  apply_watch w;
  if (!st.is_leader())
    return w;
  auto& md = st.md.current();
  if (auto a = std::get_if<alter_isr_cmd>(&cmd)) {
    if (auto p = md.find_partition(a->req.tp))
      add_view(w, a->req.tp, *p);
    return w;
  }
  if (!watches_all(cmd))
    return w;
  for (auto& t : md.topics)
    for (auto& p : t.partitions)
      add_view(w, topic_partition{t.name, p.id}, p);
  for (auto& b : md.brokers)
    w.alive.emplace_back(b.id, b.alive);
  return w;
}

void record_apply(controller_self self, const metadata_command& cmd,
                  const apply_watch& before) {
  auto& st = self->state;
  auto& m = metrics_of(self);
  auto& md = st.md.current();
  record_brokers(m.events, cmd, before, md);
  for (auto& v : before.partitions) {
    auto p = md.find_partition(v.tp);
    if (p == nullptr)
      continue;
    auto name = to_string(v.tp);
    if (p->leader != v.leader) {
      // A partition left without a leader is no election, but the timeline shows it.
      if (p->leader != no_node)
        m.controller_leader_elections.inc();
      m.events.append("leader_election", name + ": leader " + node_text(v.leader) + " -> "
                                           + node_text(p->leader) + " (epoch "
                                           + to_string(p->epoch) + ")");
    }
    if (p->isr != v.isr)
      m.events.append(p->isr.size() < v.isr.size() ? "isr_shrink" : "isr_expand",
                      name + ": ISR " + nodes_text(v.isr) + " -> " + nodes_text(p->isr));
  }
}

} // namespace cafka
