// The broker's published interface: the node's client endpoint and what peers, the
// controller and the node supervisor send it. Its own timers are in broker_state.hpp.
#pragma once

#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "runtime/cluster/metadata.hpp"
#include "runtime/protocol/group_messages.hpp"
#include "runtime/protocol/messages.hpp"
#include "runtime/security/access_messages.hpp"
#include "runtime/security/access_metadata.hpp"

namespace cafka {

// -- broker: the node's client endpoint (published on the node's port) ------------------------
using broker_actor = caf::typed_actor<
  caf::replies_to<produce_atom, produce_request>::with<produce_response>,
  caf::replies_to<fetch_atom, fetch_request>::with<fetch_response>,
  caf::replies_to<list_offsets_atom, list_offsets_request>::with<list_offsets_response>,
  caf::replies_to<metadata_atom, metadata_request>::with<cluster_metadata>,
  caf::replies_to<create_topic_atom, create_topic_request>::with<topic_metadata>,
  caf::replies_to<delete_topic_atom, delete_topic_request>::with<caf::ok_atom>,
  caf::replies_to<alter_configs_atom, alter_topic_configs_request>::with<caf::ok_atom>,
  caf::replies_to<create_partitions_atom, create_partitions_request>::with<topic_metadata>,
  caf::replies_to<reassign_atom, alter_reassignments_request>::with<
    std::vector<reassignment_result>>,
  caf::replies_to<decommission_atom, decommission_request>::with<caf::ok_atom>,
  caf::replies_to<replica_fetch_atom, replica_fetch_request>::with<replica_fetch_response>,
  caf::replies_to<alter_isr_atom, alter_isr_request>::with<partition_metadata>,  // local
  caf::replies_to<init_pid_atom>::with<producer_id>,  // a new idempotent producer id
  // Consumer groups: the broker whose group manager runs the group, then the group's own
  // requests, which a broker hands to its group coordinator.
  caf::replies_to<find_coordinator_atom, std::string>::with<node_id>,
  caf::replies_to<group_heartbeat_atom, group_heartbeat_request>::with<group_heartbeat_response>,
  caf::replies_to<commit_atom, offset_commit_request>::with<caf::ok_atom>,
  caf::replies_to<offset_fetch_atom, offset_fetch_request>::with<std::vector<partition_offset>>,
  caf::replies_to<describe_group_atom, std::string>::with<group_description>,
  caf::replies_to<classic_atom, classic_group_request>::with<classic_group_response>,
  caf::replies_to<group_admin_atom, group_admin_request>::with<group_admin_response>,
  caf::replies_to<list_groups_atom>::with<std::vector<std::string>>,
  // Access admin requests, handed to the controller (as controller_actor answers them).
  caf::replies_to<upsert_credential_atom, scram_credential>::with<caf::ok_atom>,
  caf::replies_to<delete_credential_atom, credential_name>::with<caf::ok_atom>,
  caf::replies_to<list_users_atom>::with<std::vector<scram_user>>,
  caf::replies_to<create_acls_atom, std::vector<acl_binding>>::with<std::vector<caf::error>>,
  caf::replies_to<delete_acls_atom, std::vector<acl_filter>>::with<
    std::vector<std::vector<acl_binding>>>,
  caf::replies_to<describe_acls_atom, acl_filter>::with<std::vector<acl_binding>>,
  caf::reacts_to<md_update_atom, cluster_metadata>,  // pushed by the controller
  caf::reacts_to<access_update_atom, access_metadata>,  // pushed by the controller
  caf::reacts_to<peer_atom, node_id, caf::strong_actor_ptr>,  // a controller quorum member's handle
  caf::reacts_to<node_link_atom, node_id, caf::strong_actor_ptr>,  // another node's node_actor
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

} // namespace cafka
