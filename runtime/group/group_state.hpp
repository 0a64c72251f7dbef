// One consumer group as its manager keeps it (Kafka's KIP-848 consumer protocol, server
// side): members join, heartbeat and leave; the manager computes the target assignment and
// hands partitions out incrementally; offsets are committed by the members that own them.
// Plain C++ driven by requests and a clock; owned by the group manager actor (one thread).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/group/assignor.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/protocol/group_messages.hpp"

namespace cafka::group {

using clock = std::chrono::steady_clock;

// A request's member epoch may also be join_epoch, leave_epoch or static_leave_epoch
// (runtime/protocol/group_messages.hpp).

struct heartbeat_request {
  // Chosen by the member (KIP-1082) and kept for its lifetime, so a retried join is the same
  // member; empty: the group makes one up.
  std::string member_id;
  cafka::member_epoch member_epoch = join_epoch;  // join (or rejoin after dropping everything)
  std::string instance_id;      // group.instance.id; empty for a dynamic member
  std::vector<std::string> topics;      // the subscription
  std::vector<topic_partition> owned;   // what the member reads now (confirms revocations)
};

struct heartbeat_response {
  std::string member_id;
  cafka::member_epoch member_epoch{0};
  // What the member should own now: keep these, start the new ones, stop all others.
  std::vector<topic_partition> assignment;
};

// Classic members (Kafka's JoinGroup protocol): the only protocol type, and Kafka's default
// group.min.session.timeout.ms / group.max.session.timeout.ms for their own session timeout.
inline constexpr const char* consumer_protocol_type = "consumer";
inline constexpr int32_t classic_min_session_timeout_ms = 6000;
inline constexpr int32_t classic_max_session_timeout_ms = 1800000;

// The checks of a classic JoinGroup that need no group: protocol type "consumer" with at
// least one protocol (else INCONSISTENT_GROUP_PROTOCOL), a session timeout within
// [classic_min_session_timeout_ms, classic_max_session_timeout_ms] (else
// INVALID_SESSION_TIMEOUT). Returns Kafka's error code, 0 if it passes.
int16_t check_classic_join(const classic_group_request& req);

struct group_config {
  std::string assignor = default_assignor;
  std::chrono::milliseconds session_timeout{10000};  // session.timeout.ms (hangs)
  // [limits] group-max-size (Kafka's group.max.size): a new member beyond it is refused;
  // members already in the group (a rejoin, a static member's new incarnation) are not.
  int32_t max_size = 1000;
};

class group_state {
public:
  // Requires: cfg.assignor is a name make_assignor knows (checked by the caller).
  group_state(std::string group_id, group_config cfg);

  // A group rebuilt from its record in __consumer_offsets (a coordinator took over): every
  // member gets a fresh session from `now`. An unknown assignor name falls back to the
  // configured one.
  group_state(std::string group_id, group_config cfg, const group_record& rec,
              topic_sizes topics, clock::time_point now);

  // A copy, to go back to if a change turns out to be too large to store. Assignors keep
  // no state: the copy gets a fresh one of the same name.
  group_state(const group_state& other);
  group_state& operator=(const group_state& other);
  group_state(group_state&&) = default;
  group_state& operator=(group_state&&) = default;

  const std::string& id() const { return id_; }
  member_epoch group_epoch() const { return group_epoch_; }
  bool empty() const { return members_.empty(); }
  const char* assignor_name() const { return assignor_->name(); }

  // Switches the assignor of an empty group (the first member's choice, as in Kafka).
  // Errors: unsupported_assignor. Requires: empty().
  caf::error set_assignor(const std::string& name);

  // Everything a new coordinator needs to continue (written after every change).
  group_record snapshot() const;

  // Members whose assignment moved since they were last answered (a revocation to make,
  // or partitions that became free for them): they should heartbeat now.
  std::vector<std::string> stale_members() const;

  // Kafka's consumer-group states: "Empty", "Reconciling" (some member does not yet own its
  // target), "Stable".
  const char* state_name() const;

  // A member's heartbeat (join, renew, confirm, leave). Errors: unknown_member_id (it was
  // removed: rejoin with epoch 0 and own nothing), fenced_member_epoch (an epoch the group
  // never gave it), fenced_instance_id (another live member has that group.instance.id),
  // group_max_size_reached (a join that would add a member beyond cfg.max_size; a member
  // already in the group, or a static member back within its session, is never refused).
  caf::expected<heartbeat_response> heartbeat(const heartbeat_request& req,
                                              clock::time_point now);

