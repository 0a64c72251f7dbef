// The interfaces of the consumer-group actors on a broker: the group coordinator (one per
// broker, routes group requests) and the group managers it spawns (one per group).
#pragma once

#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "runtime/cluster/metadata.hpp"
#include "runtime/protocol/group_messages.hpp"

namespace cafka {

// -- consumer groups: one group coordinator per broker routes the group requests to one
// group manager per group, for the groups whose __consumer_offsets partition the broker leads.
using group_manager_actor = caf::typed_actor<
  caf::replies_to<group_heartbeat_atom, group_heartbeat_request>::with<group_heartbeat_response>,
  caf::replies_to<commit_atom, offset_commit_request>::with<caf::ok_atom>,
  caf::replies_to<offset_fetch_atom, offset_fetch_request>::with<std::vector<partition_offset>>,
  caf::replies_to<describe_group_atom, std::string>::with<group_description>,
  caf::replies_to<classic_atom, classic_group_request>::with<classic_group_response>,
  caf::replies_to<group_admin_atom, group_admin_request>::with<group_admin_response>,
  caf::reacts_to<md_update_atom, cluster_metadata>,  // topic sizes of the subscriptions
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

using group_coordinator_actor = caf::typed_actor<
  caf::replies_to<group_heartbeat_atom, group_heartbeat_request>::with<group_heartbeat_response>,
  caf::replies_to<commit_atom, offset_commit_request>::with<caf::ok_atom>,
  caf::replies_to<offset_fetch_atom, offset_fetch_request>::with<std::vector<partition_offset>>,
  caf::replies_to<describe_group_atom, std::string>::with<group_description>,
  caf::replies_to<classic_atom, classic_group_request>::with<classic_group_response>,
  caf::replies_to<group_admin_atom, group_admin_request>::with<group_admin_response>,
  caf::replies_to<list_groups_atom>::with<std::vector<std::string>>,
  caf::reacts_to<md_update_atom, cluster_metadata>,  // from the broker
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

} // namespace cafka
