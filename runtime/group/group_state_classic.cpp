// group_state's rules for classic members (Kafka's JoinGroup, SyncGroup, Heartbeat and
// LeaveGroup), as group_state.hpp states them. Same context as group_state.
#include <algorithm>

#include "runtime/base/errc.hpp"
#include "runtime/group/group_state.hpp"
#include "runtime/group/reconciliation.hpp"
#include "runtime/kafka/consumer_protocol_codec.hpp"
#include "runtime/kafka/kafka_error.hpp"

namespace cafka::group {

namespace {

using kafka::error_code;

classic_group_response answer(error_code e, std::string member_id = {}) {
  classic_group_response out;
  out.error_code = kafka::code(e);
  out.member_id = std::move(member_id);
  return out;
}

// The first of the member's protocols that names an assignor cafka has, or nullptr.
const classic_protocol* first_assignor(const std::vector<classic_protocol>& ps) {
  auto& known = assignor_names();
  for (auto& p : ps)
    if (std::find(known.begin(), known.end(), p.name) != known.end())
      return &p;
  return nullptr;
}

// The name a member's join is answered with: one it lists, so that the client finds the
// assignor (and with it eager or cooperative rebalancing) it configured under that name.
// Requires: ps is not empty.
std::string answered_protocol(const std::vector<classic_protocol>& ps,
                              const std::string& group_assignor) {
  for (auto& p : ps)
    if (p.name == group_assignor)
      return p.name;
  return ps.front().name;
}

bool contains(const std::vector<topic_partition>& xs, const topic_partition& tp) {
  return std::find(xs.begin(), xs.end(), tp) != xs.end();
}

} // namespace

classic_group_response group_state::classic(const classic_group_request& req,
                                            clock::time_point now,
                                            const topic_sizes* join_topics) {
  switch (static_cast<classic_op>(req.op)) {
    case classic_op::join:
      return classic_join(req, now, join_topics);
    case classic_op::sync:
      return classic_sync(req, now);
    case classic_op::heartbeat:
      return classic_heartbeat(req, now);
    case classic_op::leave:
      return classic_leave(req);
  }
  return answer(error_code::invalid_request, req.member_id);
}

int16_t check_classic_join(const classic_group_request& req) {
  if (req.protocol_type != consumer_protocol_type || req.protocols.empty())
    return kafka::code(error_code::inconsistent_group_protocol);
  if (req.session_timeout_ms < classic_min_session_timeout_ms
      || req.session_timeout_ms > classic_max_session_timeout_ms)
    return kafka::code(error_code::invalid_session_timeout);
  return 0;
}

std::pair<std::string, int16_t> group_state::classic_join_id(const classic_group_request& req,
                                                             clock::time_point now) {
  auto member_id = req.member_id;
  if (!req.instance_id.empty()) {
    auto s = instances_.find(req.instance_id);
    if (s != instances_.end() && s->second != member_id) {
      // Another member holds the instance id: a classic client fences only the previous
      // incarnation of a classic member, never an actor member.
      if (!member_id.empty() || !members_.at(s->second).classic)
        return {member_id, kafka::code(error_code::fenced_instance_id)};
      // A new incarnation of the static member (its process restarted): it takes the
      // place, and the old one is fenced (its member id is gone after the join).
      auto& old = members_.at(s->second);
      old.left_for_now = true;
      old.reported.clear();
    }
  }
  if (check_room(member_id, req.instance_id))
    return {member_id, kafka::code(error_code::group_max_size_reached)};
  auto prefix = req.client_id.empty() ? id_ : req.client_id;
  if (member_id.empty() && req.member_id_required && req.instance_id.empty()) {
    // An id from a counter of its own (nothing stored changes): "<client>-p<n>-<epoch>",
    // which no stored member id (new_member_id) can be.
    do {
      member_id = prefix + "-p" + std::to_string(++next_pending_) + "-"
                  + to_string(group_epoch_);
    } while (members_.count(member_id) != 0 || pending_.count(member_id) != 0);
    add_pending(member_id, now + std::chrono::milliseconds{req.session_timeout_ms});
    return {member_id, kafka::code(error_code::member_id_required)};
  }
  if (member_id.empty()) {
    member_id = new_member_id(prefix);
  } else if (pending_.erase(member_id) == 0) {
    // Member ids come from the group: one it did not give (or an actor member's) is not
    // the sender's.
    auto i = members_.find(member_id);
    if (i == members_.end() || !i->second.classic)
      return {member_id, kafka::code(error_code::unknown_member_id)};
  }
  return {member_id, 0};
}

void group_state::record_join(member& m, const classic_group_request& req,
                              clock::time_point now) {
  classic_info c;
  c.protocols = req.protocols;
  c.protocol = answered_protocol(req.protocols, assignor_name());
  c.assignment_version =
    std::clamp<int16_t>(req.subscription_version, 0, kafka::consumer_protocol_max_version);
  auto rebalance = req.rebalance_timeout_ms > 0 ? req.rebalance_timeout_ms
                                                : req.session_timeout_ms;
  c.rebalance_timeout = std::chrono::milliseconds{rebalance};
  c.client_id = req.client_id;
  c.client_host = req.client_host;
  c.rebalance_deadline = now + c.rebalance_timeout;  // until its SyncGroup
  c.synced = false;
  m.session_timeout = std::chrono::milliseconds{req.session_timeout_ms};
  m.deadline = now + m.session_timeout;
  m.classic = std::move(c);
}

classic_group_response group_state::classic_join(const classic_group_request& req,
                                                 clock::time_point now,
                                                 const topic_sizes* join_topics) {
  if (auto e = check_classic_join(req))
    return answer(static_cast<error_code>(e), req.member_id);
  auto [member_id, refused] = classic_join_id(req, now);
  if (refused != 0)
    return answer(static_cast<error_code>(refused), member_id);
  if (join_topics != nullptr)
    set_topics(*join_topics);
  if (empty())
    if (auto p = first_assignor(req.protocols))
      set_assignor(p->name);
  auto r = heartbeat(heartbeat_request{member_id, join_epoch, req.instance_id, req.topics,
                                       req.owned},
                     now);
  if (!r)
    return answer(errc_of(r.error()) == errc::fenced_instance_id
                    ? error_code::fenced_instance_id
                    : error_code::unknown_server_error,
                  member_id);
  auto& m = members_.at(r->member_id);
  record_join(m, req, now);
  classic_group_response out;
  out.member_id = r->member_id;
  out.generation = m.epoch;
  out.protocol_name = m.classic->protocol;
  return out;
}

std::pair<group_state::member*, int16_t>
group_state::classic_member(const classic_group_request& req, clock::time_point now) {
  if (!req.instance_id.empty()) {
    auto s = instances_.find(req.instance_id);
    if (s == instances_.end())
      return {nullptr, kafka::code(error_code::unknown_member_id)};
    if (s->second != req.member_id)
      return {nullptr, kafka::code(error_code::fenced_instance_id)};
  }
  auto i = members_.find(req.member_id);
  if (i == members_.end() || !i->second.classic)  // an actor member is not the sender's
    return {nullptr, kafka::code(error_code::unknown_member_id)};
  auto& m = i->second;
  if (req.generation != m.epoch)
    return {nullptr, kafka::code(error_code::illegal_generation)};
  m.deadline = now + session_of(m);
  return {&m, 0};
}

classic_group_response group_state::classic_sync(const classic_group_request& req,
                                                 clock::time_point now) {
  auto [m, err] = classic_member(req, now);
  if (m == nullptr)
    return answer(static_cast<error_code>(err), req.member_id);
  m->acked = true;
  m->left_for_now = false;
  m->classic->rebalance_deadline.reset();
  m->classic->synced = true;
  // It reads its assignment from now on; what it owned outside it, it still gives up.
  for (auto& tp : m->told)
    if (!contains(m->reported, tp))
      m->reported.push_back(tp);
  std::sort(m->reported.begin(), m->reported.end());
  classic_group_response out;
  out.member_id = req.member_id;
  out.generation = m->epoch;
  out.protocol_name = m->classic->protocol;
  out.assignment = m->told;
  out.assignment_version = m->classic->assignment_version;
  return out;
}

classic_group_response group_state::classic_heartbeat(const classic_group_request& req,
                                                      clock::time_point now) {
  auto [m, err] = classic_member(req, now);
  if (m == nullptr)
    return answer(static_cast<error_code>(err), req.member_id);
  if (must_rejoin(req.member_id)) {
    if (!m->classic->rebalance_deadline)
      m->classic->rebalance_deadline = now + m->classic->rebalance_timeout;
    return answer(error_code::rebalance_in_progress, req.member_id);
  }
  // Nothing to rejoin for any more (say the member it was to take from left): an earlier
  // REBALANCE_IN_PROGRESS sets no deadline now. A join still waits for its SyncGroup.
  if (m->classic->synced)
    m->classic->rebalance_deadline.reset();
  return answer(error_code::none, req.member_id);
}

classic_group_response group_state::classic_leave(const classic_group_request& req) {
  auto member_id = req.member_id;
  if (!req.instance_id.empty()) {
    // By instance id alone: an administrator removes a static member.
    auto s = instances_.find(req.instance_id);
    if (s == instances_.end())
      return answer(error_code::unknown_member_id, req.member_id);
    if (!member_id.empty() && s->second != member_id)
      return answer(error_code::fenced_instance_id, req.member_id);
    member_id = s->second;
  }
  auto i = members_.find(member_id);
  if (i == members_.end() || !i->second.classic)
    return answer(error_code::unknown_member_id, req.member_id);
  remove(member_id);
  rebalance();
  return answer(error_code::none, member_id);
}

void group_state::add_pending(const std::string& member_id, clock::time_point deadline) {
  if (pending_.size() >= max_pending_members) {
    // The one that has waited longest gives way (bounded memory for a flood of joins).
    auto oldest = std::min_element(pending_.begin(), pending_.end(), [](auto& x, auto& y) {
      return x.second < y.second;
    });
    pending_.erase(oldest);
  }
  pending_.emplace(member_id, deadline);
}

bool group_state::must_rejoin(const std::string& member_id) const {
  auto& m = members_.at(member_id);
  for (auto& tp : m.reported)
    if (!contains(m.told, tp))
      return true;
  auto steps = reconcile(target_, held());
  return steps[member_id].next != m.told;
}

} // namespace cafka::group
