// The broker's session with the controller quorum: the members' handles, registration
// (retried until it sticks), the view its lease keeper heartbeats, the admin target, and
// controlled shutdown (see broker_state.hpp).
#include <spdlog/spdlog.h>

#include "actors/broker/broker_state.hpp"
#include "actors/chaos/node_send.hpp"
#include "actors/node/authorization.hpp"
#include "actors/node/same_proxy.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"

namespace cafka {

namespace {

constexpr auto register_timeout = std::chrono::seconds{3};
constexpr auto register_retry = std::chrono::milliseconds{200};
constexpr auto shutdown_timeout = std::chrono::seconds{2};
constexpr auto resync_timeout = std::chrono::seconds{3};

// Adopts metadata and answers the creates it makes visible.
void adopt(broker_self self, cluster_metadata md) {
  apply_metadata(self, std::move(md));
  if (!self->state.awaiting_topics.empty())
    deliver_visible_topics(self, {}, false);
}

// After a push that jumped too far: asks a quorum member for the metadata (its answer to
// this broker's own request needs only to be newer).
void resync_metadata(broker_self self) {
  auto& st = self->state;
  auto target = admin_target(self);
  if (!target || st.resyncing)
    return;
  st.resyncing = true;
  self->request(*target, resync_timeout, metadata_atom::value)
    .then(
      [=](cluster_metadata& md) {
        self->state.resyncing = false;
        adopt(self, std::move(md));
      },
      [=](caf::error& err) {
        self->state.resyncing = false;
        spdlog::debug("broker {}: metadata request failed: {}", self->state.id,
                      describe(err));
      });
}

// Why the current sender may not push metadata as `controller`, or "": a local actor may;
// anyone else must be that node, a controller of cluster.conf. `whose`: where the controller
// comes from, for the refusal.
std::string push_refusal(broker_self self, const sender_identity& who, node_id controller,
                         const char* whose) {
  if (who.kind == sender_kind::local)
    return {};
  auto n = self->state.cfg.find(controller);
  if (n == nullptr || !n->controller)
    return std::string{whose} + " names node " + to_string(controller)
           + ", not a controller of cluster.conf";
  if (!is_cluster_member(who) || !may_act_as_node(who, controller))
    return "only the controller (node " + to_string(controller) + ") pushes metadata";
  return {};
}

} // namespace

void on_md_push(broker_self self, cluster_metadata& md) {
  auto& st = self->state;
  auto who = identify(self->current_sender());
  if (auto why = push_refusal(self, who, md.controller, "the pushed view"); !why.empty()) {
    refuse(st.refusals, st.owner(), "md_update", who, why);
    return;
  }
  if (st.registered && md.version > st.md.version
      && md.version - st.md.version > max_metadata_version_jump) {
    refuse(st.refusals, st.owner(), "md_update", who,
           "version " + std::to_string(md.version) + " jumps more than "
             + std::to_string(max_metadata_version_jump) + " past "
             + std::to_string(st.md.version) + "; asking the controller instead");
    resync_metadata(self);
    return;
  }
  adopt(self, std::move(md));
}

void on_access_push(broker_self self, access_metadata& a) {
  auto& st = self->state;
  auto who = identify(self->current_sender());
  // The controller of the newest view: its md_update goes out before its access_update.
  if (auto why = push_refusal(self, who, st.md.controller, "this broker's metadata");
      !why.empty()) {
    refuse(st.refusals, st.owner(), "access_update", who, why);
    return;
  }
  auto version = a.version;
  if (st.access->publish(std::move(a)))
    spdlog::debug("broker {}: access metadata version {}", st.id, version);
}

std::optional<controller_actor> admin_target(broker_self self) {
  auto& st = self->state;
  if (st.controllers.empty())
    return std::nullopt;
  auto i = st.controllers.find(st.md.controller);
  if (i != st.controllers.end())
    return i->second;
  auto j = st.controllers.begin();
  std::advance(j, static_cast<long>(st.next_controller++ % st.controllers.size()));
  return j->second;
}

void add_controller(broker_self self, node_id id, caf::strong_actor_ptr& ptr) {
  auto& st = self->state;
  if (!ptr)
    return;
  auto hdl = caf::actor_cast<controller_actor>(ptr);
  auto i = st.controllers.find(id);
  if (i != st.controllers.end() && same_proxy(i->second, ptr))
    return; // the same proxy (a reconnected one has the same address)
  st.controllers[id] = hdl;
  self->monitor(hdl);
  if (!st.registered)
    try_register(self);
}

bool on_controller_down(broker_self self, const caf::down_msg& dm) {
  auto& st = self->state;
  for (auto i = st.controllers.begin(); i != st.controllers.end(); ++i)
    if (same_proxy(i->second, dm.source)) {
      st.controllers.erase(i); // the node supervisor rediscovers it
      return true;
    }
  return false;
}

void try_register(broker_self self) {
  auto& st = self->state;
  if (st.registering || st.stopping)
    return;
  auto target = admin_target(self);
  if (!target)
    return; // no quorum member known yet: the next peer message retries
  st.registering = true;
  auto me = st.cfg.find(st.id);
  broker_metadata bm{st.id, me ? me->host : "", me ? me->port : uint16_t{0}, true,
                     st.incarnation};
  if (me != nullptr)
    bm.listeners = me->advertised_listeners;
  self->request(*target, register_timeout, register_atom::value, bm,
                caf::actor_cast<broker_actor>(self))
    .then(
      [=](cluster_metadata& md) {
        self->state.registering = false;
        apply_metadata(self, std::move(md));
      },
      [=](caf::error& err) {
        auto& st = self->state;
        st.registering = false;
        spdlog::debug("broker {}: registration failed ({}); retrying", st.id,
                      describe(err));
        st.md.controller = no_node; // ask another quorum member next time
        self->delayed_send(self, register_retry, register_atom::value);
      });
}

void report_to_keeper(broker_self self) {
  auto& st = self->state;
  self->send(st.keeper, heartbeat_atom::value, st.incarnation, st.md.version,
             st.access->loaded() ? st.access->current()->version : access_not_loaded,
             st.controllers);
  // A pushed view that lost this incarnation (e.g. a fenced restart) calls for registering.
  auto b = st.md.find_broker(st.id);
  if (st.registered && (b == nullptr || b->incarnation != st.incarnation))
    try_register(self);
}

void controlled_shutdown(broker_self self, std::function<void()> then) {
  auto& st = self->state;
  auto target = admin_target(self);
  if (!target || !st.registered) {
    then();
    return;
  }
  self->request(*target, shutdown_timeout, shutdown_atom::value, st.id, st.incarnation)
    .then([=](caf::ok_atom) { then(); },
          [=](caf::error& err) {
            spdlog::warn("broker {}: controlled shutdown not confirmed: {}",
                         self->state.id, describe(err));
            then();
          });
}

} // namespace cafka
