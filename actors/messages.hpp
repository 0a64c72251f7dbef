// Every atom, typed actor interface and message type of cafka, declared once.
// Included by all actors and by the client API; register_types() must run on every
// actor_system_config before the system starts (remote messages need the registry).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "runtime/chaos/fault_table.hpp"
#include "runtime/client/client_types.hpp"
#include "runtime/cluster/metadata.hpp"
#include "runtime/protocol/group_messages.hpp"
#include "runtime/protocol/messages.hpp"
#include "runtime/raft/raft_types.hpp"

namespace cafka {

// -- atoms (caf::ok_atom, caf::tick_atom, caf::flush_atom are reused) -------------------------
using produce_atom = caf::atom_constant<caf::atom("produce")>;
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;
using list_offsets_atom = caf::atom_constant<caf::atom("listoffs")>;
using metadata_atom = caf::atom_constant<caf::atom("metadata")>;
using create_topic_atom = caf::atom_constant<caf::atom("ctopic")>;
using delete_topic_atom = caf::atom_constant<caf::atom("dtopic")>;
using md_update_atom = caf::atom_constant<caf::atom("mdupdate")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using send_atom = caf::atom_constant<caf::atom("send")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using assign_atom = caf::atom_constant<caf::atom("assign")>;
using seek_atom = caf::atom_constant<caf::atom("seek")>;
using credit_atom = caf::atom_constant<caf::atom("credit")>;
using partitions_atom = caf::atom_constant<caf::atom("partitions")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using raft_atom = caf::atom_constant<caf::atom("raft")>;
using peer_atom = caf::atom_constant<caf::atom("peer")>;
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using broker_atom = caf::atom_constant<caf::atom("broker")>;
using coordinator_atom = caf::atom_constant<caf::atom("coord")>;
using replica_fetch_atom = caf::atom_constant<caf::atom("rfetch")>;
using alter_isr_atom = caf::atom_constant<caf::atom("alterisr")>;
using init_pid_atom = caf::atom_constant<caf::atom("initpid")>;
using find_coordinator_atom = caf::atom_constant<caf::atom("findcoord")>;
using group_heartbeat_atom = caf::atom_constant<caf::atom("grouphb")>;
using commit_atom = caf::atom_constant<caf::atom("commit")>;
using offset_fetch_atom = caf::atom_constant<caf::atom("offfetch")>;
using describe_group_atom = caf::atom_constant<caf::atom("dgroup")>;
using list_groups_atom = caf::atom_constant<caf::atom("lgroups")>;
using classic_atom = caf::atom_constant<caf::atom("classic")>;  // a classic Kafka member
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using loaded_atom = caf::atom_constant<caf::atom("loaded")>;
using chaos_atom = caf::atom_constant<caf::atom("chaos")>;
using heal_atom = caf::atom_constant<caf::atom("heal")>;
using hello_atom = caf::atom_constant<caf::atom("hello")>;
using node_link_atom = caf::atom_constant<caf::atom("nodelink")>;  // not caf::link_atom
// Kafka listener: a connection hands a session one request frame; the session answers with
// the response frame (empty: no response, acks=0) or asks to close the connection.
using kafka_frame_atom = caf::atom_constant<caf::atom("kframe")>;
using kafka_reply_atom = caf::atom_constant<caf::atom("kreply")>;
using kafka_close_atom = caf::atom_constant<caf::atom("kclose")>;

// One quorum member as the status display shows it.
struct member_status {
  node_id id;
  bool connected = false;   // this member has a handle to it
  raft_index match_index;   // leader only: replicated up to here
  int64_t lag = 0;          // leader only: commit index - match index
};

// A coordinator's view of the quorum (cafka cluster status).
struct quorum_status {
  node_id self;
  std::string role;
  node_id leader{-1};
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

// -- partition replica: owns one partition's log (leader now; followers in a later issue) -----
using replica_actor = caf::typed_actor<
  caf::replies_to<produce_atom, produce_request>::with<produce_response>,
  caf::replies_to<fetch_atom, fetch_request>::with<fetch_response>,
  caf::replies_to<list_offsets_atom, list_offsets_request>::with<list_offsets_response>,
  caf::reacts_to<expire_atom, int32_t, uint64_t>,  // a consumer long poll (0, id) timed out
  caf::reacts_to<wake_atom, uint64_t>,    // the replica_fsm's deadline (ms) is due
  caf::reacts_to<caf::tick_atom>,         // flush.ms and retention checks
  caf::replies_to<replica_fetch_atom, replica_fetch_request>::with<replica_fetch_response>,
  caf::reacts_to<md_update_atom, partition_metadata>,  // leader, epochs or ISR changed
  caf::reacts_to<peer_atom, node_id, caf::strong_actor_ptr>,  // a broker_actor: the leader's
  caf::replies_to<stop_atom, bool>::with<caf::ok_atom>>;  // bool: the partition is deleted

// -- broker: the node's client endpoint (published on the node's port) ------------------------
using broker_actor = caf::typed_actor<
  caf::replies_to<produce_atom, produce_request>::with<produce_response>,
  caf::replies_to<fetch_atom, fetch_request>::with<fetch_response>,
  caf::replies_to<list_offsets_atom, list_offsets_request>::with<list_offsets_response>,
  caf::replies_to<metadata_atom, metadata_request>::with<cluster_metadata>,
  caf::replies_to<create_topic_atom, create_topic_request>::with<topic_metadata>,
  caf::replies_to<delete_topic_atom, delete_topic_request>::with<caf::ok_atom>,
  caf::replies_to<replica_fetch_atom, replica_fetch_request>::with<replica_fetch_response>,
  caf::replies_to<alter_isr_atom, alter_isr_request>::with<partition_metadata>,  // local
  caf::replies_to<init_pid_atom>::with<int64_t>,  // a new idempotent producer id
  // Consumer groups: the broker whose group manager runs the group, then the group's own
  // requests, which a broker hands to its group coordinator.
  caf::replies_to<find_coordinator_atom, std::string>::with<node_id>,
  caf::replies_to<group_heartbeat_atom, group_heartbeat_request>::with<group_heartbeat_response>,
  caf::replies_to<commit_atom, offset_commit_request>::with<caf::ok_atom>,
  caf::replies_to<offset_fetch_atom, offset_fetch_request>::with<std::vector<partition_offset>>,
  caf::replies_to<describe_group_atom, std::string>::with<group_description>,
  caf::replies_to<classic_atom, classic_group_request>::with<classic_group_response>,
  caf::replies_to<list_groups_atom>::with<std::vector<std::string>>,
  caf::reacts_to<md_update_atom, cluster_metadata>,  // pushed by the controller
  caf::reacts_to<restart_atom, topic_partition>,     // restart a replica after a backoff
  caf::reacts_to<peer_atom, node_id, caf::strong_actor_ptr>,  // a coordinator's handle
  caf::reacts_to<node_link_atom, node_id, caf::strong_actor_ptr>,  // another node's node_actor
  caf::reacts_to<register_atom>,                     // (re)try registering with the quorum
  caf::reacts_to<caf::tick_atom>,                    // send lease heartbeats
  caf::reacts_to<expire_atom, std::string>,          // a create's wait for visibility ends
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

// -- consumer groups: one group coordinator per broker routes the group requests to one
// group manager per group, for the groups whose __consumer_offsets partition the broker leads.
using group_manager_actor = caf::typed_actor<
  caf::replies_to<group_heartbeat_atom, group_heartbeat_request>::with<group_heartbeat_response>,
  caf::replies_to<commit_atom, offset_commit_request>::with<caf::ok_atom>,
  caf::replies_to<offset_fetch_atom, offset_fetch_request>::with<std::vector<partition_offset>>,
  caf::replies_to<describe_group_atom, std::string>::with<group_description>,
  caf::replies_to<classic_atom, classic_group_request>::with<classic_group_response>,
  caf::reacts_to<md_update_atom, cluster_metadata>,  // topic sizes of the subscriptions
  caf::reacts_to<caf::tick_atom>,                    // session expiry
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

using group_coordinator_actor = caf::typed_actor<
  caf::replies_to<group_heartbeat_atom, group_heartbeat_request>::with<group_heartbeat_response>,
  caf::replies_to<commit_atom, offset_commit_request>::with<caf::ok_atom>,
  caf::replies_to<offset_fetch_atom, offset_fetch_request>::with<std::vector<partition_offset>>,
  caf::replies_to<describe_group_atom, std::string>::with<group_description>,
  caf::replies_to<classic_atom, classic_group_request>::with<classic_group_response>,
  caf::replies_to<list_groups_atom>::with<std::vector<std::string>>,
  caf::reacts_to<md_update_atom, cluster_metadata>,  // from the broker
  caf::reacts_to<wake_atom, int32_t, uint64_t>,      // retry loading (partition, generation)
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

// -- controller: the metadata authority (single node now; the Raft quorum's leader later) -----
using controller_actor = caf::typed_actor<
  caf::replies_to<register_atom, broker_metadata, broker_actor>::with<cluster_metadata>,
  caf::replies_to<create_topic_atom, create_topic_request>::with<topic_metadata>,
  caf::replies_to<delete_topic_atom, delete_topic_request>::with<caf::ok_atom>,
  caf::replies_to<metadata_atom>::with<cluster_metadata>,
  caf::replies_to<shutdown_atom, node_id, uint64_t>::with<caf::ok_atom>,  // controlled
  caf::replies_to<alter_isr_atom, alter_isr_request>::with<partition_metadata>,
  caf::replies_to<init_pid_atom>::with<int64_t>,
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

// -- coordinator: one member of the Raft metadata quorum; the leader is the active controller.
// Extends the controller API with the quorum's own traffic. Peers are untyped handles
// (a typed interface cannot name itself).
using coordinator_actor = controller_actor::extend<
  caf::reacts_to<raft_atom, node_id, raft::vote_request>,
  caf::reacts_to<raft_atom, node_id, raft::vote_reply>,
  caf::reacts_to<raft_atom, node_id, raft::append_request>,
  caf::reacts_to<raft_atom, node_id, raft::append_reply>,
  caf::reacts_to<raft_atom, node_id, raft::install_snapshot>,
  caf::reacts_to<raft_atom, node_id, raft::snapshot_reply>,
  caf::reacts_to<peer_atom, node_id, caf::strong_actor_ptr>,  // a peer's handle (re)appeared
  caf::reacts_to<caf::tick_atom>,
  // broker id, incarnation, the metadata version it has, its handle
  caf::reacts_to<heartbeat_atom, node_id, uint64_t, uint64_t, broker_actor>,
  caf::replies_to<status_atom>::with<quorum_status>>;

// -- node supervisor: spawns the role actors in order, monitors them, stops in reverse. It is
// the actor a node publishes on its port: clients and peers ask it for the node's broker and
// coordinator. Between two nodes only the one with the lower id opens the connection and then
// says hello (CAF 0.17 can lose one direction of a link that both sides opened at once).
// -- chaos agent: a node's handle on its own fault table (cafka chaos, tests). A rule added
// with a duration > 0 ms removes itself when the duration is over.
using chaos_agent_actor = caf::typed_actor<
  caf::replies_to<chaos_atom, fault_rule, int64_t>::with<uint64_t>,  // add; rule id
  caf::replies_to<heal_atom>::with<caf::ok_atom>,                     // remove every rule
  caf::replies_to<chaos_atom>::with<std::vector<fault_status>>,       // the active rules
  caf::reacts_to<expire_atom, uint64_t>>;                             // a rule's time is up

using node_actor = caf::typed_actor<
  caf::replies_to<broker_atom>::with<broker_actor>,            // error: no broker role
  caf::replies_to<coordinator_atom>::with<coordinator_actor>,  // error: no coordinator role
  caf::reacts_to<peer_atom, node_id>,                          // (re)discover a peer node
  // A lower-id node dialled this one: its node_actor (error: not a lower-id node of the config).
  caf::replies_to<hello_atom, node_id, caf::strong_actor_ptr>::with<caf::ok_atom>,
  // Fault injection on this node's outgoing messages (delegated to its chaos agent).
  caf::replies_to<chaos_atom, fault_rule, int64_t>::with<uint64_t>,
  caf::replies_to<heal_atom>::with<caf::ok_atom>,
  caf::replies_to<chaos_atom>::with<std::vector<fault_status>>,
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

// -- client side ------------------------------------------------------------------------------
// Producer: records from actors (one delivery report each, carrying the record's opaque; a
// vector of records gets one reply with their reports in the records' order once all have
// one) or from the C++ facade, which appends to the shared accumulator and wakes the actor.
using producer_actor = caf::typed_actor<
  caf::replies_to<send_atom, producer_record>::with<delivery_report>,
  caf::replies_to<send_atom, std::vector<producer_record>>::with<std::vector<delivery_report>>,
  caf::replies_to<partitions_atom, std::string>::with<int32_t>,
  caf::reacts_to<wake_atom>,
  caf::replies_to<caf::flush_atom>::with<caf::ok_atom>,
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

// Consumer: fetches its assigned partitions and delivers consumer_records to a sink actor,
// at most as many messages as the sink granted credit for.
// In a group (subscribe_atom) the group's manager assigns the partitions; the sink also gets
// partitions_assigned / partitions_revoked and may commit.
using consumer_actor = caf::typed_actor<
  caf::reacts_to<assign_atom, std::vector<topic_partition>>,
  caf::reacts_to<subscribe_atom, std::vector<std::string>>,
  // Commits these offsets (empty: the position after every record the sink granted credit
  // back for) for the group; answers once the group's manager stored them.
  caf::replies_to<commit_atom, std::vector<partition_offset>>::with<caf::ok_atom>,
  caf::replies_to<offset_fetch_atom, std::vector<topic_partition>>::with<std::vector<partition_offset>>,
  caf::reacts_to<heartbeat_atom>,   // the group's manager: heartbeat now
  caf::reacts_to<caf::tick_atom>,   // heartbeat, auto commit and poll-interval timer
  // Position -2 (earliest), -1 (latest) or an offset; answers the partition's new seek
  // generation: records of an older one (consumer_records::seek_generation) are stale.
  caf::replies_to<seek_atom, topic_partition, int64_t>::with<uint64_t>,
  caf::reacts_to<credit_atom, int32_t>,
  caf::reacts_to<wake_atom>,  // retry after a backoff
  caf::replies_to<partitions_atom, std::string>::with<int32_t>,
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

// Registers every message type and the cafka error category. Call before the system starts.
void register_types(caf::actor_system_config& cfg);

} // namespace cafka
