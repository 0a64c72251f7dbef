#include "actors/group/group_manager.hpp"
#include "actors/group/group_manager_state.hpp"

#include <functional>
#include <optional>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka {

namespace {

using namespace manager_detail;
using clock = group::clock;

group::topic_sizes sizes_for(const cluster_metadata& md, const std::set<std::string>& topics) {
  group::topic_sizes out;
  for (auto& name : topics)
    if (auto t = md.find_topic(name))
      out.emplace(name, static_cast<int32_t>(t->partitions.size()));
  return out;
}

// Drops the committed offsets of partitions the metadata no longer has, as Kafka does when a
// topic is deleted, and queues their tombstones: a topic created again under the same name
// starts from the consumers' reset policy, and a reload of the partition forgets them too.
void drop_deleted_topics(manager_self self) {
  auto& st = self->state;
  for (auto i = st.offsets.begin(); i != st.offsets.end();) {
    if (st.cfg.md.find_partition(i->first) != nullptr) {
      ++i;
      continue;
    }
    spdlog::info("group {}: topic '{}' is deleted; dropping the committed offset of {}",
                 st.cfg.group, i->first.topic, to_string(i->first));
    st.queued.emplace_back(group::offset_key(st.cfg.group, i->first), std::nullopt);
    i = st.offsets.erase(i);
  }
}

// Members whose assignment moved heartbeat now instead of at their next interval.
void nudge(manager_self self, const std::string& except) {
  auto& st = self->state;
  for (auto& id : st.group->stale_members()) {
    if (id == except)
      continue;
    auto i = st.member_actors.find(id);
    if (i != st.member_actors.end())
      caf::anon_send(i->second, heartbeat_atom::value);
  }
}

void forget_member(manager_self self, const std::string& member_id) {
  auto& st = self->state;
  auto i = st.member_actors.find(member_id);
  if (i == st.member_actors.end())
    return;
  st.by_addr.erase(i->second.address());
  self->demonitor(i->second.address());
  st.member_actors.erase(i);
}

void track_member(manager_self self, const std::string& member_id) {
  auto& st = self->state;
  auto sender = caf::actor_cast<caf::actor>(self->current_sender());
  if (!sender)
    return;
  auto i = st.member_actors.find(member_id);
  if (i != st.member_actors.end() && i->second == sender)
    return;
  forget_member(self, member_id);
  st.member_actors.emplace(member_id, sender);
  st.by_addr[sender.address()] = member_id;
  self->monitor(sender);
}

void schedule_tick(manager_self self) {
  auto every = std::max<int64_t>(
    10, std::min<int64_t>(1000, self->state.cfg.group_cfg.session_timeout.count() / 10));
  self->delayed_send(self, std::chrono::milliseconds{every}, caf::tick_atom::value);
}

group_description describe(manager_self self) {
  auto& st = self->state;
  group_description d;
  d.group = st.cfg.group;
  d.state = st.group->state_name();
  d.group_epoch = st.group->group_epoch();
  d.assignor = st.group->assignor_name();
  d.coordinator = st.cfg.coordinator;
  for (auto& m : st.group->members()) {
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
    auto a = st.member_actors.find(m.member_id);
    if (a != st.member_actors.end())
      md.client = caf::to_string(a->second.node());
    else if (!m.protocol.empty())
      md.client = m.client_id;
  }
  for (auto& [tp, o] : st.offsets)
    d.offsets.push_back({tp, o.offset});
  return d;
}

group_manager_actor::behavior_type manager_behavior(manager_self self,
                                                    group_manager_config cfg) {
  auto& st = self->state;
  auto loaded = std::move(cfg.loaded);
  st.cfg = std::move(cfg);
  st.offsets = std::move(loaded.offsets);
  auto now = self->clock().now();
  if (loaded.state) {
    // Taking over: the members go on with the epochs and partitions they know.
    std::set<std::string> topics;
    for (auto& m : loaded.state->members)
      topics.insert(m.topics.begin(), m.topics.end());
    st.group = std::make_unique<group::group_state>(st.cfg.group, st.cfg.group_cfg,
                                                    *loaded.state,
                                                    sizes_for(st.cfg.md, topics), now);
    st.written_group = group::encode(*loaded.state);
  } else {
    st.group = std::make_unique<group::group_state>(st.cfg.group, st.cfg.group_cfg);
    st.written_group = group::encode(st.group->snapshot());
  }
  // Offsets of a topic deleted while no manager ran (the partition was loading or led by
  // another broker): commits are refused for unknown topics, so a topic missing from the
  // metadata of the partition's leader has been deleted since.
  drop_deleted_topics(self);
  if (!st.queued.empty())
    after_write(self, [](const caf::error&) {});
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto i = st.by_addr.find(dm.source);
    if (i == st.by_addr.end())
      return;
    auto member_id = i->second;
    st.by_addr.erase(i);
    st.member_actors.erase(member_id);
    spdlog::info("group {}: member {} is gone ({})", st.cfg.group, member_id,
                 caf::to_string(dm.reason));
    st.group->member_died(member_id, self->clock().now());
    nudge(self, {});
    after_write(self, [](const caf::error&) {});
  });
  schedule_tick(self);
  return {
    [=](group_heartbeat_atom, group_heartbeat_request& req)
      -> caf::result<group_heartbeat_response> {
      auto& st = self->state;
      if (st.failed || st.stop_requested)
        return make_error(errc::not_coordinator, "the group coordinator is moving");
      bool joining = req.member_epoch == group::join_epoch;
      auto topics = st.group->subscribed_topics();
      topics.insert(req.topics.begin(), req.topics.end());
      // Only a join or a new topic can grow the record past its limit: those are sized
      // against a copy taken first. Confirmations (which can double the record, hence the
      // limit) and leaves always go through, and copy nothing.
      bool grows = joining || topics != st.group->subscribed_topics();
      std::optional<group::group_state> before;
      if (grows)
        before = *st.group;
      if (joining && !req.assignor.empty() && req.assignor != st.group->assignor_name()) {
        auto a = group::make_assignor(req.assignor);
        if (!a)
          return std::move(a.error());
        if (st.group->empty())
          st.group->set_assignor(req.assignor);
      }
      if (joining || req.member_epoch >= 0)
        st.group->set_topics(sizes_for(st.cfg.md, topics));
      group::heartbeat_request hb{req.member_id, req.member_epoch, req.instance_id,
                                  req.topics, req.owned};
      auto r = st.group->heartbeat(hb, self->clock().now());
      if (!r) {
        if (before)
          *st.group = std::move(*before);  // no assignor or topics from a refused heartbeat
        return std::move(r.error());
      }
      if (grows && !fits_or_restore(self, *before))
        return make_error(errc::message_too_large,
                          "group '" + st.cfg.group + "' cannot hold this member: its record "
                            "would be larger than " + std::to_string(st.cfg.max_group_value_bytes)
                            + " bytes");
      if (req.member_epoch < 0)
        forget_member(self, r->member_id);
      else
        track_member(self, r->member_id);
      nudge(self, r->member_id);
      group_heartbeat_response resp{
        r->member_id, r->member_epoch, st.cfg.heartbeat_interval_ms,
        static_cast<int32_t>(st.cfg.group_cfg.session_timeout.count()), r->assignment};
      auto rp = self->make_response_promise<group_heartbeat_response>();
      after_write(self, [=](const caf::error& err) mutable {
        if (err)
          rp.deliver(err);
        else
          rp.deliver(resp);
      });
      return rp;
    },
    [=](classic_atom, classic_group_request& req) -> caf::result<classic_group_response> {
      // A classic member is never monitored: it lives by its session and LeaveGroup (its
      // TCP connection may drop and come back).
      auto& st = self->state;
      if (st.failed || st.stop_requested)
        return make_error(errc::not_coordinator, "the group coordinator is moving");
      bool join = req.op == static_cast<uint8_t>(classic_op::join);
      std::optional<group::group_state> before;
      group::topic_sizes join_topics;
      if (join) {
        before = *st.group;
        auto topics = st.group->subscribed_topics();
        topics.insert(req.topics.begin(), req.topics.end());
        join_topics = sizes_for(st.cfg.md, topics);
      }
      auto r = st.group->classic(req, self->clock().now(), &join_topics);
      if (join && r.error_code == 0 && !fits_or_restore(self, *before)) {
        r = classic_group_response{};  // as Kafka answers a group record too large
        r.error_code = kafka::code(kafka::error_code::unknown_server_error);
        r.member_id = req.member_id;
      }
      nudge(self, {});
      auto rp = self->make_response_promise<classic_group_response>();
      after_write(self, [=](const caf::error& err) mutable {
        if (err)
          rp.deliver(err);
        else
          rp.deliver(r);
      });
      return rp;
    },
    [=](commit_atom, offset_commit_request& req) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      if (st.failed || st.stop_requested)
        return make_error(errc::not_coordinator, "the group coordinator is moving");
      for (auto& po : req.offsets) {
        // As in Kafka: no offsets for a partition that does not exist (or no longer does).
        if (st.cfg.md.find_partition(po.tp) == nullptr)
          return make_error(errc::unknown_topic_or_partition,
                            "commit for " + to_string(po.tp) + ": no such topic partition");
        if (po.offset < 0)
          return make_error(errc::invalid_request, "commit of offset "
                                                     + std::to_string(po.offset) + " for "
                                                     + to_string(po.tp));
        if (po.metadata.size() > max_offset_metadata_size)
          return make_error(errc::offset_metadata_too_large,
                            "commit for " + to_string(po.tp) + ": "
                              + std::to_string(po.metadata.size())
                              + " bytes of metadata, the limit is "
                              + std::to_string(max_offset_metadata_size));
        if (req.member_id.empty()) {
          if (!st.group->empty())
            return make_error(errc::unknown_member_id,
                              "group '" + st.cfg.group
                                + "' has members: only they may commit offsets");
        } else if (auto err = st.group->check_commit(req.member_id, req.member_epoch, po.tp)) {
          return err;
        }
      }
      auto now = now_ms();
      std::vector<group::offset_record> recs;
      std::vector<std::pair<std::string, std::optional<std::string>>> records;
      size_t bytes = 0;
      for (auto& po : req.offsets) {
        auto& rec = recs.emplace_back(group::offset_record{po.offset, now, req.member_epoch,
                                                           po.leader_epoch, po.metadata});
        auto& [k, v] = records.emplace_back(group::offset_key(st.cfg.group, po.tp),
                                            group::encode(rec));
        bytes += k.size() + v->size() + record_overhead_bytes;
      }
      // The next write holds the queued records, these and the group's record.
      if (auto err = commit_room(st, bytes))
        return err;
      for (size_t i = 0; i < recs.size(); ++i)
        st.offsets[req.offsets[i].tp] = recs[i];
      for (auto& r : records)
        st.queued.push_back(std::move(r));
      auto rp = self->make_response_promise<caf::ok_atom>();
      after_write(self, [=](const caf::error& err) mutable {
        if (err)
          rp.deliver(err);
        else
          rp.deliver(caf::ok_atom::value);
      });
      return rp;
    },
    [=](offset_fetch_atom, offset_fetch_request& req)
      -> caf::result<std::vector<partition_offset>> {
      auto rp = self->make_response_promise<std::vector<partition_offset>>();
      // Only offsets already on the ISR are read.
      after_write(self, [=](const caf::error& err) mutable {
        if (err) {
          rp.deliver(err);
          return;
        }
        auto& st = self->state;
        std::vector<partition_offset> out;
        if (req.tps.empty()) {
          for (auto& [tp, o] : st.offsets)
            out.push_back({tp, o.offset, o.leader_epoch, o.metadata});
        } else {
          for (auto& tp : req.tps) {
            auto i = st.offsets.find(tp);
            if (i == st.offsets.end())
              out.push_back({tp, -1});
            else
              out.push_back({tp, i->second.offset, i->second.leader_epoch, i->second.metadata});
          }
        }
        rp.deliver(std::move(out));
      });
      return rp;
    },
    [=](describe_group_atom, std::string&) -> caf::result<group_description> {
      // Like offset_fetch: no offset or member state that is not on the ISR yet.
      auto rp = self->make_response_promise<group_description>();
      after_write(self, [=](const caf::error& err) mutable {
        if (err)
          rp.deliver(err);
        else
          rp.deliver(describe(self));
      });
      return rp;
    },
    [=](md_update_atom, cluster_metadata& md) {
      auto& st = self->state;
      st.cfg.md = std::move(md);
      drop_deleted_topics(self);
      st.group->set_topics(sizes_for(st.cfg.md, st.group->subscribed_topics()));
      nudge(self, {});
      after_write(self, [](const caf::error&) {});
    },
    [=](caf::tick_atom) {
      auto& st = self->state;
      auto gone = st.group->expire(self->clock().now());
      for (auto& id : gone) {
        spdlog::info("group {}: member {} left (session timed out)", st.cfg.group, id);
        forget_member(self, id);
      }
      if (!gone.empty()) {
        nudge(self, {});
        after_write(self, [](const caf::error&) {});
      }
      schedule_tick(self);
    },
    [=](stop_atom) -> caf::ok_atom {
      // A write in flight finishes first, so that whoever loads the partition next sees it.
      auto& st = self->state;
      st.stop_requested = true;
      if (!st.writing) {
        fail_all(self, make_error(errc::not_coordinator, "the group coordinator is moving"));
        self->quit();
      }
      return caf::ok_atom::value;
    },
  };
}

} // namespace

group_manager_actor spawn_group_manager(caf::actor_system& sys, group_manager_config cfg) {
  return sys.spawn(manager_behavior, std::move(cfg));
}

} // namespace cafka
