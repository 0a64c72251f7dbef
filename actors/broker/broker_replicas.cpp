// Replica lifecycle and metadata application of the broker actor (see broker_state.hpp).
#include <algorithm>
#include <cstring>
#include <memory>
#include <set>

#include <spdlog/spdlog.h>

#include "actors/broker/broker_state.hpp"
#include "actors/broker/partition_replica.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"
#include "runtime/cluster/topic_config.hpp"

namespace cafka {

void start_replica(broker_self self, const topic_partition& tp) {
  auto& st = self->state;
  auto p = st.md.find_partition(tp);
  replica_config rc{tp, st.partition_dir(tp), st.cfg.defaults, self->address(), st.id,
                    p != nullptr ? *p : partition_metadata{}, st.io};
  rc.limits = st.cfg.limits;
  rc.topic = effective_topic_config(st.cfg.defaults, st.md, tp.topic);
  rc.cleaning = st.cleaning;
  rc.throttle = st.throttle;
  st.restarts[tp].started = self->clock().now();
  auto r = spawn_partition_replica(self->system(), std::move(rc));
  self->monitor(r);
  st.by_addr[r.address()] = tp;
  st.replicas[tp] = r;
}

void stop_replica(broker_self self, const topic_partition& tp, bool delete_data) {
  auto& st = self->state;
  auto i = st.replicas.find(tp);
  if (i == st.replicas.end())
    return;
  auto r = i->second;
  self->demonitor(r.address());
  st.by_addr.erase(r.address());
  st.replicas.erase(i);
  st.restarts.erase(tp);
  // For good (deleted or moved away): its series go; a replica that crashed and restarts
  // keeps them instead (it looks them up again).
  st.io.metrics->remove_partition(tp.topic, tp.partition.value);
  // A deleted partition's directory is renamed at once (so a topic recreated under the same
  // name starts in a fresh directory) and removed once its replica has closed the log.
  std::string doomed;
  if (delete_data) {
    static uint64_t counter = 0;
    doomed = st.partition_dir(tp) + "." + std::to_string(st.incarnation) + "-"
             + std::to_string(++counter) + deleted_suffix;
    if (auto err = st.io.disk->rename(st.partition_dir(tp), doomed)) {
      spdlog::error("broker: cannot rename {} for deletion: {}", st.partition_dir(tp),
                    describe(err));
      doomed.clear();
    } else if (auto err = st.io.disk->sync_dir(st.cfg.node_dir(st.id))) {
      // The rename is durable before anything reuses the name (a recreated topic).
      spdlog::error("broker: cannot sync {} after renaming {}: {}", st.cfg.node_dir(st.id),
                    doomed, describe(err));
    }
  }
  auto remove_doomed = [doomed, disk = st.io.disk] {
    if (doomed.empty())
      return;
    if (auto err = disk->remove_all(doomed))
      spdlog::error("broker: cannot delete {}: {}", doomed, describe(err));
  };
  self->request(r, replica_stop_timeout, stop_atom::value, delete_data)
    .then([remove_doomed](caf::ok_atom) { remove_doomed(); },
          [tp, remove_doomed](caf::error& err) {
            spdlog::error("broker: stopping replica {} failed: {}", to_string(tp),
                          describe(err));
            remove_doomed();
          });
}

// Starts replicas for partitions this broker hosts and stops (and deletes) the others.
void apply_metadata(broker_self self, cluster_metadata md) {
  auto& st = self->state;
  if (st.registered && md.version <= st.md.version) {
    st.md.controller = md.controller; // the version is the state's; the controller may move
    return; // stale or duplicate push
  }
  bool first = !st.registered;
  if (first)
    spdlog::info("broker {}: registered with the controller (incarnation {})", st.id,
                 st.incarnation);
  auto previous = std::move(st.md);
  st.md = std::move(md);
  st.registered = true;
  st.throttle->set_rate(st.md.reassignment_throttle);
  // Running replicas follow the metadata: leader, epochs and ISR (a move's replica changes
  // bump the partition epoch), and their topic's configs.
  for (auto& kv : st.replicas) {
    auto now = st.md.find_partition(kv.first);
    auto before = previous.find_partition(kv.first);
    if (now != nullptr
        && (before == nullptr || before->epoch != now->epoch
            || before->partition_epoch != now->partition_epoch || before->leader != now->leader
            || before->isr != now->isr))
      self->send(kv.second, md_update_atom::value, *now);
    auto topic_now = st.md.find_topic(kv.first.topic);
    auto topic_before = previous.find_topic(kv.first.topic);
    if (topic_now != nullptr && topic_before != nullptr
        && topic_now->configs != topic_before->configs)
      self->send(kv.second, md_update_atom::value,
                 effective_topic_config(st.cfg.defaults, st.md, kv.first.topic));
  }
  std::set<topic_partition> wanted;
  for (auto& t : st.md.topics)
    for (auto& p : t.partitions)
      if (std::find(p.replicas.begin(), p.replicas.end(), st.id) != p.replicas.end())
        wanted.insert(topic_partition{t.name, p.id});
  std::vector<topic_partition> gone;
  for (auto& kv : st.replicas)
    if (wanted.count(kv.first) == 0)
      gone.push_back(kv.first);
  for (auto& tp : gone) {
    if (st.md.find_partition(tp) != nullptr)
      spdlog::info("broker: topic partition {} moved off this broker; removing its log",
                   to_string(tp));
    else
      spdlog::info("broker: topic partition {} deleted; removing its log", to_string(tp));
    stop_replica(self, tp, true);
  }
  for (auto& tp : wanted)
    if (st.replicas.count(tp) == 0)
      start_replica(self, tp);
  introduce_leaders(self);
  if (st.groups)
    self->send(st.groups, md_update_atom::value, st.md);
  if (first) {
    // Directories the metadata does not know are left alone: data is never deleted on a
    // guess (a lost metadata file must not wipe the logs). Deletes go through the controller.
    auto node_dir = st.cfg.node_dir(st.id);
    auto entries = st.io.disk->list_dir(node_dir);
    for (auto& e : entries ? *entries : std::vector<storage::dir_entry>{}) {
      if (!e.is_dir || e.name == raft_dir_name)
        continue;
      auto path = node_dir + "/" + e.name;
      auto& name = e.name;
      if (name.size() > std::strlen(deleted_suffix)
          && name.compare(name.size() - std::strlen(deleted_suffix), std::string::npos,
                          deleted_suffix) == 0) {
        // Marked for deletion by this broker before a crash: finish the job.
        static_cast<void>(st.io.disk->remove_all(path));
        continue;
      }
      bool known = false;
      for (auto& tp : wanted)
        known = known || path == st.partition_dir(tp);
      if (!known)
        spdlog::warn("broker: {} belongs to no known topic partition; leaving it in place",
                     path);
    }
  }
}

// The replica leading `tp` on this broker, or the error to reply.
caf::expected<replica_actor> route(broker_self self, const topic_partition& tp) {
  auto& st = self->state;
  auto p = st.md.find_partition(tp);
  if (p == nullptr)
    return make_error(errc::unknown_topic_or_partition,
                      "topic partition " + to_string(tp) + " does not exist");
  auto me = st.md.find_broker(st.id);
  if (me == nullptr || !me->alive || me->incarnation != st.incarnation)
    return make_error(errc::broker_fenced, "broker " + to_string(st.id)
                                             + " is fenced by the controller");
  if (p->leader != st.id)
    return make_error(errc::not_leader_for_partition,
                      "broker " + to_string(st.id) + " does not lead "
                        + to_string(tp));
  auto i = st.replicas.find(tp);
  if (i == st.replicas.end())
    return make_error(errc::broker_not_available,
                      "replica of " + to_string(tp) + " is not running");
  return i->second;
}

caf::expected<replica_actor> route_local(broker_self self, const topic_partition& tp) {
  auto& st = self->state;
  auto i = st.replicas.find(tp);
  if (i == st.replicas.end())
    return make_error(errc::not_leader_for_partition,
                      "broker " + to_string(st.id) + " hosts no replica of "
                        + to_string(tp));
  return i->second;
}

void on_replica_down(broker_self self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto i = st.by_addr.find(dm.source);
  if (i == st.by_addr.end() || st.stopping)
    return;
  auto tp = i->second;
  st.by_addr.erase(i);
  st.replicas.erase(tp);
  auto& ri = st.restarts[tp];
  if (self->clock().now() - ri.started >= restart_backoff_reset)
    ri.backoff = std::chrono::milliseconds{0};
  ri.backoff = std::min(restart_backoff_max, std::max(restart_backoff_min, ri.backoff * 2));
  spdlog::error("broker: replica {} died ({}); restarting it in {} ms", to_string(tp),
                self->system().render(dm.reason), ri.backoff.count());
  self->delayed_send(self, ri.backoff, restart_atom::value, tp);
}

void restart_replica(broker_self self, const topic_partition& tp) {
  auto& st = self->state;
  auto p = st.md.find_partition(tp);
  bool hosted = p != nullptr
                && std::find(p->replicas.begin(), p->replicas.end(), st.id)
                     != p->replicas.end();
  if (!st.stopping && hosted && st.replicas.count(tp) == 0)
    start_replica(self, tp);
}

void stop_all_replicas(broker_self self, std::function<void()> done) {
  auto& st = self->state;
  auto remaining = std::make_shared<size_t>(st.replicas.size());
  if (*remaining == 0) {
    done();
    return;
  }
  auto one_done = [=]() mutable {
    if (--*remaining == 0)
      done();
  };
  for (auto& kv : st.replicas) {
    auto tp = kv.first;
    st.io.metrics->remove_partition(tp.topic, tp.partition.value);  // the broker stops
    self->request(kv.second, replica_stop_timeout, stop_atom::value, false)
      .then([=](caf::ok_atom) mutable { one_done(); },
            [=](caf::error& err) mutable {
              spdlog::error("broker: stopping replica {} failed: {}", to_string(tp),
                            describe(err));
              one_done();
            });
  }
  st.replicas.clear();
  st.by_addr.clear();
}

} // namespace cafka