  // A member's process is gone (CAF down message): it leaves at once and its partitions
  // are free. A static member keeps its place until its session times out.
  void member_died(const std::string& member_id, clock::time_point now);

  // Removes members whose session timed out; returns their ids.
  std::vector<std::string> expire(clock::time_point now);

  // The partition counts of the topics the group reads changed (or became known).
  void set_topics(topic_sizes sizes);

  // Union of every member's subscription.
  std::set<std::string> subscribed_topics() const;

  // Validates a commit: the member exists in that epoch and owns the partition.
  caf::error check_commit(const std::string& member_id, member_epoch epoch,
                          const topic_partition& tp) const;

  // -- classic members (group_state_classic.cpp) -----------------------------------------------
  // A classic Kafka consumer (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) is a member like
  // any other: the group assigns, the client follows (Kafka 3.7+'s classic members of a
  // KIP-848 group). It lives by its own session timeout and LeaveGroup, never by a monitor.
  //
  // join: check_classic_join's checks; GROUP_MAX_SIZE_REACHED (and no member id handed out)
  //   for a member not in the group while it has cfg.max_size members. An empty member id
  //   gets a new id; with
  //   member_id_required (JoinGroup v4+, dynamic member) the answer is MEMBER_ID_REQUIRED
  //   with that id and the member is not added yet. A member id the group did not give a
  //   classic member: UNKNOWN_MEMBER_ID. The first member of an empty group names the
  //   assignor (its first protocol that is one). The member joins or rejoins (epoch 0,
  //   keeping its place): its owned partitions confirm revocations, so an eager client
  //   (owned empty) frees everything it lost at once. A new incarnation of a static member
  //   (same group.instance.id, new member id) replaces the old one. Answer: generation = its
  //   member epoch; protocol = the group's assignor if it lists it, else its first. It must
  //   send SyncGroup within its rebalance timeout.
  // sync: UNKNOWN_MEMBER_ID (no such classic member), FENCED_INSTANCE_ID, ILLEGAL_GENERATION
  //   (not its member epoch). Else its assignment, which it owns from now on, encoded at
  //   its subscription's version (capped at 3).
  // heartbeat: the same checks; only a heartbeat that passes them renews the session. Then
  //   REBALANCE_IN_PROGRESS while it must give up partitions (it owns some outside its
  //   assignment) or its assignment moved (a revocation to make or partitions freed for
  //   it): it must join again within its rebalance timeout, unless the reason goes away
  //   first. A classic member loaded from the group's record (a coordinator change) goes on
  //   with its own session and rebalance timeouts: no rebalance.
  // leave: removes the member (by member id, or by group.instance.id), UNKNOWN_MEMBER_ID if
  //   there is no such classic member, FENCED_INSTANCE_ID if the instance id names another.
  // Errors are Kafka's codes in the response; errors a classic client does not know
  // (FENCED_MEMBER_EPOCH) are never answered.
  // join_topics: the topic sizes the group takes if a join is accepted (its subscription
  // and the group's); a refused join changes no topics.
  classic_group_response classic(const classic_group_request& req, clock::time_point now,
                                 const topic_sizes* join_topics = nullptr);

  struct member_view {
    std::string member_id;
    std::string instance_id;
    cafka::member_epoch member_epoch{0};
    std::vector<std::string> topics;
    std::vector<topic_partition> owned;   // as it confirmed
    std::vector<topic_partition> target;  // where the group is heading
    // Classic members only (empty protocol: an actor member).
    std::string protocol;
    std::string client_id;
    std::string client_host;
    std::string metadata;                   // the subscription bytes of `protocol`
    int16_t assignment_version = 0;
    std::vector<topic_partition> assigned;  // its current assignment
  };
  std::vector<member_view> members() const;

private:
  // What a classic member's JoinGroup said about it.
  struct classic_info {
    std::vector<classic_protocol> protocols;
    std::string protocol;  // the name its join was answered with
    int16_t assignment_version = 0;
    std::chrono::milliseconds rebalance_timeout{0};
    std::string client_id;
    std::string client_host;
    // It must join (after REBALANCE_IN_PROGRESS) or sync (after its join) by then.
    std::optional<clock::time_point> rebalance_deadline;
    bool synced = true;  // false from its JoinGroup to its SyncGroup
  };

