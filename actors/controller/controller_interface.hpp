// The controller's interfaces: controller_actor (what brokers ask the quorum's leader) and
// controller_member_actor (one Raft quorum member: the controller API plus quorum traffic).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/broker/broker_interface.hpp"
#include "runtime/cluster/metadata.hpp"
#include "runtime/raft/raft_types.hpp"
#include "runtime/security/access_messages.hpp"
#include "runtime/security/access_metadata.hpp"

namespace cafka {

// One quorum member as the status display shows it.
struct member_status {
  node_id id;
  bool connected = false;   // this member has a handle to it
  raft_index match_index;   // leader only: replicated up to here
  int64_t lag = 0;          // leader only: commit index - match index
};

// A quorum member's view of the quorum (cafka cluster status).
struct quorum_status {
  node_id self;
  std::string role;
  node_id leader = no_node;
  raft_term term;
  raft_index commit_index;
  raft_index applied_index;
  std::vector<member_status> members;
  uint64_t metadata_version = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_status& x) {
  return f(x.id, x.connected, x.match_index, x.lag);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, quorum_status& x) {
  return f(x.self, x.role, x.leader, x.term, x.commit_index, x.applied_index, x.members,
           x.metadata_version);
}

// -- controller: the metadata authority, the part of a quorum member that brokers use. The
// Raft leader (the active controller) answers; other members delegate to it.
using controller_actor = caf::typed_actor<
  caf::replies_to<register_atom, broker_metadata, broker_actor>::with<cluster_metadata>,
  caf::replies_to<create_topic_atom, create_topic_request>::with<topic_metadata>,
  caf::replies_to<delete_topic_atom, delete_topic_request>::with<caf::ok_atom>,
  caf::replies_to<alter_configs_atom, alter_topic_configs_request>::with<caf::ok_atom>,
  caf::replies_to<create_partitions_atom, create_partitions_request>::with<topic_metadata>,
  caf::replies_to<reassign_atom, alter_reassignments_request>::with<
    std::vector<reassignment_result>>,
  caf::replies_to<decommission_atom, decommission_request>::with<caf::ok_atom>,
  caf::replies_to<metadata_atom>::with<cluster_metadata>,
  caf::replies_to<shutdown_atom, node_id, uint64_t>::with<caf::ok_atom>,  // controlled
  caf::replies_to<alter_isr_atom, alter_isr_request>::with<partition_metadata>,
  caf::replies_to<init_pid_atom>::with<producer_id>,
  // Access metadata (runtime/cluster/access_rules.hpp has the rules): a credential stored or
  // replaced, a credential deleted, the users (never salts or keys); ACL bindings created
  // (per binding: none = created or already there, else why not), deleted (per filter: the
  // bindings removed), described (the bindings a filter matches).
  caf::replies_to<upsert_credential_atom, scram_credential>::with<caf::ok_atom>,
  caf::replies_to<delete_credential_atom, credential_name>::with<caf::ok_atom>,
  caf::replies_to<list_users_atom>::with<std::vector<scram_user>>,
  caf::replies_to<create_acls_atom, std::vector<acl_binding>>::with<std::vector<caf::error>>,
  caf::replies_to<delete_acls_atom, std::vector<acl_filter>>::with<
    std::vector<std::vector<acl_binding>>>,
  caf::replies_to<describe_acls_atom, acl_filter>::with<std::vector<acl_binding>>,
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

// -- controller quorum member: one member of the Raft metadata quorum; the leader is the active controller.
// Extends the controller API with the quorum's own traffic. Peers are untyped handles
// (a typed interface cannot name itself).
using controller_member_actor = controller_actor::extend<
  caf::reacts_to<raft_atom, node_id, raft::vote_request>,
  caf::reacts_to<raft_atom, node_id, raft::vote_reply>,
  caf::reacts_to<raft_atom, node_id, raft::append_request>,
  caf::reacts_to<raft_atom, node_id, raft::append_reply>,
  caf::reacts_to<raft_atom, node_id, raft::install_snapshot>,
  caf::reacts_to<raft_atom, node_id, raft::snapshot_reply>,
  caf::reacts_to<peer_atom, node_id, caf::strong_actor_ptr>,  // a peer's handle (re)appeared
  // broker id, incarnation, the metadata and access versions it has, its handle
  caf::reacts_to<heartbeat_atom, node_id, uint64_t, uint64_t, uint64_t, broker_actor>,
  caf::replies_to<status_atom>::with<quorum_status>>;

} // namespace cafka
