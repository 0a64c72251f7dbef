// The controller's Raft driver: persist the fsm's output, send its messages through the
// fault-injection choke point, apply committed commands, answer proposals.
#include <cassert>

#include <spdlog/spdlog.h>

#include "actors/chaos/node_send.hpp"
#include "actors/controller/controller_metrics.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"

namespace cafka {

namespace {

std::string partition_name(const topic_partition& tp) {
  return tp.topic + "-" + to_string(tp.partition);
}

// The leader reports leader elections that an applied command made beyond the usual moves.
void log_elections(node_id self, const apply_result& res) {
  for (auto& e : res.unclean_elected)
    spdlog::warn("controller {}: UNCLEAN LEADER ELECTION: partition {} is now led by broker "
                 "{}, which was not in its ISR; acknowledged records may be lost "
                 "(unclean-leader-election-enable=true)",
                 self, partition_name(e.tp), e.leader);
  for (auto& e : res.preferred_elected)
    spdlog::info("controller {}: preferred replica {} leads partition {} again", self,
                 e.leader, partition_name(e.tp));
}

// One line per drive round, however many Raft messages were dropped for what they said
// (the output keeps the first few reasons; the fsm counts them all).
void log_rejected(node_id self, const std::vector<raft::rejected_message>& rejected,
                  uint64_t total) {
  const auto& first = rejected.front();
  spdlog::warn("controller {}: dropped raft message(s) ({} since start); from {}: {}", self,
               total, first.from, first.reason);
}

} // namespace

caf::error not_controller(controller_self self) {
  auto l = self->state.raft->leader();
  return make_error(errc::not_controller,
                    l == no_node ? std::string{"no controller elected yet"}
                                     : "the controller is node " + to_string(l));
}

void push_metadata(controller_self self) {
  auto& st = self->state;
  auto md = st.view();
  auto now = self->clock().now();
  for (auto& kv : st.brokers) {
    st.pushed[kv.first] = controller_state::sent_push{md.version, now};
    node_send(self, st.cfg.faults.get(), st.cfg.self, kv.first, kv.second,
              md_update_atom::value, md);
  }
  auto& access = st.md.access();
  if (access.version == st.pushed_access_version)
    return;
  for (auto& kv : st.brokers)
    node_send(self, st.cfg.faults.get(), st.cfg.self, kv.first, kv.second,
              access_update_atom::value, access);
  st.pushed_access_version = access.version;
}

void push_changes(controller_self self) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (now - st.last_push < st.cfg.tick) {
    st.push_due = true;
    return;
  }
  st.last_push = now;
  st.push_due = false;
  push_metadata(self);
}

void push_if_due(controller_self self) {
  auto& st = self->state;
  if (!st.push_due || !st.is_leader())
    return;
  st.last_push = self->clock().now();
  st.push_due = false;
  push_metadata(self);
}

void push_to(controller_self self, node_id id, const broker_actor& hdl) {
  auto& st = self->state;
  auto view = st.view();
  st.pushed[id] = controller_state::sent_push{view.version, self->clock().now()};
  node_send(self, st.cfg.faults.get(), st.cfg.self, id, hdl, md_update_atom::value,
            std::move(view));
  send_access(self, id, hdl);
}

void send_access(controller_self self, node_id id, const broker_actor& hdl) {
  auto& st = self->state;
  node_send(self, st.cfg.faults.get(), st.cfg.self, id, hdl, access_update_atom::value,
            st.md.access());
}

void fail_pending(controller_self self) {
  auto& st = self->state;
  apply_result res;
  res.error = not_controller(self);
  auto ops = std::move(st.pending);
  st.pending.clear();
  for (auto& kv : ops)
    kv.second.done(res);
}

