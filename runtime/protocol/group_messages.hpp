// Consumer-group requests and replies between group consumers, brokers and group managers
// (Kafka's FindCoordinator, ConsumerGroupHeartbeat, OffsetCommit, OffsetFetch,
// DescribeGroups, ListGroups), and the messages a group consumer sends its user's actor.
// Plain values with inspect(); any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "runtime/base/ids.hpp"

namespace cafka {

// One member's heartbeat: join (member_id empty, epoch 0), renew and confirm what it owns,
// or leave (epoch -1; -2 for a static member leaving for now).
struct group_heartbeat_request {
  std::string group;
  std::string member_id;
  int32_t member_epoch = 0;
  std::string instance_id;               // group.instance.id; empty: dynamic member
  std::string assignor;                  // group.remote.assignor; empty: the group's
  std::vector<std::string> topics;       // the subscription
  std::vector<topic_partition> owned;    // what it reads now
};

struct group_heartbeat_response {
  std::string member_id;
  int32_t member_epoch = 0;
  int32_t heartbeat_interval_ms = 5000;
  // The group's session: a member that has not been answered this long must assume it
  // was removed (its partitions may have moved) and stop reading them.
  int32_t session_timeout_ms = 45000;
  std::vector<topic_partition> assignment;  // own exactly these (revoke the rest first)
};

struct partition_offset {
  topic_partition tp;
  int64_t offset = -1;  // -1: no committed offset
};

// member_id empty and epoch -1: a standalone consumer (no member of the group), accepted
// only while the group has no members.
struct offset_commit_request {
  std::string group;
  std::string member_id;
  int32_t member_epoch = -1;
  std::vector<partition_offset> offsets;
};

struct offset_fetch_request {
  std::string group;
  std::vector<topic_partition> tps;  // empty: every partition with a committed offset
};

struct member_description {
  std::string member_id;
  std::string instance_id;
  int32_t member_epoch = 0;
  std::string client;                 // where the member's actor runs
  std::vector<std::string> topics;
  std::vector<topic_partition> owned;   // as it confirmed
  std::vector<topic_partition> target;  // where the group is heading
};

struct group_description {
  std::string group;
  std::string state;  // Empty, Reconciling, Stable
  int32_t group_epoch = 0;
  std::string assignor;
  node_id coordinator{-1};
  std::vector<member_description> members;
  std::vector<partition_offset> offsets;  // committed
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
  return f(x.tp, x.offset);
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
  return f(x.member_id, x.instance_id, x.member_epoch, x.client, x.topics, x.owned, x.target);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, group_description& x) {
  return f(x.group, x.state, x.group_epoch, x.assignor, x.coordinator, x.members, x.offsets);
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
