// The group core's operator requests (group_core.hpp): deleting the group, deleting offsets
// of topics it does not read, and resetting its offsets while it has no members. Same
// context as group_core.
#include "runtime/group/group_core.hpp"

#include <algorithm>
#include <set>

#include "runtime/base/errc.hpp"

namespace cafka::group {

void group_core::drop_offset(const topic_partition& tp) {
  queued_.emplace_back(offset_key(cfg_.group, tp), std::nullopt);
  queued_changes_.emplace_back(tp, std::nullopt);
  offsets_.erase(tp);
}

void group_core::delete_group(reply_id id) {
  if (moving(id))
    return;
  if (!group_->empty())
    return reply_now(id, make_error(errc::non_empty_group,
                                    "Group '" + cfg_.group + "' could not be deleted due to: "
                                    "The group is not empty."));
  std::vector<topic_partition> tps;
  for (auto& [tp, rec] : offsets_)
    tps.push_back(tp);
  for (auto& tp : tps)
    drop_offset(tp);
  // The group's record goes last: after a reload, neither it nor any offset is left.
  queued_.emplace_back(group_key(cfg_.group), std::nullopt);
  out_.notes.push_back({false, "group " + cfg_.group + ": deleted by an operator ("
                                 + std::to_string(tps.size()) + " committed offset(s))"});
  // The reply waits for the write holding the tombstones; the core ends with it
  // (write_done). Requests are refused from now on and the group's record is not written
  // again (flush), so nothing lands after the tombstones.
  mode_ = core_mode::deleting;
  after_write(id, reply_value{group_admin_response{}});
}

void group_core::delete_offsets(reply_id id, const std::vector<topic_partition>& tps) {
  if (moving(id))
    return;
  auto subscribed = group_->subscribed_topics();
  group_admin_response resp;
  std::set<topic_partition> dropped;
  for (auto& tp : tps) {
    auto& r = resp.partitions.emplace_back(partition_result{tp, {}});
    auto t = topics_.find(tp.topic);
    if (t == topics_.end() || tp.partition < partition_id{0}
        || tp.partition >= partition_id{t->second}) {
      r.error = make_error(errc::unknown_topic_or_partition,
                           to_string(tp) + ": no such topic partition");
      continue;
    }
    if (subscribed.count(tp.topic) != 0) {
      r.error = make_error(errc::group_subscribed_to_topic,
                           "group '" + cfg_.group + "' is subscribed to topic '" + tp.topic
                             + "': its offsets cannot be deleted");
      continue;
    }
    if (offsets_.count(tp) != 0 && dropped.insert(tp).second)
      drop_offset(tp);
  }
  after_write(id, reply_value{std::move(resp)});
}

void group_core::reset_offsets(reply_id id, const std::vector<partition_offset>& offsets,
                               int64_t now_ms) {
  if (moving(id))
    return;
  // Decided here, where members join, so a member that joins after an operator's check
  // cannot have its partitions' offsets moved under it.
  if (!group_->empty())
    return reply_now(id, make_error(errc::non_empty_group,
                                    "Assignments can only be reset if the group '" + cfg_.group
                                      + "' is inactive, but the current state is "
                                      + group_->state_name() + "."));
  offset_commit_request req{cfg_.group, {}, no_member_epoch, offsets};
  if (auto err = commit_checks(req))
    return reply_now(id, std::move(err));
  accept_commit(id, req, now_ms, reply_value{group_admin_response{}});
}

void group_core::expire_offsets(int64_t now_ms) {
  if (now_ms < next_expiry_ms_ || mode_ != core_mode::serving)
    return;
  auto retention = std::max<int64_t>(1, cfg_.offsets_retention_ms);
  next_expiry_ms_ = now_ms + std::min<int64_t>(retention, 60000);
  if (!group_->empty())
    return;
  std::vector<topic_partition> expired;
  for (auto& [tp, rec] : offsets_)
    if (now_ms - rec.commit_timestamp_ms >= retention)
      expired.push_back(tp);
  if (expired.empty())
    return;
  for (auto& tp : expired)
    drop_offset(tp);
  out_.notes.push_back({false, "group " + cfg_.group + ": " + std::to_string(expired.size())
                                 + " committed offset(s) expired (offsets-retention-minutes)"});
  persist();
}

} // namespace cafka::group
