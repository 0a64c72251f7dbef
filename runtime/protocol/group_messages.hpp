// Consumer-group requests and replies between group consumers, Kafka sessions, brokers and
// group managers (Kafka's FindCoordinator, ConsumerGroupHeartbeat, OffsetCommit, OffsetFetch,
// DescribeGroups, ListGroups, DeleteGroups, OffsetDelete, the classic JoinGroup/SyncGroup/Heartbeat/LeaveGroup), and
// the messages a group consumer sends its user's actor.
// Plain values with inspect(); any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>

#include "runtime/base/ids.hpp"

namespace cafka {

// Member epochs a request sends instead of the one it was given (KIP-848): join (or rejoin
// owning nothing), leave for good, leave for now (a static member keeps its place).
inline constexpr member_epoch join_epoch{0};
inline constexpr member_epoch leave_epoch{-1};
inline constexpr member_epoch static_leave_epoch{-2};
// No member epoch: a standalone consumer's commit, a member's previous epoch before its
// first move, a classic answer that gave no generation.
inline constexpr member_epoch no_member_epoch{-1};

// One member's heartbeat: join (member_id empty, join_epoch), renew and confirm what it owns,
// or leave (leave_epoch; static_leave_epoch for a static member leaving for now).
struct group_heartbeat_request {
  std::string group;
  std::string member_id;
  cafka::member_epoch member_epoch = join_epoch;
  std::string instance_id;               // group.instance.id; empty: dynamic member
  std::string assignor;                  // group.remote.assignor; empty: the group's
  std::vector<std::string> topics;       // the subscription
  std::vector<topic_partition> owned;    // what it reads now
};

struct group_heartbeat_response {
  std::string member_id;
  cafka::member_epoch member_epoch{0};
  int32_t heartbeat_interval_ms = 5000;
  // The group's session: a member that has not been answered this long must assume it
  // was removed (its partitions may have moved) and stop reading them.
  int32_t session_timeout_ms = 45000;
  std::vector<topic_partition> assignment;  // own exactly these (revoke the rest first)
};

// Kafka's offset.metadata.max.bytes (its default): a commit's metadata may be this long.
inline constexpr size_t max_offset_metadata_size = 4096;

struct partition_offset {
  partition_offset() = default;
  partition_offset(topic_partition tp, log_offset offset,
                   cafka::leader_epoch leader_epoch = cafka::no_leader_epoch,
                   std::string metadata = {})
    : tp(std::move(tp)),
      offset(offset),
      leader_epoch(leader_epoch),
      metadata(std::move(metadata)) {
  }

