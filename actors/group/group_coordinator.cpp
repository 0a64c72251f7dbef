#include "actors/group/group_coordinator.hpp"

#include <set>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/group/group_manager.hpp"
#include "actors/node/authorization.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/group/group_state.hpp"
#include "runtime/group/offsets_load.hpp"
#include "runtime/kafka/kafka_error.hpp"

namespace cafka {

namespace {

constexpr auto load_retry = std::chrono::milliseconds{100};
constexpr auto load_timeout = std::chrono::seconds{30};
constexpr auto manager_stop_timeout = std::chrono::seconds{10};
// A group's delete waits for its tombstones' write (the manager's own write timeout is 30 s).
constexpr auto group_delete_timeout = std::chrono::seconds{35};
// How often the coordinator shows its mailbox depth (cafka_actor_mailbox_depth).
constexpr auto mailbox_sample_interval = std::chrono::seconds{1};

struct managed_group {
  group_manager_actor hdl;
  partition_id partition;
};

struct coordinator_state {
  broker_actor broker;
  cluster_config cfg;
  node_id id;
  cluster_metadata md;
  // The __consumer_offsets partitions this broker leads, loading or serving.
  std::map<partition_id, group::offsets_load> loads;
  // Per led partition: a new load (leadership or reload) drops older load replies.
  std::map<partition_id, uint64_t> generations;
  uint64_t next_generation = 1;
  std::map<std::string, managed_group> groups;
  std::map<caf::actor_addr, std::string> by_addr;
  // Managers asked to stop, by partition; a load waits for them (offsets_load).
  std::map<caf::actor_addr, partition_id> stopping;
  // Managers of deleted groups, ending by themselves: their ends need no reload.
  std::set<caf::actor_addr> deleted;
  refusal_log refusals;  // messages refused by sender (actors/node/authorization.hpp)
  std::shared_ptr<metrics::node_metrics> metrics;  // the node's; null: none
  static inline const char* name = "group_coordinator";

