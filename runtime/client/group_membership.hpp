// A group consumer's side of the consumer-group protocol (Kafka's KIP-848, client side): its
// member id and epoch, the heartbeat to send, and what an answer means for the partitions it
// reads (revoke these, start those). Plain C++; owned by one consumer actor.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/group_messages.hpp"

namespace cafka {

class group_membership {
public:
  group_membership(std::string group, std::string instance_id, std::string assignor,
                   std::vector<std::string> topics);

  const std::string& group() const { return group_; }
  const std::string& member_id() const { return member_id_; }
  member_epoch epoch() const { return epoch_; }
  // Joined: the group answered a join (the member id is chosen here at construction, as in
  // KIP-1082, so a join whose answer was lost is retried as the same member).
  bool joined() const { return joined_; }
  std::chrono::milliseconds interval() const { return interval_; }
  std::chrono::milliseconds session_timeout() const { return session_timeout_; }

  // A new subscription; sent with the next heartbeat.
  void subscribe(std::vector<std::string> topics);

  // Requires: owned is what the consumer reads (or still revokes) now.
  group_heartbeat_request heartbeat(const std::vector<topic_partition>& owned) const;
  // Leaving for good (leave_epoch), or for now (static_leave_epoch) if this is a static
  // member.
  group_heartbeat_request leave() const;

  struct step {
    std::vector<topic_partition> revoke;  // owned, no longer assigned: stop, then confirm
    std::vector<topic_partition> assign;  // assigned, not yet owned: start
  };
  // Adopts the answer's member id, epoch and interval. Both lists are sorted.
  step on_response(const group_heartbeat_response& resp,
                   const std::vector<topic_partition>& owned);

  // The group no longer knows this member (unknown_member_id, fenced_member_epoch), or it
  // left: it owns nothing and its next heartbeat joins again with the same member id (a
  // static member keeps its instance id and so gets its partitions back if its place is
  // still held).
  void reset();

  // What an error answer to a heartbeat means.
  enum class error_kind {
    retry,     // the coordinator moved or is busy: find it again, keep the partitions
    fenced,    // the member was removed: drop every partition (lost) and join again
    fatal,     // bad settings (assignor, instance id in use, group id) or a [limits] cap
               // (group full, too many groups on the coordinator's node): stop
  };
  static error_kind classify(const caf::error& err);

private:
  std::string group_;
  std::string instance_id_;
  std::string assignor_;
  std::vector<std::string> topics_;
  std::string member_id_;
  bool joined_ = false;
  member_epoch epoch_ = join_epoch;
  std::chrono::milliseconds interval_{5000};
  std::chrono::milliseconds session_timeout_{45000};
};

} // namespace cafka