  topic_partition tp;
  log_offset offset = no_offset;  // no_offset: no committed offset
  // The committing client's own, stored and handed back as given: the leader epoch of the
  // record before `offset` (Kafka's committed leader epoch; -1: none) and its metadata
  // string (at most max_offset_metadata_size bytes; Kafka's null metadata is "").
  cafka::leader_epoch leader_epoch = no_leader_epoch;
  std::string metadata;
};

// member_id empty and no_member_epoch: a standalone consumer (no member of the group),
// accepted only while the group has no members.
struct offset_commit_request {
  std::string group;
  std::string member_id;
  cafka::member_epoch member_epoch = no_member_epoch;
  std::vector<partition_offset> offsets;
};

struct offset_fetch_request {
  std::string group;
  std::vector<topic_partition> tps;  // empty: every partition with a committed offset
};

struct member_description {
  std::string member_id;
  std::string instance_id;
  cafka::member_epoch member_epoch{0};
  std::string client;  // where the member's actor runs; a classic member's client.id
  std::vector<std::string> topics;
  std::vector<topic_partition> owned;   // as it confirmed
  std::vector<topic_partition> target;  // where the group is heading
  // Classic members only (empty protocol: an actor member).
  std::string protocol;                 // the protocol name its JoinGroup was answered with
  std::string client_host;
  std::string metadata;                 // its ConsumerProtocolSubscription bytes, as sent
  int16_t assignment_version = 0;       // the ConsumerProtocolAssignment version it reads
  std::vector<topic_partition> assigned;  // what its last SyncGroup handed it
};

// A classic Kafka consumer's group request (JoinGroup, SyncGroup, Heartbeat, LeaveGroup),
// decoded by a Kafka session and run by the group's manager on the group's state, which
// assigns server side (Kafka's classic members of a KIP-848 group).
enum class classic_op : uint8_t { join, sync, heartbeat, leave };

struct classic_protocol {
  std::string name;      // an assignor name ("range", "cooperative-sticky", ...)
  std::string metadata;  // its ConsumerProtocolSubscription bytes
};

struct classic_group_request {
  uint8_t op = static_cast<uint8_t>(classic_op::heartbeat);  // a classic_op
  std::string group;
  std::string member_id;     // empty on a first join (and LeaveGroup by instance id)
  std::string instance_id;   // group.instance.id; empty: dynamic member
  // sync, heartbeat: the member epoch its join was answered with (Kafka's generation id)
  member_epoch generation = no_member_epoch;
  // join only
  bool member_id_required = false;  // JoinGroup v4+: an unknown member gets an id to rejoin
  std::string protocol_type;        // must be "consumer"
  std::vector<classic_protocol> protocols;
  std::vector<std::string> topics;      // the subscription, decoded from the protocols
  std::vector<topic_partition> owned;   // partitions it reports owning (cooperative)
  int16_t subscription_version = 0;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;    // -1: the session timeout (JoinGroup v0)
  // every op: who sent it (Kafka's client.id and address)
  std::string client_id;
  std::string client_host;
};

struct classic_group_response {
  int16_t error_code = 0;    // Kafka's error code: 0, or what a classic client understands
  std::string member_id;     // join: its member id (also with MEMBER_ID_REQUIRED)
  member_epoch generation = no_member_epoch;  // join: the member epoch
  std::string protocol_name; // join: one of the member's protocols
  // sync: what it owns from now on, and the ConsumerProtocolAssignment version it reads
  std::vector<topic_partition> assignment;
  int16_t assignment_version = 0;
};

struct group_description {
  std::string group;
  std::string state;  // Empty, Reconciling, Stable
  member_epoch group_epoch{0};
  std::string assignor;
  node_id coordinator = no_node;
  std::vector<member_description> members;
  std::vector<partition_offset> offsets;  // committed
};

// An operator's request on one group, run by its manager (Kafka's DeleteGroups, OffsetDelete
// and the commit of kafka-consumer-groups --reset-offsets --execute):
//   delete_group: removes a group without members: tombstones for its offsets and its record.
//   delete_offsets: drops the committed offsets of `tps` of topics the group does not read.
//   reset_offsets: commits `offsets` as a standalone consumer, only while it has no members.
enum class group_admin_op : uint8_t { delete_group, delete_offsets, reset_offsets };

struct group_admin_request {
  uint8_t op = static_cast<uint8_t>(group_admin_op::delete_group);  // a group_admin_op
  std::string group;
  std::vector<topic_partition> tps;         // delete_offsets
  std::vector<partition_offset> offsets;    // reset_offsets
};

// One partition's outcome of delete_offsets (none: deleted, or it had no offset).
struct partition_result {
  topic_partition tp;
  caf::error error;
};

// The answer to a group_admin_request that was run (errors of the whole request, such as
// non_empty_group or group_id_not_found, are the reply's error instead).
struct group_admin_response {
  std::vector<partition_result> partitions;  // delete_offsets: one per requested partition
};

// To a group consumer's sink: partitions it now owns (fetching starts after this message).
struct partitions_assigned {
  std::vector<topic_partition> tps;
};

// To a group consumer's sink: partitions it no longer owns. Records of them that arrive
// later do not exist: the revocation follows every batch of them. lost: the member was
// removed from the group (fenced or expired), so another member may already read them.
struct partitions_revoked {
  std::vector<topic_partition> tps;
  bool lost = false;
};

// To a group consumer's sink: the consumer gave up its group for good (for example its
// group.instance.id is in use by another live member); it fetches nothing more.
struct consumer_failed {
  std::string group;
  caf::error error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, consumer_failed& x) {
  return f(x.group, x.error);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, group_heartbeat_request& x) {
  return f(x.group, x.member_id, x.member_epoch, x.instance_id, x.assignor, x.topics, x.owned);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, group_heartbeat_response& x) {
  return f(x.member_id, x.member_epoch, x.heartbeat_interval_ms, x.session_timeout_ms,
           x.assignment);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_offset& x) {
  return f(x.tp, x.offset, x.leader_epoch, x.metadata);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offset_commit_request& x) {
  return f(x.group, x.member_id, x.member_epoch, x.offsets);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offset_fetch_request& x) {
  return f(x.group, x.tps);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_description& x) {
  return f(x.member_id, x.instance_id, x.member_epoch, x.client, x.topics, x.owned, x.target,
           x.protocol, x.client_host, x.metadata, x.assignment_version, x.assigned);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, classic_protocol& x) {
  return f(x.name, x.metadata);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, classic_group_request& x) {
  return f(x.op, x.group, x.member_id, x.instance_id, x.generation, x.member_id_required,
           x.protocol_type, x.protocols, x.topics, x.owned, x.subscription_version,
           x.session_timeout_ms, x.rebalance_timeout_ms, x.client_id, x.client_host);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, classic_group_response& x) {
  return f(x.error_code, x.member_id, x.generation, x.protocol_name, x.assignment,
           x.assignment_version);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, group_description& x) {
  return f(x.group, x.state, x.group_epoch, x.assignor, x.coordinator, x.members, x.offsets);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, group_admin_request& x) {
  return f(x.op, x.group, x.tps, x.offsets);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_result& x) {
  return f(x.tp, x.error);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, group_admin_response& x) {
  return f(x.partitions);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partitions_assigned& x) {
  return f(x.tps);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partitions_revoked& x) {
  return f(x.tps, x.lost);
}

} // namespace cafka