  std::string owner() const { return "group coordinator " + std::to_string(id.value); }
};

// The coordinator's published interface plus its own timers (self-messages only).
using coordinator_timers_actor = group_coordinator_actor::extend<
  caf::reacts_to<wake_atom, partition_id, uint64_t>,  // retry loading (partition, generation)
  caf::reacts_to<caf::tick_atom>>;                    // show the mailbox depth

using coord_self = coordinator_timers_actor::stateful_pointer<coordinator_state>;

// Messages only the broker (an actor of this process) sends; refused (counted and logged)
// from anyone else. The error to answer, or none.
caf::error check_local(coord_self self, const char* what) {
  return require_local(self, self->state.refusals, self->state.owner(), what,
                       "only this process sends it");
}

topic_partition offsets_tp(partition_id p) {
  return {group::offsets_topic, p};
}

void stop_manager(coord_self self, const std::string& group) {
  auto& st = self->state;
  auto i = st.groups.find(group);
  if (i == st.groups.end())
    return;
  // It stays monitored: its down message says its last write is done.
  st.by_addr.erase(i->second.hdl.address());
  st.stopping.emplace(i->second.hdl.address(), i->second.partition);
  self->request(i->second.hdl, manager_stop_timeout, stop_atom::value)
    .then([](caf::ok_atom) {}, [](caf::error&) {});
  st.groups.erase(i);
}

void stop_partition_managers(coord_self self, partition_id p) {
  std::vector<std::string> names;
  for (auto& [name, g] : self->state.groups)
    if (g.partition == p)
      names.push_back(name);
  for (auto& name : names)
    stop_manager(self, name);
}

group_manager_actor start_manager(coord_self self, const std::string& group, partition_id p,
                                  group::loaded_group loaded) {
  auto& st = self->state;
  auto& d = st.cfg.defaults;
  group_manager_config mc;
  mc.core.group = group;
  mc.core.group_cfg.session_timeout = std::chrono::milliseconds{d.group_session_timeout_ms};
  mc.core.group_cfg.max_size = st.cfg.limits.group_max_size;
  mc.core.heartbeat_interval_ms = static_cast<int32_t>(d.group_heartbeat_interval_ms);
  mc.core.offsets_retention_ms = d.offsets_retention_minutes * 60 * 1000;
  // A quarter of a write: members' confirmations may double the group's record, and the
  // offsets written with it must fit beside it.
  mc.core.max_group_value_bytes = static_cast<size_t>(d.message_max_bytes) / 4;
  mc.core.max_write_bytes = static_cast<size_t>(d.message_max_bytes);
  mc.offsets_tp = offsets_tp(p);
  mc.coordinator = st.id;
  mc.broker = st.broker;
  mc.loaded = std::move(loaded);
  mc.md = st.md;
  mc.metrics = st.metrics;
  auto hdl = spawn_group_manager(self->system(), std::move(mc));
  self->monitor(hdl);
  self->link_to(hdl); // no manager outlives its coordinator
  st.groups[group] = managed_group{hdl, p};
  st.by_addr[hdl.address()] = group;
  return hdl;
}

void load_step(coord_self self, partition_id p, uint64_t gen);

// The manager `hdl` of `group` answered its delete and ends by itself.
void forget_deleted(coord_self self, const std::string& group,
                    const group_manager_actor& hdl) {
  auto& st = self->state;
  auto i = st.groups.find(group);
  if (i == st.groups.end() || i->second.hdl != hdl)
    return;  // its end was handled already
  st.by_addr.erase(hdl.address());
  st.deleted.insert(hdl.address());
  st.groups.erase(i);
  spdlog::info("group coordinator {}: group '{}' was deleted", st.id, group);
}

void finish_load(coord_self self, partition_id p) {
  auto& load = self->state.loads.at(p);
  auto groups = load.take_groups();
  size_t n = 0;
  for (auto& [name, g] : groups) {
    if (!g.state && g.offsets.empty())
      continue;
    start_manager(self, name, p, std::move(g));
    ++n;
  }
  spdlog::info("group coordinator {}: loaded {} up to offset {}: {} group(s)",
               self->state.id, to_string(offsets_tp(p)), load.position(), n);
}

void retry_load(coord_self self, partition_id p, uint64_t gen) {
  self->delayed_send(self, load_retry, wake_atom::value, p, gen);
}

// The load of partition p in generation gen, or nullptr if a newer load replaced it.
group::offsets_load* current_load(coord_self self, partition_id p, uint64_t gen) {
  auto& st = self->state;
  auto i = st.loads.find(p);
  auto g = st.generations.find(p);
  if (i == st.loads.end() || g == st.generations.end() || g->second != gen)
    return nullptr;
  return &i->second;
}

// Reads the partition from where the load stands up to its log end.
void load_step(coord_self self, partition_id p, uint64_t gen) {
  auto& st = self->state;
  auto load = current_load(self, p, gen);
  if (load == nullptr || load->next_step() != group::load_step::read)
    return;  // wait_managers: resumed when the last of them is gone
  fetch_request req{offsets_tp(p), load->position(), 1 << 20, 0, 0, true};
  self->request(st.broker, load_timeout, fetch_atom::value, std::move(req))
    .then(
      [=](fetch_response& resp) {
        auto load = current_load(self, p, gen);
        if (load == nullptr)
          return;
        auto step = load->on_read(resp);
        for (auto& w : load->take_warnings())
          spdlog::warn("group coordinator: {}: {}", to_string(offsets_tp(p)), w);
        switch (step) {
          case group::load_step::read:
            return load_step(self, p, gen);
          case group::load_step::retry_later:
            spdlog::debug("group coordinator: {} loaded to {}, waiting for the high "
                          "watermark ({})", to_string(offsets_tp(p)), load->position(),
                          resp.high_watermark);
            return retry_load(self, p, gen);
          case group::load_step::serve:
            return finish_load(self, p);
          case group::load_step::wait_managers:
            return;
        }
      },
      [=](caf::error& err) {
        spdlog::debug("group coordinator: loading {}: {}; retrying", to_string(offsets_tp(p)),
                      describe(err));
        retry_load(self, p, gen);
      });
}

size_t managers_stopping(const coordinator_state& st, partition_id p) {
  size_t n = 0;
  for (auto& kv : st.stopping)
    if (kv.second == p)
      ++n;
  return n;
}

void start_load(coord_self self, partition_id p, leader_epoch epoch) {
  auto& st = self->state;
  stop_partition_managers(self, p);
  st.loads.erase(p);
  st.loads.emplace(p, group::offsets_load{epoch, managers_stopping(st, p)});
  auto gen = st.next_generation++;
  st.generations[p] = gen;
  spdlog::info("group coordinator {}: leading {} (leader epoch {}), loading",
               st.id, to_string(offsets_tp(p)), epoch);
  load_step(self, p, gen);
}

// Follows the leaderships of __consumer_offsets partitions in new metadata.
void apply_metadata(coord_self self, cluster_metadata md) {
  auto& st = self->state;
  st.md = std::move(md);
  std::map<partition_id, leader_epoch> led;
  if (auto t = st.md.find_topic(group::offsets_topic))
    for (auto& pm : t->partitions)
      if (pm.leader == st.id)
        led.emplace(pm.id, pm.epoch);
  std::vector<partition_id> lost;
  for (auto& [p, load] : st.loads)
    if (led.count(p) == 0)
      lost.push_back(p);
  for (auto p : lost) {
    spdlog::info("group coordinator {}: no longer leads {}", st.id,
                 to_string(offsets_tp(p)));
    stop_partition_managers(self, p);
    st.loads.erase(p);
    st.generations.erase(p);
  }
  for (auto& [p, epoch] : led) {
    auto i = st.loads.find(p);
    if (i == st.loads.end() || i->second.epoch() != epoch)
      start_load(self, p, epoch);
  }
  for (auto& [name, g] : st.groups)
    self->send(g.hdl, md_update_atom::value, st.md);
}

// The manager of `group`, or the error to reply. create: start one for a new group, unless
// this node coordinates [limits] max-groups groups already (limit_exceeded, which Kafka
// clients get as POLICY_VIOLATION: not retriable, so they do not spin on it). Groups loaded
// from a partition this node came to lead are never refused; a group whose manager ends
// (its partition moved, or it stopped) frees its place.
caf::expected<group_manager_actor> route(coord_self self, const std::string& group,
                                         bool create) {
  auto& st = self->state;
  auto t = st.md.find_topic(group::offsets_topic);
  auto n = t == nullptr ? 0 : static_cast<int32_t>(t->partitions.size());
  auto p = group::serving_partition(group, n, st.loads, st.id);
  if (!p)
    return std::move(p.error());
  auto g = st.groups.find(group);
  if (g != st.groups.end())
    return g->second.hdl;
  if (!create)
    return make_error(errc::group_id_not_found, "group '" + group + "' does not exist");
  if (auto err = group::check_new_group(group, st.groups.size(), st.cfg.limits.max_groups,
                                        st.id))
    return err;
  return start_manager(self, group, *p, {});
}

// Shows the mailbox depth, then again after mailbox_sample_interval.
void sample_mailbox(coord_self self) {
  if (self->state.metrics == nullptr)
    return;
  if (auto g = self->state.metrics->mailbox_depth.with({"group_coordinator"}))
    g->set(static_cast<double>(self->mailbox().size()));
  self->delayed_send(self, mailbox_sample_interval, caf::tick_atom::value);
}

coordinator_timers_actor::behavior_type
coordinator_behavior(coord_self self, broker_actor broker, cluster_config cfg, node_id id,
                     std::shared_ptr<metrics::node_metrics> metrics) {
  auto& st = self->state;
  st.broker = std::move(broker);
  st.cfg = std::move(cfg);
  st.id = id;
  st.metrics = std::move(metrics);
  sample_mailbox(self);
  // Managers are linked (so they end with this actor); their ends are handled as downs.
  self->set_exit_handler([=](caf::exit_msg& em) {
    auto& st = self->state;
    if (st.by_addr.count(em.source) == 0 && st.stopping.count(em.source) == 0
        && st.deleted.count(em.source) == 0)
      self->quit(em.reason);
  });
  // No group coordinator outlives its broker (as a replica does not).
  self->monitor(st.broker);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.broker.address()) {
      self->quit(dm.reason);
      return;
    }
    if (auto s = st.stopping.find(dm.source); s != st.stopping.end()) {
      auto p = s->second;
      st.stopping.erase(s);
      auto load = st.loads.find(p);
      if (load != st.loads.end()) {
        load->second.manager_stopped();
        load_step(self, p, st.generations[p]);
      }
      return;
    }
    if (st.deleted.erase(dm.source) != 0)
      return;
    auto i = st.by_addr.find(dm.source);
    if (i == st.by_addr.end())
      return;
    auto name = i->second;
    st.by_addr.erase(i);
    auto g = st.groups.find(name);
    if (g == st.groups.end())
      return;
    auto p = g->second.partition;
    st.groups.erase(g);
    if (!dm.reason) {
      // Only a deleted group's manager ends normally on its own (stopped ones are in
      // `stopping`): its tombstones are on the ISR, nothing to read again.
      spdlog::info("group coordinator {}: group '{}' was deleted", st.id, name);
      return;
    }
    // A manager stops when a write fails: what is on disk decides, so read it again.
    auto load = st.loads.find(p);
    if (load != st.loads.end()) {
      spdlog::warn("group coordinator {}: the manager of group '{}' stopped ({}); reloading {}",
                   st.id, name, caf::to_string(dm.reason), to_string(offsets_tp(p)));
      start_load(self, p, load->second.epoch());
    }
  });
  return {
    [=](group_heartbeat_atom, group_heartbeat_request& req)
      -> caf::result<group_heartbeat_response> {
      // Leaving a group that is not here is done already.
      bool leaving = req.member_epoch < join_epoch;
      auto m = route(self, req.group, !leaving);
      if (!m) {
        if (leaving && errc_of(m.error()) == errc::group_id_not_found)
          return group_heartbeat_response{req.member_id, req.member_epoch, 0, 0, {}};
        return std::move(m.error());
      }
      return self->delegate(*m, group_heartbeat_atom::value, std::move(req));
    },
    [=](commit_atom, offset_commit_request& req) -> caf::result<caf::ok_atom> {
      auto m = route(self, req.group, true);
      if (!m)
        return std::move(m.error());
      return self->delegate(*m, commit_atom::value, std::move(req));
    },
    [=](offset_fetch_atom, offset_fetch_request& req)
      -> caf::result<std::vector<partition_offset>> {
      auto m = route(self, req.group, false);
      if (!m) {
        if (errc_of(m.error()) != errc::group_id_not_found)
          return std::move(m.error());
        std::vector<partition_offset> none;
        for (auto& tp : req.tps)
          none.push_back({tp, no_offset});
        return none;
      }
      return self->delegate(*m, offset_fetch_atom::value, std::move(req));
    },
    [=](describe_group_atom, std::string& group) -> caf::result<group_description> {
      auto m = route(self, group, false);
      if (!m)
        return std::move(m.error());
      return self->delegate(*m, describe_group_atom::value, std::move(group));
    },
    [=](classic_atom, classic_group_request& req) -> caf::result<classic_group_response> {
      // Only a join creates a group, and only one the group could accept; the others name
      // a member of one that exists.
      auto join = req.op == static_cast<uint8_t>(classic_op::join);
      if (join) {
        if (auto e = group::check_classic_join(req)) {
          classic_group_response refused;
          refused.error_code = e;
          refused.member_id = req.member_id;
          return refused;
        }
      }
      auto m = route(self, req.group, join);
      if (!m) {
        if (errc_of(m.error()) != errc::group_id_not_found)
          return std::move(m.error());
        classic_group_response unknown;
        unknown.error_code = kafka::code(kafka::error_code::unknown_member_id);
        unknown.member_id = req.member_id;
        return unknown;
      }
      return self->delegate(*m, classic_atom::value, std::move(req));
    },
    [=](group_admin_atom, group_admin_request& req) -> caf::result<group_admin_response> {
      // A reset may start a group (kafka-consumer-groups resets a "Dead" one); a delete or
      // an offset delete of a group that is not here: group_id_not_found.
      auto op = static_cast<group_admin_op>(req.op);
      auto m = route(self, req.group, op == group_admin_op::reset_offsets);
      if (!m)
        return std::move(m.error());
      if (op != group_admin_op::delete_group)
        return self->delegate(*m, group_admin_atom::value, std::move(req));
      // A delete: once answered, the manager ends and the group is no longer routed to it,
      // so the next request for it starts a fresh group.
      auto hdl = *m;
      auto group = req.group;
      auto rp = self->make_response_promise<group_admin_response>();
      self->request(hdl, group_delete_timeout, group_admin_atom::value, std::move(req))
        .then(
          [=](group_admin_response& r) mutable {
            forget_deleted(self, group, hdl);
            rp.deliver(std::move(r));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](list_groups_atom) -> std::vector<std::string> {
      std::vector<std::string> out;
      for (auto& kv : self->state.groups)
        out.push_back(kv.first);
      return out;
    },
    [=](md_update_atom, cluster_metadata& md) {
      if (!check_local(self, "md_update"))
        apply_metadata(self, std::move(md));
    },
    [=](wake_atom, partition_id p, uint64_t gen) {
      if (own_timer(self, self->state.refusals, self->state.owner(), "load retry"))
        load_step(self, p, gen);
    },
    [=](caf::tick_atom) {
      if (own_timer(self, self->state.refusals, self->state.owner(), "mailbox sample"))
        sample_mailbox(self);
    },
    [=](stop_atom) -> caf::result<caf::ok_atom> {
      if (auto err = check_local(self, "stop"))
        return err;
      auto& st = self->state;
      std::vector<std::string> names;
      for (auto& kv : st.groups)
        names.push_back(kv.first);
      for (auto& name : names)
        stop_manager(self, name);
      self->quit();
      return caf::ok_atom::value;
    },
  };
}

} // namespace

group_coordinator_actor spawn_group_coordinator(caf::actor_system& sys, broker_actor broker,
                                                cluster_config cfg, node_id self_id,
                                                std::shared_ptr<metrics::node_metrics> metrics) {
  return sys.spawn(coordinator_behavior, std::move(broker), std::move(cfg), self_id,
                   std::move(metrics));
}

} // namespace cafka
