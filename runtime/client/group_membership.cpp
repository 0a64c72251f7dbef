#include "runtime/client/group_membership.hpp"

#include <algorithm>
#include <cstdio>

#include "runtime/base/entropy.hpp"

namespace cafka {

group_membership::group_membership(std::string group, std::string instance_id,
                                   std::string assignor, std::vector<std::string> topics)
  : group_(std::move(group)),
    instance_id_(std::move(instance_id)),
    assignor_(std::move(assignor)) {
  subscribe(std::move(topics));
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(random_u64()),
                static_cast<unsigned long long>(random_u64()));
  member_id_ = buf;
}

void group_membership::subscribe(std::vector<std::string> topics) {
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  topics_ = std::move(topics);
}

group_heartbeat_request
group_membership::heartbeat(const std::vector<topic_partition>& owned) const {
  group_heartbeat_request req;
  req.group = group_;
  req.member_id = member_id_;
  req.member_epoch = joined_ ? epoch_ : join_epoch;
  req.instance_id = instance_id_;
  req.assignor = assignor_;
  req.topics = topics_;
  req.owned = owned;
  std::sort(req.owned.begin(), req.owned.end());
  return req;
}

group_heartbeat_request group_membership::leave() const {
  group_heartbeat_request req;
  req.group = group_;
  req.member_id = member_id_;
  req.member_epoch = instance_id_.empty() ? leave_epoch : static_leave_epoch;
  req.instance_id = instance_id_;
  return req;
}

group_membership::step
group_membership::on_response(const group_heartbeat_response& resp,
                              const std::vector<topic_partition>& owned) {
  member_id_ = resp.member_id;
  epoch_ = resp.member_epoch;
  joined_ = true;
  if (resp.heartbeat_interval_ms > 0)
    interval_ = std::chrono::milliseconds{resp.heartbeat_interval_ms};
  if (resp.session_timeout_ms > 0)
    session_timeout_ = std::chrono::milliseconds{resp.session_timeout_ms};
  auto want = resp.assignment;
  std::sort(want.begin(), want.end());
  auto have = owned;
  std::sort(have.begin(), have.end());
  step out;
  std::set_difference(have.begin(), have.end(), want.begin(), want.end(),
                      std::back_inserter(out.revoke));
  std::set_difference(want.begin(), want.end(), have.begin(), have.end(),
                      std::back_inserter(out.assign));
  return out;
}

void group_membership::reset() {
  joined_ = false;
  epoch_ = join_epoch;
}

group_membership::error_kind group_membership::classify(const caf::error& err) {
  switch (errc_of(err)) {
    case errc::unknown_member_id:
    case errc::fenced_member_epoch:
      return error_kind::fenced;
    case errc::fenced_instance_id:
    case errc::unsupported_assignor:
    case errc::invalid_group_id:
    case errc::invalid_request:
    case errc::group_max_size_reached:  // [limits] group-max-size
    case errc::limit_exceeded:          // [limits] max-groups of the coordinator's node
      return error_kind::fatal;
    default:
      return error_kind::retry;  // coordinator moving or loading, timeouts, lost connections
  }
}

} // namespace cafka
