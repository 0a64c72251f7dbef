// The group manager's state: the group core (runtime/group/group_core.hpp) it drives, the
// replies the core still owes, and the members' actors it monitors. Internal to
// actors/group; everything runs in the group manager actor.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/group/group_manager.hpp"
#include "actors/group/group_interface.hpp"
#include "actors/node/refusal_log.hpp"
#include "runtime/group/group_core.hpp"

namespace cafka::manager_detail {

// A request the core has not answered yet: its promise and its sender (the member's actor,
// for a heartbeat the core asks to monitor).
struct pending_reply {
  std::variant<caf::typed_response_promise<group_heartbeat_response>,
               caf::typed_response_promise<classic_group_response>,
               caf::typed_response_promise<caf::ok_atom>,
               caf::typed_response_promise<std::vector<partition_offset>>,
               caf::typed_response_promise<group_description>,
               caf::typed_response_promise<group_admin_response>>
    promise;
  caf::actor sender;
};

struct group_manager_state {
  group_manager_config cfg;
  std::unique_ptr<group::group_core> core;
  uint64_t last_reply = 0;
  // Invariant: one entry per request the core has not answered (its reply_id).
  std::map<group::reply_id, pending_reply> pending;
  // Members' actors (the senders of their heartbeats), monitored for fast death detection.
  std::map<std::string, caf::actor> member_actors;
  std::map<caf::actor_addr, std::string> by_addr;
  refusal_log refusals;  // messages refused by sender (actors/node/authorization.hpp)
  // What the node's metrics show of the group (publish_group): its series, and the generation
  // and state they show; no generation before the first drive.
  metrics::group_series series;
  std::optional<member_epoch> shown_generation;
  std::string shown_state;
  static inline const char* name = "group_manager";

  std::string owner() const { return "group '" + cfg.core.group + "'"; }
};

// The manager's published interface plus its own timer (a self-message only).
using manager_timers_actor = group_manager_actor::extend<
  caf::reacts_to<caf::tick_atom>>;  // session expiry

using manager_self = manager_timers_actor::stateful_pointer<group_manager_state>;

// Registers a request the core will answer: its id, under which the promise waits.
template <class T>
group::reply_id expect_reply(manager_self self, caf::typed_response_promise<T> rp,
                             caf::actor sender) {
  auto& st = self->state;
  group::reply_id id{++st.last_reply};
  st.pending.emplace(id, pending_reply{std::move(rp), std::move(sender)});
  return id;
}

// Does what the core's output says (group_core.hpp's order): monitors, the write, nudges,
// replies, the end.
void drive(manager_self self);

} // namespace cafka::manager_detail
