#include "actors/group/group_manager.hpp"
#include "actors/group/group_manager_state.hpp"
#include "actors/node/authorization.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

using namespace manager_detail;

// Every topic of the cluster with its partition count: what the core knows of the metadata.
group::topic_sizes topic_sizes_of(const cluster_metadata& md) {
  group::topic_sizes out;
  for (auto& t : md.topics)
    out.emplace(t.name, static_cast<int32_t>(t.partitions.size()));
  return out;
}

void schedule_tick(manager_self self) {
  self->delayed_send(self, self->state.core->tick_interval(), caf::tick_atom::value);
}

// Messages only the coordinator (an actor of this process) sends; refused (counted and
// logged) from anyone else. The error to answer, or none.
caf::error check_local(manager_self self, const char* what) {
  return require_local(self, self->state.refusals, self->state.owner(), what,
                       "only this process sends it");
}

// Runs one request on the core: its answer comes out of the core's output, now or once the
// write holding it is done.
template <class T, class F>
caf::result<T> run(manager_self self, F f) {
  // Before the promise: making it moves the sender out of the current message.
  auto sender = caf::actor_cast<caf::actor>(self->current_sender());
  auto rp = self->make_response_promise<T>();
  auto id = expect_reply(self, rp, std::move(sender));
  f(*self->state.core, id);
  drive(self);
  return rp;
}

manager_timers_actor::behavior_type manager_behavior(manager_self self,
                                                    group_manager_config cfg) {
  auto& st = self->state;
  auto loaded = std::move(cfg.loaded);
  st.cfg = std::move(cfg);
  st.core = std::make_unique<group::group_core>(st.cfg.core, std::move(loaded),
                                                topic_sizes_of(st.cfg.md), self->clock().now());
  drive(self);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto i = st.by_addr.find(dm.source);
    if (i == st.by_addr.end())
      return;
    auto member_id = i->second;
    st.by_addr.erase(i);
    st.member_actors.erase(member_id);
    spdlog::info("group {}: member {} is gone ({})", st.cfg.core.group, member_id,
                 caf::to_string(dm.reason));
    st.core->member_gone(member_id, self->clock().now());
    drive(self);
  });
  schedule_tick(self);
  return {
    [=](group_heartbeat_atom, group_heartbeat_request& req)
      -> caf::result<group_heartbeat_response> {
      return run<group_heartbeat_response>(self, [&](group::group_core& c, group::reply_id id) {
        c.heartbeat(id, req, self->clock().now());
      });
    },
    [=](classic_atom, classic_group_request& req) -> caf::result<classic_group_response> {
      return run<classic_group_response>(self, [&](group::group_core& c, group::reply_id id) {
        c.classic(id, req, self->clock().now());
      });
    },
    [=](commit_atom, offset_commit_request& req) -> caf::result<caf::ok_atom> {
      return run<caf::ok_atom>(self, [&](group::group_core& c, group::reply_id id) {
        c.commit(id, req, now_ms());
      });
    },
    [=](offset_fetch_atom, offset_fetch_request& req)
      -> caf::result<std::vector<partition_offset>> {
      return run<std::vector<partition_offset>>(
        self, [&](group::group_core& c, group::reply_id id) { c.offset_fetch(id, req); });
    },
    [=](describe_group_atom, std::string&) -> caf::result<group_description> {
      return run<group_description>(
        self, [&](group::group_core& c, group::reply_id id) { c.describe(id); });
    },
    [=](group_admin_atom, group_admin_request& req) -> caf::result<group_admin_response> {
      if (req.op > static_cast<uint8_t>(group_admin_op::reset_offsets))
        return make_error(errc::invalid_request,
                          "unknown group admin request " + std::to_string(req.op));
      return run<group_admin_response>(self, [&](group::group_core& c, group::reply_id id) {
        switch (static_cast<group_admin_op>(req.op)) {
          case group_admin_op::delete_group:
            return c.delete_group(id);
          case group_admin_op::delete_offsets:
            return c.delete_offsets(id, req.tps);
          case group_admin_op::reset_offsets:
            return c.reset_offsets(id, req.offsets, now_ms());
        }
      });
    },
    [=](md_update_atom, cluster_metadata& md) {
      if (check_local(self, "md_update"))
        return;
      auto& st = self->state;
      st.cfg.md = std::move(md);
      st.core->metadata(topic_sizes_of(st.cfg.md));
      drive(self);
    },
    [=](caf::tick_atom) {
      if (!own_timer(self, self->state.refusals, self->state.owner(), "tick"))
        return;
      self->state.core->tick(self->clock().now());
      self->state.core->expire_offsets(now_ms());
      drive(self);
      schedule_tick(self);
    },
    [=](stop_atom) -> caf::result<caf::ok_atom> {
      if (auto err = check_local(self, "stop"))
        return err;
      self->state.core->stop();
      drive(self);
      return caf::ok_atom::value;
    },
  };
}

} // namespace

group_manager_actor spawn_group_manager(caf::actor_system& sys, group_manager_config cfg) {
  return sys.spawn(manager_behavior, std::move(cfg));
}

} // namespace cafka
