// The atoms of cafka's messages, declared once: the vocabulary every typed interface
// (actors/*/..._interface.hpp, include/cafka/client_messages.hpp) is written in. Any context.
#pragma once

#include <caf/atom.hpp>

namespace cafka {

// caf::ok_atom, caf::tick_atom and caf::flush_atom are reused.
using produce_atom = caf::atom_constant<caf::atom("produce")>;
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;
using list_offsets_atom = caf::atom_constant<caf::atom("listoffs")>;
using metadata_atom = caf::atom_constant<caf::atom("metadata")>;
using create_topic_atom = caf::atom_constant<caf::atom("ctopic")>;
// A topic's config overrides changed; a topic grown by partitions.
using alter_configs_atom = caf::atom_constant<caf::atom("altercfg")>;
using create_partitions_atom = caf::atom_constant<caf::atom("cparts")>;
using reassign_atom = caf::atom_constant<caf::atom("reassign")>;
using decommission_atom = caf::atom_constant<caf::atom("decomm")>;
using delete_topic_atom = caf::atom_constant<caf::atom("dtopic")>;
using md_update_atom = caf::atom_constant<caf::atom("mdupdate")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using send_atom = caf::atom_constant<caf::atom("send")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using resume_fetch_atom = caf::atom_constant<caf::atom("rsmfetch")>;
// A compacted replica's next log cleaner step (a self-message).
using clean_atom = caf::atom_constant<caf::atom("clean")>;
using assign_atom = caf::atom_constant<caf::atom("assign")>;
using seek_atom = caf::atom_constant<caf::atom("seek")>;
using seek_to_beginning_atom = caf::atom_constant<caf::atom("seekbegin")>;
using seek_to_end_atom = caf::atom_constant<caf::atom("seekend")>;
using credit_atom = caf::atom_constant<caf::atom("credit")>;
using partitions_atom = caf::atom_constant<caf::atom("partitions")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using raft_atom = caf::atom_constant<caf::atom("raft")>;
using peer_atom = caf::atom_constant<caf::atom("peer")>;
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using broker_atom = caf::atom_constant<caf::atom("broker")>;
using controller_atom = caf::atom_constant<caf::atom("controller")>;
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
using group_admin_atom = caf::atom_constant<caf::atom("groupadmin")>;  // delete, reset a group
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using loaded_atom = caf::atom_constant<caf::atom("loaded")>;
using chaos_atom = caf::atom_constant<caf::atom("chaos")>;
using heal_atom = caf::atom_constant<caf::atom("heal")>;
using hello_atom = caf::atom_constant<caf::atom("hello")>;
using node_link_atom = caf::atom_constant<caf::atom("nodelink")>;  // not caf::link_atom
// Access metadata (SCRAM credentials, ACLs): admin requests answered by the controller, and
// the controller's push of the whole access metadata to brokers.
using upsert_credential_atom = caf::atom_constant<caf::atom("upsertcred")>;
using delete_credential_atom = caf::atom_constant<caf::atom("delcred")>;
using list_users_atom = caf::atom_constant<caf::atom("listusers")>;
using create_acls_atom = caf::atom_constant<caf::atom("createacls")>;
using delete_acls_atom = caf::atom_constant<caf::atom("deleteacls")>;
using describe_acls_atom = caf::atom_constant<caf::atom("descacls")>;
using access_update_atom = caf::atom_constant<caf::atom("accessupd")>;
// Kafka listener: a connection hands a session one request frame; the session answers with
// the response frame (empty: no response, acks=0) or asks to close the connection.
using kafka_frame_atom = caf::atom_constant<caf::atom("kframe")>;
using kafka_reply_atom = caf::atom_constant<caf::atom("kreply")>;
using kafka_close_atom = caf::atom_constant<caf::atom("kclose")>;
// The connection tells its session the TLS client certificate's subject (or "" without one)
// once the handshake is done, before any frame; the session tells its connection that SASL
// authentication succeeded (pre-authentication limits end).
using kafka_principal_atom = caf::atom_constant<caf::atom("kprincipl")>;
using kafka_authed_atom = caf::atom_constant<caf::atom("kauthed")>;
// The session asks its connection to read nothing for a while (a client over its quota).
using kafka_throttle_atom = caf::atom_constant<caf::atom("kthrottle")>;

} // namespace cafka