  struct member {
    std::string instance_id;
    member_epoch epoch{0};
    // The epoch before, which a member whose last answer was lost still sends.
    // Invariant: the member knows `epoch` or `previous_epoch`: the epoch moves on only once
    // the member has sent the current one (acked), else only `epoch` is replaced.
    member_epoch previous_epoch = no_member_epoch;
    bool acked = true;
    std::vector<std::string> topics;
    std::vector<topic_partition> reported;  // owned, as last confirmed
    std::vector<topic_partition> told;      // the last assignment sent to it
    clock::time_point deadline;
    bool left_for_now = false;               // static member gone temporarily
    std::chrono::milliseconds session_timeout{0};  // 0: the group's
    std::optional<classic_info> classic;     // a classic member (since its last JoinGroup)
  };

  classic_group_response classic_join(const classic_group_request& req, clock::time_point now,
                                      const topic_sizes* join_topics);
  classic_group_response classic_sync(const classic_group_request& req, clock::time_point now);
  classic_group_response classic_heartbeat(const classic_group_request& req,
                                           clock::time_point now);
  classic_group_response classic_leave(const classic_group_request& req);
  // The member id a classic join goes on with, or with the error code that refuses it
  // (FENCED_INSTANCE_ID, MEMBER_ID_REQUIRED, UNKNOWN_MEMBER_ID). A static member's new
  // incarnation fences the old one here.
  std::pair<std::string, int16_t> classic_join_id(const classic_group_request& req,
                                                  clock::time_point now);
  // group_max_size_reached if a join of member_id (or of group.instance.id instance_id)
  // would add a member to a group that has cfg_.max_size members; none for a member (or a
  // static member's instance id) already in the group.
  caf::error check_room(const std::string& member_id, const std::string& instance_id) const;
  // Keeps what a member's successful JoinGroup said: protocols, timeouts, client.
  void record_join(member& m, const classic_group_request& req, clock::time_point now);
  // The member a classic sync or heartbeat names (by member id, checked against the
  // instance id), its session renewed, if it is a classic member in that generation; else
  // the error code to answer.
  std::pair<member*, int16_t> classic_member(const classic_group_request& req,
                                             clock::time_point now);
  // The member must join again: it owns partitions outside its assignment, or the group
  // would answer it a different assignment now.
  bool must_rejoin(const std::string& member_id) const;
  // Remembers a member id handed out with MEMBER_ID_REQUIRED until `deadline` (its session).
  void add_pending(const std::string& member_id, clock::time_point deadline);
  std::string new_member_id(const std::string& prefix);
  std::chrono::milliseconds session_of(const member& m) const;

  // Recomputes the target after a membership, subscription or topic change.
  void rebalance();
  // Whether the target takes a partition from a member told it in the current group epoch.
  bool revokes_in_current_epoch() const;
  // Partitions a member holds: what it confirmed plus what it was given since.
  std::map<std::string, std::vector<topic_partition>> held() const;
  heartbeat_response respond(const std::string& member_id);
  // Takes a known member's report of what it owns and its subscription, then answers.
  // Requires: req.member_id is a member.
  heartbeat_response renew(const heartbeat_request& req);
  void remove(const std::string& member_id);

  std::string id_;
  group_config cfg_;
  std::unique_ptr<assignor> assignor_;
  member_epoch group_epoch_{0};
  int64_t next_member_ = 0;
  topic_sizes topics_;
  std::map<std::string, member> members_;
  std::map<std::string, std::string> instances_;  // group.instance.id → member id
  // Member ids given with MEMBER_ID_REQUIRED whose JoinGroup has not come back yet, with
  // their deadlines. In memory only: after a coordinator change such a join gets
  // UNKNOWN_MEMBER_ID and the client starts over. Invariant: at most max_pending_members.
  static constexpr size_t max_pending_members = 1000;
  std::map<std::string, clock::time_point> pending_;
  int64_t next_pending_ = 0;  // pending ids are not stored: their own counter
  assignment target_;
};

} // namespace cafka::group
