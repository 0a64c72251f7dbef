#include "runtime/group/group_state.hpp"

#include <algorithm>
#include <cassert>

#include "runtime/base/errc.hpp"
#include "runtime/group/reconciliation.hpp"

namespace cafka::group {

namespace {

std::vector<std::string> sorted(std::vector<std::string> xs) {
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  return xs;
}

bool contains(const std::vector<topic_partition>& xs, const topic_partition& tp) {
  return std::find(xs.begin(), xs.end(), tp) != xs.end();
}

} // namespace

group_state::group_state(std::string group_id, group_config cfg)
  : id_(std::move(group_id)), cfg_(std::move(cfg)) {
  auto a = make_assignor(cfg_.assignor);
  assert(a); // Requires: a known assignor
  assignor_ = std::move(*a);
}

group_state::group_state(std::string group_id, group_config cfg, const group_record& rec,
                         topic_sizes topics, clock::time_point now)
  : group_state(std::move(group_id), std::move(cfg)) {
  topics_ = std::move(topics);
  if (auto a = make_assignor(rec.assignor))
    assignor_ = std::move(*a);
  group_epoch_ = rec.group_epoch;
  next_member_ = rec.next_member;
  for (auto& r : rec.members) {
    auto& m = members_[r.member_id];
    m.instance_id = r.instance_id;
    m.epoch = r.epoch;
    m.previous_epoch = r.previous_epoch;
    m.acked = r.acked;
    m.left_for_now = r.left_for_now;
    m.topics = r.topics;
    m.reported = r.reported;
    m.told = r.told;
    if (r.classic) {
      classic_info c;
      c.protocol = r.protocol;
      c.assignment_version = r.assignment_version;
      c.rebalance_timeout = std::chrono::milliseconds{r.rebalance_timeout_ms};
      c.client_id = r.client_id;
      c.client_host = r.client_host;
      m.classic = std::move(c);
      m.session_timeout = std::chrono::milliseconds{r.session_timeout_ms};
    }
    m.deadline = now + session_of(m);
    if (!m.instance_id.empty())
      instances_[m.instance_id] = r.member_id;
  }
  // The target is not stored: recompute it from what members hold (sticky assignors keep
  // it), without a new group epoch, unless it takes a partition from a member that was
  // told it in the current epoch: within one member epoch an assignment only grows.
  auto epoch = group_epoch_;
  rebalance();
  group_epoch_ = epoch;
  if (revokes_in_current_epoch())
    ++group_epoch_;
}

bool group_state::revokes_in_current_epoch() const {
  for (auto& [id, m] : members_) {
    if (m.epoch != group_epoch_)
      continue;
    auto t = target_.find(id);
    for (auto& tp : m.told)
      if (t == target_.end() || !contains(t->second, tp))
        return true;
  }
  return false;
}

group_state::group_state(const group_state& other)
  : id_(other.id_),
    cfg_(other.cfg_),
    assignor_(std::move(*make_assignor(other.assignor_->name()))),
    group_epoch_(other.group_epoch_),
    next_member_(other.next_member_),
    topics_(other.topics_),
    members_(other.members_),
    instances_(other.instances_),
    pending_(other.pending_),
    next_pending_(other.next_pending_),
    target_(other.target_) {
}

group_state& group_state::operator=(const group_state& other) {
  if (this != &other) {
    group_state copy{other};
    *this = std::move(copy);
  }
  return *this;
}

caf::error group_state::set_assignor(const std::string& name) {
  assert(empty());
  auto a = make_assignor(name);
  if (!a)
    return std::move(a.error());
  assignor_ = std::move(*a);
  return {};
}

group_record group_state::snapshot() const {
  group_record out;
  out.assignor = assignor_->name();
  out.group_epoch = group_epoch_;
  out.next_member = next_member_;
  for (auto& [id, m] : members_) {
    auto& r = out.members.emplace_back(member_record{id, m.instance_id, m.epoch,
                                                     m.previous_epoch, m.acked, m.left_for_now,
                                                     m.topics, m.reported, m.told});
    if (!m.classic)
      continue;
    r.classic = true;
    r.protocol = m.classic->protocol;
    r.session_timeout_ms = static_cast<int32_t>(m.session_timeout.count());
    r.rebalance_timeout_ms = static_cast<int32_t>(m.classic->rebalance_timeout.count());
    r.assignment_version = m.classic->assignment_version;
    r.client_id = m.classic->client_id;
    r.client_host = m.classic->client_host;
  }
  return out;
}

std::vector<std::string> group_state::stale_members() const {
  std::vector<std::string> out;
  auto steps = reconcile(target_, held());
  for (auto& [id, m] : members_)
    if (!m.left_for_now && steps[id].next != m.told)
      out.push_back(id);
  return out;
}

const char* group_state::state_name() const {
  if (members_.empty())
    return "Empty";
  for (auto& [id, m] : members_) {
    auto t = target_.find(id);
    if (m.reported != (t == target_.end() ? std::vector<topic_partition>{} : t->second))
      return "Reconciling";
  }
  return "Stable";
}

caf::error group_state::check_room(const std::string& member_id,
                                   const std::string& instance_id) const {
  if (!member_id.empty() && members_.count(member_id) > 0)
    return {};
  if (!instance_id.empty() && instances_.count(instance_id) > 0)
    return {};
  if (members_.size() < static_cast<size_t>(std::max(cfg_.max_size, 0)))
    return {};
  return make_error(errc::group_max_size_reached,
                    "group '" + id_ + "' has " + std::to_string(members_.size())
                      + " members, the most [limits] group-max-size ("
                      + std::to_string(cfg_.max_size) + ") allows");
}

caf::expected<heartbeat_response> group_state::heartbeat(const heartbeat_request& req,
                                                         clock::time_point now) {
  // Leaving.
  if (req.member_epoch == leave_epoch || req.member_epoch == static_leave_epoch) {
    auto i = members_.find(req.member_id);
    if (i == members_.end())
      return heartbeat_response{req.member_id, req.member_epoch, {}}; // already gone
    if (req.member_epoch == static_leave_epoch && !i->second.instance_id.empty()) {
      // It keeps its place and partitions until its session times out.
      i->second.left_for_now = true;
      i->second.reported.clear();
      i->second.deadline = now + session_of(i->second);
    } else {
      remove(req.member_id);
      rebalance();
    }
    return heartbeat_response{req.member_id, req.member_epoch, {}};
  }
  // Joining: epoch 0, with a member id the client chose (or none: the group makes one).
  if (req.member_epoch == join_epoch) {
    if (!req.member_id.empty()) {
      auto i = members_.find(req.member_id);
      if (i != members_.end()) {
        // The same member again: its first answer was lost, or it dropped everything after
        // an error. No new member (no ghost holding partitions for a whole session).
        auto& m = i->second;
        m.deadline = now + session_of(m);
        m.left_for_now = false;
        return renew(req);
      }
    }
    if (!req.instance_id.empty()) {
      auto s = instances_.find(req.instance_id);
      if (s != instances_.end()) {
        auto old_id = s->second;
        if (!members_.at(old_id).left_for_now)
          return make_error(errc::fenced_instance_id,
                            "group.instance.id '" + req.instance_id + "' is in use by member "
                              + old_id + " of group '" + id_ + "'");
        // A static member back within its session: its place and partitions, no rebalance.
        // It takes the member id it sent, so the previous incarnation is fenced.
        auto member_id = req.member_id.empty() ? old_id : req.member_id;
        if (member_id != old_id) {
          members_.emplace(member_id, std::move(members_.at(old_id)));
          members_.erase(old_id);
          if (auto t = target_.find(old_id); t != target_.end()) {
            auto tps = std::move(t->second);
            target_.erase(t);
            target_[member_id] = std::move(tps);
          }
          s->second = member_id;
        }
        auto& m = members_.at(member_id);
        m.left_for_now = false;
        m.reported.clear();
        m.deadline = now + session_of(m);
        auto topics = sorted(req.topics);
        if (topics != m.topics) {
          m.topics = std::move(topics);
          rebalance();
        }
        return respond(member_id);
      }
    }
    if (auto err = check_room(req.member_id, req.instance_id))
      return err;
    auto member_id = !req.member_id.empty() ? req.member_id : new_member_id(id_);
    auto& m = members_[member_id];
    m.instance_id = req.instance_id;
    m.topics = sorted(req.topics);
    m.deadline = now + session_of(m);
    if (!m.instance_id.empty())
      instances_[m.instance_id] = member_id;
    rebalance();
    m.epoch = group_epoch_;
    return respond(member_id);
  }
  // A member's regular heartbeat.
  auto i = members_.find(req.member_id);
  if (i == members_.end())
    return make_error(errc::unknown_member_id, "member " + req.member_id
                                                 + " is not in group '" + id_
                                                 + "' (its session ended): join again");
  auto& m = i->second;
  if (req.member_epoch != m.epoch && req.member_epoch != m.previous_epoch)
    return make_error(errc::fenced_member_epoch,
                      "member " + req.member_id + " sent epoch "
                        + to_string(req.member_epoch) + ", its epoch is "
                        + to_string(m.epoch));
  m.deadline = now + session_of(m);
  m.left_for_now = false;
  if (req.member_epoch == m.epoch)
    m.acked = true;
  return renew(req);
}

heartbeat_response group_state::renew(const heartbeat_request& req) {
  auto& m = members_.at(req.member_id);
  // It can only own what it was given or owned before: anything else is ignored.
  std::vector<topic_partition> reported;
  for (auto& tp : req.owned)
    if (contains(m.reported, tp) || contains(m.told, tp))
      reported.push_back(tp);
  std::sort(reported.begin(), reported.end());
  m.reported = std::move(reported);
  auto topics = sorted(req.topics);
  if (topics != m.topics) {
    m.topics = std::move(topics);
    rebalance();
  }
  return respond(req.member_id);
}

void group_state::member_died(const std::string& member_id, clock::time_point now) {
  auto i = members_.find(member_id);
  if (i == members_.end())
    return;
  if (!i->second.instance_id.empty()) {
    i->second.left_for_now = true;
    i->second.reported.clear();
    i->second.deadline = std::min(i->second.deadline, now + session_of(i->second));
    return;
  }
  remove(member_id);
  rebalance();
}

std::vector<std::string> group_state::expire(clock::time_point now) {
  for (auto i = pending_.begin(); i != pending_.end();)
    i = i->second < now ? pending_.erase(i) : std::next(i);
  std::vector<std::string> out;
  for (auto& [id, m] : members_)
    if (m.deadline < now
        || (m.classic && m.classic->rebalance_deadline && *m.classic->rebalance_deadline < now))
      out.push_back(id);
  for (auto& id : out)
    remove(id);
  if (!out.empty())
    rebalance();
  return out;
}

void group_state::set_topics(topic_sizes sizes) {
  if (sizes == topics_)
    return;
  topics_ = std::move(sizes);
  rebalance();
}

std::set<std::string> group_state::subscribed_topics() const {
  std::set<std::string> out;
  for (auto& kv : members_)
    out.insert(kv.second.topics.begin(), kv.second.topics.end());
  return out;
}

caf::error group_state::check_commit(const std::string& member_id, member_epoch epoch,
                                     const topic_partition& tp) const {
  auto i = members_.find(member_id);
  if (i == members_.end())
    return make_error(errc::unknown_member_id,
                      "member " + member_id + " is not in group '" + id_ + "'");
  auto& m = i->second;
  if (epoch != m.epoch && epoch != m.previous_epoch)
    return make_error(errc::fenced_member_epoch,
                      "commit with epoch " + to_string(epoch) + " from member "
                        + member_id + ", whose epoch is " + to_string(m.epoch));
  if (!contains(m.reported, tp) && !contains(m.told, tp))
    return make_error(errc::partition_not_owned, "member " + member_id + " of group '" + id_
                                                   + "' does not own " + to_string(tp));
  return {};
}

std::vector<group_state::member_view> group_state::members() const {
  std::vector<member_view> out;
  for (auto& [id, m] : members_) {
    auto t = target_.find(id);
    auto& v = out.emplace_back();
    v.member_id = id;
    v.instance_id = m.instance_id;
    v.member_epoch = m.epoch;
    v.topics = m.topics;
    v.owned = m.reported;
    if (t != target_.end())
      v.target = t->second;
    if (m.classic) {
      auto& c = *m.classic;
      v.protocol = c.protocol;
      v.client_id = c.client_id;
      v.client_host = c.client_host;
      for (auto& p : c.protocols)
        if (p.name == c.protocol)
          v.metadata = p.metadata;
      v.assignment_version = c.assignment_version;
      v.assigned = m.told;
    }
  }
  return out;
}

void group_state::rebalance() {
  ++group_epoch_;
  auto h = held();
  std::vector<member_spec> specs;
  for (auto& [id, m] : members_)
    specs.push_back({id, m.topics, h[id]});
  target_ = assignor_->assign(specs, topics_);
}

std::map<std::string, std::vector<topic_partition>> group_state::held() const {
  std::map<std::string, std::vector<topic_partition>> out;
  for (auto& [id, m] : members_) {
    auto& h = out[id];
    h = m.reported;
    for (auto& tp : m.told)
      if (!contains(h, tp))
        h.push_back(tp);
    std::sort(h.begin(), h.end());
  }
  return out;
}

heartbeat_response group_state::respond(const std::string& member_id) {
  auto steps = reconcile(target_, held());
  auto& m = members_.at(member_id);
  auto& next = steps[member_id].next;
  if (next != m.told) {
    m.told = next;
    if (m.acked)
      m.previous_epoch = m.epoch;
    m.epoch = group_epoch_;
    m.acked = false;
  }
  return heartbeat_response{member_id, m.epoch, m.told};
}

std::string group_state::new_member_id(const std::string& prefix) {
  return prefix + "-" + std::to_string(++next_member_) + "-" + to_string(group_epoch_);
}

std::chrono::milliseconds group_state::session_of(const member& m) const {
  return m.session_timeout.count() > 0 ? m.session_timeout : cfg_.session_timeout;
}

void group_state::remove(const std::string& member_id) {
  auto i = members_.find(member_id);
  if (i == members_.end())
    return;
  if (!i->second.instance_id.empty())
    instances_.erase(i->second.instance_id);
  members_.erase(i);
}

} // namespace cafka::group