namespace {

// Persist, send, apply, at most two rounds of the Raft core's output.
void drive_rounds(controller_self self) {
  auto& st = self->state;
  for (int round = 0; round < 2; ++round) {
    auto out = st.raft->get_output();
    if (out.empty())
      return;
    if (!out.rejected.empty())
      log_rejected(st.cfg.self, out.rejected, st.raft->rejected_count());
    auto& disk = *st.cfg.storage;
    caf::error err;
    if (out.term_and_vote)
      err = disk.store_term_and_vote(out.term_and_vote->first, out.term_and_vote->second);
    if (!err && out.truncate_from)
      err = disk.truncate(*out.truncate_from);
    if (!err && out.snapshot_to_persist)
      err = disk.store_snapshot(*out.snapshot_to_persist);
    if (!err && !out.log_entries.empty())
      err = disk.append(out.log_entries);
    if (err) {
      // Continuing could break the promises this member made: stop it.
      spdlog::critical("controller {}: raft storage failed: {}", st.cfg.self,
                       describe(err));
      self->quit(err);
      return;
    }
    for (auto& env : out.messages) {
      auto i = st.peers.find(env.to);
      if (i == st.peers.end())
        continue; // not connected: Raft treats it as a lost message
      auto peer = caf::actor_cast<controller_member_actor>(i->second);
      std::visit([&](auto& m) {
        node_send(self, st.cfg.faults.get(), st.cfg.self, env.to, peer, raft_atom::value,
                  st.cfg.self, m);
      }, env.msg);
    }
    bool changed = false;
    // Replies go out after the metadata push below, so a broker of this node knows what a
    // client was just told.
    std::vector<std::pair<std::function<void(const apply_result&)>, apply_result>> replies;
    if (out.snapshot_to_apply) {
      if (auto e = st.md.from_bytes(out.snapshot_to_apply->data)) {
        spdlog::critical("controller {}: bad snapshot: {}", st.cfg.self, describe(e));
        self->quit(e);
        return;
      }
      st.applied = out.snapshot_to_apply->desc.index;
      st.last_snapshot = st.applied;
      changed = true;
    }
    for (auto& e : out.committed) {
      st.applied = e.index;
      apply_result res;
      if (e.kind == raft::entry_kind::command) {
        auto cmd = decode_command(e.data);
        // A committed entry that does not decode is a leader's bug. It is logged and
        // skipped: every member decodes the same bytes the same way, so all skip it and
        // their states stay equal, and the proposer gets the error. Stopping instead would
        // stop every member on it at every restart, the whole quorum for good.
        if (!cmd) {
          res.error = std::move(cmd.error());
          spdlog::error("controller {}: undecodable entry {}: {}", st.cfg.self,
                        e.index, describe(res.error));
        } else {
          auto version = st.md.current().version;
          auto before = watch_apply(st, *cmd);
          res = st.md.apply(*cmd);
          // Only a new version needs a push (allocate_producer_id does not make one).
          changed = changed || st.md.current().version != version;
          if (st.is_leader()) {
            log_elections(st.cfg.self, res);
            if (!res.error)
              record_apply(self, *cmd, before);
          }
        }
      }
      auto p = st.pending.find(e.index);
      if (p != st.pending.end()) {
        auto op = std::move(p->second);
        st.pending.erase(p);
        if (op.term != e.term)
          res.error = not_controller(self); // another leader's entry took this index
        replies.emplace_back(std::move(op.done), std::move(res));
      }
    }
    if (out.role_changed) {
      bool leading = st.is_leader();
      if (leading && !st.leading) {
        spdlog::info("controller {}: elected controller in term {}", st.cfg.self,
                     st.raft->term());
        // The leases go on from what this member saw as a follower: a broker whose process
        // died meanwhile (down message) is fenced on the first tick, the others keep at
        // least half a session. A broker it never heard from gets a full one.
        auto now = self->clock().now();
        for (auto& b : st.md.current().brokers)
          if (b.alive && !st.leases.known(b.id, b.incarnation))
            st.leases.renew(b.id, b.incarnation, now);
        st.leases.take_over(now, st.cfg.broker_session_timeout / 2);
        st.preferred_in_flight = false;
        // The brokers it will know may have missed the last controller's access pushes.
        st.pushed_access_version = 0;
        st.next_imbalance_check
          = now + std::chrono::milliseconds{st.cfg.defaults.leader_imbalance_check_interval_ms};
        on_elected(self);
      } else if (!leading && st.leading) {
        spdlog::info("controller {}: no longer the controller (term {})", st.cfg.self,
                     st.raft->term());
        fail_pending(self);
        st.brokers.clear();
        on_deposed(self);
      }
      st.leading = leading;
      changed = true;
    }
    if (changed && st.is_leader()) {
      push_changes(self);
      publish_controller(self);
    }
    publish_quorum(self); // before the replies: what they answer shows already
    for (auto& [done, res] : replies)
      done(res);
    if (st.applied - st.last_snapshot
        >= static_cast<int64_t>(st.cfg.snapshot_every)) {
      st.raft->compact(st.applied, st.md.to_bytes());
      st.last_snapshot = st.applied;
    }
  }
}

} // namespace

// Persist, send, apply: the driver loop of the Raft core (see runtime/raft/fsm.hpp). The
// quorum series are shown each round, and after it too: the first tick shows them even if
// the Raft core had nothing to say.
void drive(controller_self self) {
  drive_rounds(self);
  publish_quorum(self);
}

// Leader only: proposes cmd; done runs once the entry is applied (or leadership is lost).
void propose(controller_self self, const metadata_command& cmd,
             std::function<void(const apply_result&)> done) {
  auto& st = self->state;
  auto idx = st.raft->propose(encode(cmd));
  if (!idx) {
    apply_result res;
    res.error = std::move(idx.error());
    done(res);
    return;
  }
  st.pending.emplace(*idx, pending_op{st.raft->term(), std::move(done)});
  drive(self);
}

// The leader's handle, if this member knows it and is not the leader itself.
std::optional<controller_member_actor> leader_handle(controller_self self) {
  auto& st = self->state;
  auto l = st.raft->leader();
  auto i = st.peers.find(l);
  if (l == st.cfg.self || i == st.peers.end())
    return std::nullopt;
  return caf::actor_cast<controller_member_actor>(i->second);
}

void fence(controller_self self, node_id id, uint64_t incarnation, bool controlled) {
  spdlog::warn("controller: fencing broker {} ({})", id,
               controlled ? "controlled shutdown" : "lease lapsed or process gone");
  self->state.leases.drop(id);
  propose(self, fence_broker_cmd{id, incarnation, controlled, unclean_election(self)},
          [](const apply_result&) {});
}

bool unclean_election(controller_self self) {
  return self->state.cfg.defaults.unclean_leader_election_enable;
}

void maybe_elect_preferred(controller_self self) {
  auto& st = self->state;
  // Requires: called on the leader.
  assert(st.is_leader());
  auto& d = st.cfg.defaults;
  if (!d.auto_leader_rebalance_enable || st.preferred_in_flight)
    return;
  auto now = self->clock().now();
  if (now < st.next_imbalance_check)
    return;
  st.next_imbalance_check = now + std::chrono::milliseconds{d.leader_imbalance_check_interval_ms};
  if (!has_preferred_leader_imbalance(st.md.current()))
    return;
  st.preferred_in_flight = true; // before propose: a 1-member quorum applies at once
  propose(self, elect_preferred_cmd{}, [=](const apply_result&) {
    self->state.preferred_in_flight = false;
  });
}


} // namespace cafka
