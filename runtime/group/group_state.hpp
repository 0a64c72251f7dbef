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

namespace cafka::group {

using clock = std::chrono::steady_clock;

// Member epochs of the request: join, leave for good, leave for now (static members).
inline constexpr int32_t join_epoch = 0;
inline constexpr int32_t leave_epoch = -1;
inline constexpr int32_t static_leave_epoch = -2;

struct heartbeat_request {
  // Chosen by the member (KIP-1082) and kept for its lifetime, so a retried join is the same
  // member; empty: the group makes one up.
  std::string member_id;
  int32_t member_epoch = join_epoch;  // 0: join (or rejoin after dropping everything)
  std::string instance_id;      // group.instance.id; empty for a dynamic member
  std::vector<std::string> topics;      // the subscription
  std::vector<topic_partition> owned;   // what the member reads now (confirms revocations)
};

struct heartbeat_response {
  std::string member_id;
  int32_t member_epoch = 0;
  // What the member should own now: keep these, start the new ones, stop all others.
  std::vector<topic_partition> assignment;
};

struct group_config {
  std::string assignor = default_assignor;
  std::chrono::milliseconds session_timeout{10000};  // session.timeout.ms (hangs)
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

  const std::string& id() const { return id_; }
  int32_t group_epoch() const { return group_epoch_; }
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
  // never gave it), fenced_instance_id (another live member has that group.instance.id).
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
  caf::error check_commit(const std::string& member_id, int32_t member_epoch,
                          const topic_partition& tp) const;

  struct member_view {
    std::string member_id;
    std::string instance_id;
    int32_t member_epoch = 0;
    std::vector<std::string> topics;
    std::vector<topic_partition> owned;   // as it confirmed
    std::vector<topic_partition> target;  // where the group is heading
  };
  std::vector<member_view> members() const;

private:
  struct member {
    std::string instance_id;
    int32_t epoch = 0;
    // The epoch before, which a member whose last answer was lost still sends.
    // Invariant: the member knows `epoch` or `previous_epoch`: the epoch moves on only once
    // the member has sent the current one (acked), else only `epoch` is replaced.
    int32_t previous_epoch = -1;
    bool acked = true;
    std::vector<std::string> topics;
    std::vector<topic_partition> reported;  // owned, as last confirmed
    std::vector<topic_partition> told;      // the last assignment sent to it
    clock::time_point deadline;
    bool left_for_now = false;               // static member gone temporarily
  };

  // Recomputes the target after a membership, subscription or topic change.
  void rebalance();
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
  int32_t group_epoch_ = 0;
  int64_t next_member_ = 0;
  topic_sizes topics_;
  std::map<std::string, member> members_;
  std::map<std::string, std::string> instances_;  // group.instance.id → member id
  assignment target_;
};

} // namespace cafka::group
