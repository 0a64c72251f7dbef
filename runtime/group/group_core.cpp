// The group core's requests and events (group_core.hpp); its write path is in
// group_core_writes.cpp. Same context as group_core.
#include "runtime/group/group_core.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "runtime/base/errc.hpp"
#include "runtime/kafka/kafka_error.hpp"

namespace cafka::group {

namespace {

// The sizes of `topics` among the cluster's topics (those that exist).
topic_sizes sizes_of(const topic_sizes& cluster, const std::set<std::string>& topics) {
  topic_sizes out;
  for (auto& name : topics)
    if (auto i = cluster.find(name); i != cluster.end())
      out.emplace(name, i->second);
  return out;
}

bool exists(const topic_sizes& cluster, const topic_partition& tp) {
  auto i = cluster.find(tp.topic);
  return i != cluster.end() && tp.partition >= partition_id{0}
         && tp.partition < partition_id{i->second};
}

caf::error moving_error() {
  return make_error(errc::not_coordinator, "the group coordinator is moving");
}

} // namespace

const char* to_string(core_mode m) {
  switch (m) {
    case core_mode::serving:
      return "serving";
    case core_mode::stopping:
      return "stopping";
    case core_mode::deleting:
      return "deleting";
    case core_mode::stopped:
      return "stopped";
    case core_mode::failed:
      return "failed";
  }
  return "?";
}

group_core::group_core(core_config cfg, loaded_group loaded, topic_sizes topics,
                       clock::time_point now)
  : cfg_(std::move(cfg)),
    topics_(std::move(topics)),
    offsets_(std::move(loaded.offsets)),
    durable_(offsets_) {
  if (loaded.state) {
    // Taking over: the members go on with the epochs and partitions they know.
    std::set<std::string> subscribed;
    for (auto& m : loaded.state->members)
      subscribed.insert(m.topics.begin(), m.topics.end());
    group_ = std::make_unique<group_state>(cfg_.group, cfg_.group_cfg, *loaded.state,
                                           sizes_of(topics_, subscribed), now);
    written_group_ = encode(*loaded.state);
  } else {
    group_ = std::make_unique<group_state>(cfg_.group, cfg_.group_cfg);
    written_group_ = encode(group_->snapshot());
  }
  // Offsets of a topic deleted while no core ran (the partition was loading or led by
  // another broker): commits are refused for unknown topics, so a topic missing from the
  // metadata of the partition's leader has been deleted since.
  drop_deleted_topics();
  if (!queued_.empty())
    persist();
}

std::chrono::milliseconds group_core::tick_interval() const {
  auto every = std::max<int64_t>(
    10, std::min<int64_t>(1000, cfg_.group_cfg.session_timeout.count() / 10));
  return std::chrono::milliseconds{every};
}

core_output group_core::take_output() {
  auto out = std::move(out_);
  out_ = core_output{};
  return out;
}

void group_core::reply_now(reply_id id, reply_value v) {
  out_.replies.push_back(core_reply{id, std::move(v)});
}

bool group_core::moving(reply_id id) {
  if (mode_ == core_mode::serving)
    return false;
  reply_now(id, moving_error());
  return true;
}

// Drops the committed offsets of partitions the metadata no longer has, as Kafka does when a
// topic is deleted, and queues their tombstones: a topic created again under the same name
// starts from the consumers' reset policy, and a reload of the partition forgets them too.
void group_core::drop_deleted_topics() {
  for (auto i = offsets_.begin(); i != offsets_.end();) {
    if (exists(topics_, i->first)) {
      ++i;
      continue;
    }
    out_.notes.push_back({false, "group " + cfg_.group + ": topic '" + i->first.topic
                                   + "' is deleted; dropping the committed offset of "
                                   + to_string(i->first)});
    auto tp = i++->first;
    drop_offset(tp);
  }
}

void group_core::nudge(const std::string& except) {
  for (auto& id : group_->stale_members())
    if (id != except)
      out_.nudge.push_back(id);
}

void group_core::heartbeat(reply_id id, const group_heartbeat_request& req,
                           clock::time_point now) {
  if (moving(id))
    return;
  auto& g = *group_;
  bool joining = req.member_epoch == join_epoch;
  auto topics = g.subscribed_topics();
  topics.insert(req.topics.begin(), req.topics.end());
  // Only a join or a new topic can grow the record past its limit: those are sized against
  // a copy taken first. Confirmations (which can double the record, hence the limit) and
  // leaves always go through, and copy nothing.
  bool grows = joining || topics != g.subscribed_topics();
  std::optional<group_state> before;
  if (grows)
    before = g;
  if (joining && !req.assignor.empty() && req.assignor != g.assignor_name()) {
    auto a = make_assignor(req.assignor);
    if (!a)
      return reply_now(id, std::move(a.error()));
    if (g.empty())
      g.set_assignor(req.assignor);
  }
  if (joining || req.member_epoch >= join_epoch)
    g.set_topics(sizes_of(topics_, topics));
  heartbeat_request hb{req.member_id, req.member_epoch, req.instance_id, req.topics, req.owned};
  auto r = g.heartbeat(hb, now);
  if (!r) {
    if (before)
      g = std::move(*before);  // no assignor or topics from a refused heartbeat
    return reply_now(id, std::move(r.error()));
  }
  if (grows && !fits_or_restore(*before))
    return reply_now(id, make_error(errc::message_too_large,
                                    "group '" + cfg_.group + "' cannot hold this member: its "
                                      "record would be larger than "
                                      + std::to_string(cfg_.max_group_value_bytes)
                                      + " bytes"));
  if (req.member_epoch < join_epoch)
    out_.unwatch.push_back(r->member_id);
  else
    out_.watch.push_back({r->member_id, id});
  nudge(r->member_id);
  group_heartbeat_response resp{
    r->member_id, r->member_epoch, cfg_.heartbeat_interval_ms,
    static_cast<int32_t>(cfg_.group_cfg.session_timeout.count()), r->assignment};
  after_write(id, reply_value{std::move(resp)});
}

void group_core::classic(reply_id id, const classic_group_request& req, clock::time_point now) {
  // A classic member is never watched: it lives by its session and LeaveGroup (its TCP
  // connection may drop and come back).
  if (moving(id))
    return;
  auto& g = *group_;
  bool join = req.op == static_cast<uint8_t>(classic_op::join);
  std::optional<group_state> before;
  topic_sizes join_topics;
  if (join) {
    before = g;
    auto topics = g.subscribed_topics();
    topics.insert(req.topics.begin(), req.topics.end());
    join_topics = sizes_of(topics_, topics);
  }
  auto r = g.classic(req, now, &join_topics);
  if (join && r.error_code == 0 && !fits_or_restore(*before)) {
    r = classic_group_response{};  // as Kafka answers a group record too large
    r.error_code = kafka::code(kafka::error_code::unknown_server_error);
    r.member_id = req.member_id;
  }
  nudge({});
  after_write(id, reply_value{std::move(r)});
}

caf::error group_core::commit_checks(const offset_commit_request& req) const {
  for (auto& po : req.offsets) {
    // As in Kafka: no offsets for a partition that does not exist (or no longer does).
    if (!exists(topics_, po.tp))
      return make_error(errc::unknown_topic_or_partition,
                        "commit for " + to_string(po.tp) + ": no such topic partition");
    if (po.offset < log_offset{0})
      return make_error(errc::invalid_request, "commit of offset " + to_string(po.offset)
                                                 + " for " + to_string(po.tp));
    if (po.metadata.size() > max_offset_metadata_size)
      return make_error(errc::offset_metadata_too_large,
                        "commit for " + to_string(po.tp) + ": "
                          + std::to_string(po.metadata.size())
                          + " bytes of metadata, the limit is "
                          + std::to_string(max_offset_metadata_size));
    if (req.member_id.empty()) {
      if (!group_->empty())
        return make_error(errc::unknown_member_id,
                          "group '" + cfg_.group + "' has members: only they may commit offsets");
    } else if (auto err = group_->check_commit(req.member_id, req.member_epoch, po.tp)) {
      return err;
    }
  }
  return {};
}

void group_core::commit(reply_id id, const offset_commit_request& req, int64_t now_ms) {
  if (moving(id))
    return;
  if (auto err = commit_checks(req))
    return reply_now(id, std::move(err));
  accept_commit(id, req, now_ms, reply_value{commit_done{}});
}

void group_core::accept_commit(reply_id id, const offset_commit_request& req, int64_t now_ms,
                               reply_value done) {
  std::vector<offset_record> recs;
  std::vector<keyed_record> records;
  size_t bytes = 0;
  for (auto& po : req.offsets) {
    auto& rec = recs.emplace_back(
      offset_record{po.offset, now_ms, req.member_epoch, po.leader_epoch, po.metadata});
    auto& [k, v] = records.emplace_back(offset_key(cfg_.group, po.tp), encode(rec));
    bytes += k.size() + v->size() + record_overhead_bytes;
  }
  // The next write holds the queued records, these and the group's record.
  if (auto err = commit_room(bytes))
    return reply_now(id, std::move(err));
  for (size_t i = 0; i < recs.size(); ++i) {
    offsets_[req.offsets[i].tp] = recs[i];
    queued_changes_.emplace_back(req.offsets[i].tp, recs[i]);
  }
  for (auto& r : records)
    queued_.push_back(std::move(r));
  after_write(id, std::move(done));
}

void group_core::offset_fetch(reply_id id, const offset_fetch_request& req) {
  after_write(id, fetch_query{req.tps});
}

void group_core::describe(reply_id id) {
  // Like offset_fetch: no offset or member state that is not on the ISR yet.
  after_write(id, describe_query{});
}

std::vector<partition_offset> group_core::read_offsets(const fetch_query& q) const {
  std::vector<partition_offset> out;
  if (q.tps.empty()) {
    for (auto& [tp, o] : durable_)
      out.push_back({tp, o.offset, o.leader_epoch, o.metadata});
    return out;
  }
  for (auto& tp : q.tps) {
    auto i = durable_.find(tp);
    if (i == durable_.end())
      out.push_back({tp, no_offset});
    else
      out.push_back({tp, i->second.offset, i->second.leader_epoch, i->second.metadata});
  }
  return out;
}

group_description group_core::read_description() const {
  auto& g = *group_;
  group_description d;
  d.group = cfg_.group;
  d.state = g.state_name();
  d.group_epoch = g.group_epoch();
  d.assignor = g.assignor_name();
  for (auto& m : g.members()) {
    auto& md = d.members.emplace_back();
    md.member_id = m.member_id;
    md.instance_id = m.instance_id;
    md.member_epoch = m.member_epoch;
    md.topics = m.topics;
    md.owned = m.owned;
    md.target = m.target;
    md.protocol = m.protocol;
    md.client_host = m.client_host;
    md.metadata = m.metadata;
    md.assignment_version = m.assignment_version;
    md.assigned = m.assigned;
    if (!m.protocol.empty())
      md.client = m.client_id;  // the driver names the node of a watched member instead
  }
  for (auto& [tp, o] : durable_)
    d.offsets.push_back({tp, o.offset});
  return d;
}

void group_core::metadata(topic_sizes topics) {
  topics_ = std::move(topics);
  drop_deleted_topics();
  group_->set_topics(sizes_of(topics_, group_->subscribed_topics()));
  nudge({});
  persist();
}

void group_core::member_gone(const std::string& member_id, clock::time_point now) {
  group_->member_died(member_id, now);
  nudge({});
  persist();
}

void group_core::tick(clock::time_point now) {
  auto gone = group_->expire(now);
  for (auto& id : gone) {
    out_.notes.push_back(
      {false, "group " + cfg_.group + ": member " + id + " left (session timed out)"});
    out_.unwatch.push_back(id);
  }
  if (!gone.empty()) {
    nudge({});
    persist();
  }
}

} // namespace cafka::group
