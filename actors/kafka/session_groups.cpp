// Kafka session handlers of consumer groups: FindCoordinator, the classic group protocol
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), ListGroups and DescribeGroups (offsets:
// session_offsets.cpp). The group's manager decides (runtime/group/group_state's classic rules);
// these map Kafka's requests onto cafka's group messages to this node's broker, and the
// answers back. A group coordinated by another broker answers NOT_COORDINATOR.

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "actors/kafka/kafka_session_state.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/group/group_state.hpp"
#include "runtime/kafka/consumer_protocol_codec.hpp"
#include "runtime/kafka/group_codec.hpp"
#include "runtime/kafka/kafka_error.hpp"

namespace cafka {

namespace {

using kafka::error_code;

// The most entries (groups of a DescribeGroups, members of a LeaveGroup) a session has
// asked of group managers at once, over all its requests. Each entry is a request of its
// own, and a request's entries are all asked at once, so that its answer comes within
// group_timeout. Unbounded, 800 000 names in one 1.6 MB frame took a node to 926 MB, and
// 128 pipelined requests of 1000 names each (1 MB) to 160 MB. Entries beyond it are
// answered INVALID_REQUEST, unasked. Kafka has no such limit; clients describe a few
// groups and leave with a few members at a time.
constexpr size_t max_group_entries = 1000;

std::vector<topic_partition> to_partitions(
  const std::vector<kafka::consumer_protocol_topic_partition>& xs) {
  std::vector<topic_partition> out;
  for (auto& t : xs)
    for (auto p : t.partitions)
      out.push_back({t.topic, partition_id{p}});
  return out;
}

std::vector<kafka::consumer_protocol_topic_partition>
from_partitions(const std::vector<topic_partition>& tps) {
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (auto& tp : tps)
    by_topic[tp.topic].push_back(tp.partition.value);
  std::vector<kafka::consumer_protocol_topic_partition> out;
  for (auto& [topic, ps] : by_topic)
    out.push_back({topic, ps});
  return out;
}

std::string assignment_bytes(int16_t version, const std::vector<topic_partition>& tps) {
  kafka::consumer_protocol_assignment a;
  a.assigned_partitions = from_partitions(tps);
  std::string out;
  kafka::writer w{out};
  encode(w, version, a);
  return out;
}

// An actor member's subscription as a classic client reads it (version 0).
std::string subscription_bytes(const std::vector<std::string>& topics) {
  kafka::consumer_protocol_subscription s;
  s.topics = topics;
  std::string out;
  kafka::writer w{out};
  encode(w, 0, s);
  return out;
}

// A classic request that names a member of `group` (any op but join).
classic_group_request member_request(classic_op op, const std::string& group,
                                     const std::string& member_id,
                                     const std::optional<std::string>& instance_id,
                                     member_epoch generation = no_member_epoch) {
  classic_group_request q;
  q.op = static_cast<uint8_t>(op);
  q.group = group;
  q.member_id = member_id;
  q.instance_id = instance_id.value_or("");
  q.generation = generation;
  return q;
}

// Runs a classic request of `call` on the group's manager; `done` gets the answer, with a
// failure of the path turned into its error code.
template <class F>
void call_group(kafka_session_self self, const kafka_call& call, classic_group_request req,
                F done) {
  if (!allowed(self, acl_operation::read, acl_resource_type::group, req.group)) {
    classic_group_response refused;
    refused.error_code = kafka::code(error_code::group_authorization_failed);
    refused.member_id = req.member_id;
    return done(refused);
  }
  req.client_id = call.header.client_id.value_or("");
  req.client_host = self->state.client_host;
  self->request(self->state.ctx.broker, group_timeout, classic_atom::value, std::move(req))
    .then([=](const classic_group_response& r) { done(r); },
          [=](const caf::error& err) {
            classic_group_response r;
            r.error_code = kafka::code(group_error(err));
            done(r);
          });
}

// The endpoint of broker `id` on this session's listener, if it is alive and has one.
std::optional<listener_endpoint> coordinator_endpoint(const cluster_metadata& md, node_id id,
                                                      const std::string& listener) {
  auto b = md.find_broker(id);
  if (b == nullptr || !b->alive)
    return std::nullopt;
  for (auto& l : b->listeners)
    if (l.name == listener)
      return l;
  return std::nullopt;
}

} // namespace

// The first ones of the request's n entries; they count against the session's budget until
// each is given back.
size_t take_group_entries(kafka_session_self self, size_t n) {
  auto& used = self->state.group_entries;
  auto asked = std::min(n, max_group_entries - std::min(used, max_group_entries));
  used += asked;
  return asked;
}

void give_back_group_entry(kafka_session_self self) {
  --self->state.group_entries;
}

error_code group_error(const caf::error& err) {
  switch (errc_of(err)) {
    case errc::not_coordinator:
      return error_code::not_coordinator;
    case errc::coordinator_load_in_progress:
      return error_code::coordinator_load_in_progress;
    case errc::invalid_group_id:
      return error_code::invalid_group_id;
    case errc::unknown_member_id:
      return error_code::unknown_member_id;
    case errc::fenced_member_epoch:
      return error_code::illegal_generation;  // classic clients do not know 110
    case errc::partition_not_owned:
      return error_code::rebalance_in_progress;  // it moved: rejoin, keep the member id
    case errc::unknown_topic_or_partition:
      return error_code::unknown_topic_or_partition;
    case errc::invalid_request:
      return error_code::invalid_request;
    case errc::offset_metadata_too_large:
      return error_code::offset_metadata_too_large;
    case errc::message_too_large:
      return error_code::invalid_commit_offset_size;  // only a commit gets it
    case errc::limit_exceeded:
      return error_code::policy_violation;  // [limits] max-groups: not retriable
    case errc::group_max_size_reached:
      return error_code::group_max_size_reached;
    default:
      return error_code::coordinator_not_available;
  }
}

void handle_find_coordinator(kafka_session_self self, const kafka_call& call,
                             kafka::reader& r) {
  kafka::find_coordinator_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto fail = [=](error_code e, std::string why) {
    kafka::find_coordinator_response out;
    out.error_code = kafka::code(e);
    out.error_message = std::move(why);
    respond(self, call, out);
  };
  if (req.key_type != kafka::coordinator_key_group)
    return fail(error_code::coordinator_not_available, "cafka has no transaction coordinator");
  if (!allowed(self, acl_operation::describe, acl_resource_type::group, req.key))
    return fail(error_code::group_authorization_failed, "Authorization failed.");
  auto broker = self->state.ctx.broker;
  self->request(broker, group_timeout, find_coordinator_atom::value, req.key)
    .then(
      [=](node_id id) {
        self->request(broker, group_timeout, metadata_atom::value, metadata_request{})
          .then(
            [=](const cluster_metadata& md) {
              auto e = coordinator_endpoint(md, id, self->state.ctx.listener);
              if (!e)
                return fail(error_code::coordinator_not_available,
                            "the coordinator (broker " + to_string(id)
                              + ") has no live endpoint on this listener");
              kafka::find_coordinator_response out;
              out.node_id = id.value;
              out.host = e->host;
              out.port = e->port;
              respond(self, call, out);
            },
            [=](const caf::error& err) {
              fail(error_code::coordinator_not_available, context_of(err));
            });
      },
      [=](const caf::error& err) {
        auto code = group_error(err);
        if (code != error_code::invalid_group_id)
          code = error_code::coordinator_not_available;
        fail(code, context_of(err));
      });
}

void handle_join_group(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::join_group_request req;
  if (!decode_body(self, call, r, req))
    return;
  classic_group_request q;
  q.op = static_cast<uint8_t>(classic_op::join);
  q.group = req.group_id;
  q.member_id = req.member_id;
  q.instance_id = req.group_instance_id.value_or("");
  q.member_id_required = call.header.api_version >= 4;
  q.protocol_type = req.protocol_type;
  for (auto& p : req.protocols)
    q.protocols.push_back({p.name, p.metadata});
  q.session_timeout_ms = req.session_timeout_ms;
  q.rebalance_timeout_ms = req.rebalance_timeout_ms;
  auto answer = [=](const classic_group_response& a) {
    kafka::join_group_response out;
    out.error_code = a.error_code;
    out.generation_id = a.error_code == 0 ? a.generation.value : -1;
    out.protocol_name = a.protocol_name;
    out.member_id = a.member_id;
    respond(self, call, out);  // no leader: every member follows and sends an empty SyncGroup
  };
  // Every protocol carries the same subscription (Kafka reads one of them).
  if (q.protocol_type == group::consumer_protocol_type && !q.protocols.empty()) {
    kafka::consumer_protocol_subscription sub;
    kafka::reader sr{q.protocols.front().metadata};
    decode(sr, sub);
    if (!sr.ok()) {
      classic_group_response bad;
      bad.error_code = kafka::code(error_code::inconsistent_group_protocol);
      bad.member_id = q.member_id;
      return answer(bad);
    }
    q.topics = sub.topics;
    q.owned = to_partitions(sub.owned_partitions);
    q.subscription_version = sub.version;
  }
  call_group(self, call, std::move(q), answer);
}

void handle_sync_group(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::sync_group_request req;
  if (!decode_body(self, call, r, req))
    return;
  // The leader's assignments are ignored: the group assigns (there is no leader).
  auto q = member_request(classic_op::sync, req.group_id, req.member_id, req.group_instance_id,
                          member_epoch{req.generation_id});
  call_group(self, call, std::move(q), [=](const classic_group_response& a) {
    kafka::sync_group_response out;
    out.error_code = a.error_code;
    if (a.error_code == 0)
      out.assignment = assignment_bytes(a.assignment_version, a.assignment);
    respond(self, call, out);
  });
}

void handle_heartbeat(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::heartbeat_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto q = member_request(classic_op::heartbeat, req.group_id, req.member_id,
                          req.group_instance_id, member_epoch{req.generation_id});
  call_group(self, call, std::move(q), [=](const classic_group_response& a) {
    kafka::heartbeat_response out;
    out.error_code = a.error_code;
    respond(self, call, out);
  });
}

void handle_leave_group(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::leave_group_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto out = std::make_shared<kafka::leave_group_response>();
  if (req.members.empty())
    return respond(self, call, *out);
  out->members.resize(req.members.size());
  for (size_t i = 0; i < req.members.size(); ++i) {
    out->members[i].member_id = req.members[i].member_id;
    out->members[i].group_instance_id = req.members[i].group_instance_id;
    out->members[i].error_code = kafka::code(error_code::invalid_request);  // if not asked
  }
  // Before v3 the one member's error is the request's; from v3 a group-level error (the
  // coordinator moved) is the request's too.
  auto finish = [=] {
    auto first = out->members.front().error_code;
    auto moved = first == kafka::code(error_code::not_coordinator)
                 || first == kafka::code(error_code::coordinator_not_available)
                 || first == kafka::code(error_code::coordinator_load_in_progress);
    if (call.header.api_version < 3 || moved)
      out->error_code = first;
    respond(self, call, *out);
  };
  auto asked = take_group_entries(self, req.members.size());
  if (asked == 0)
    return finish();
  auto pending = std::make_shared<size_t>(asked);
  for (size_t i = 0; i < asked; ++i) {
    auto& m = req.members[i];
    auto q = member_request(classic_op::leave, req.group_id, m.member_id, m.group_instance_id);
    call_group(self, call, std::move(q), [=](const classic_group_response& a) {
      give_back_group_entry(self);
      out->members[i].error_code = a.error_code;
      if (--*pending == 0)
        finish();
    });
  }
}

void handle_list_groups(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::list_groups_request req;
  if (!decode_body(self, call, r, req))
    return;
  // Like Kafka: the groups this broker coordinates (admin clients ask every broker).
  self->request(self->state.ctx.broker, group_timeout, list_groups_atom::value)
    .then(
      [=](const std::vector<std::string>& names) {
        // DESCRIBE on the cluster lists every group, else those the client may describe.
        kafka::list_groups_response out;
        bool all = allowed(self, acl_operation::describe, acl_resource_type::cluster,
                           cluster_resource_name);
        for (auto& n : names)
          if (all || allowed(self, acl_operation::describe, acl_resource_type::group, n))
            out.groups.push_back({n, group::consumer_protocol_type});
        respond(self, call, out);
      },
      [=](const caf::error&) {
        kafka::list_groups_response out;
        out.error_code = kafka::code(error_code::coordinator_not_available);
        respond(self, call, out);
      });
}

namespace {

// Kafka's classic group states for cafka's (KIP-848) ones.
std::string classic_state(const std::string& state) {
  if (state == "Reconciling")
    return "CompletingRebalance";
  return state;  // Empty, Stable
}

kafka::describe_groups_response::described_group describe_one(const group_description& d) {
  kafka::describe_groups_response::described_group out;
  out.group_id = d.group;
  out.group_state = classic_state(d.state);
  out.protocol_type = group::consumer_protocol_type;
  out.protocol_data = d.assignor;
  for (auto& m : d.members) {
    auto& x = out.members.emplace_back();
    x.member_id = m.member_id;
    if (!m.instance_id.empty())
      x.group_instance_id = m.instance_id;
    x.client_id = m.client;
    x.client_host = m.client_host;
    // A classic member's own bytes; none for an actor member, or a classic one a new
    // coordinator knows only from the group's record: its subscription at version 0.
    bool classic = !m.protocol.empty();
    x.member_metadata = !m.metadata.empty() ? m.metadata : subscription_bytes(m.topics);
    x.member_assignment = classic ? assignment_bytes(m.assignment_version, m.assigned)
                                  : assignment_bytes(0, m.owned);
  }
  return out;
}

} // namespace

void handle_describe_groups(kafka_session_self self, const kafka_call& call,
                            kafka::reader& r) {
  kafka::describe_groups_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto out = std::make_shared<kafka::describe_groups_response>();
  out->groups.resize(req.groups.size());
  for (size_t i = 0; i < req.groups.size(); ++i) {
    out->groups[i].group_id = req.groups[i];
    out->groups[i].error_code = kafka::code(error_code::invalid_request);  // if not asked
  }
  auto asked = take_group_entries(self, req.groups.size());
  if (asked == 0)
    return respond(self, call, *out);
  auto pending = std::make_shared<size_t>(asked);
  for (size_t i = 0; i < asked; ++i) {
    auto name = req.groups[i];
    if (!allowed(self, acl_operation::describe, acl_resource_type::group, name)) {
      out->groups[i].error_code = kafka::code(error_code::group_authorization_failed);
      give_back_group_entry(self);
      if (--*pending == 0)
        respond(self, call, *out);
      continue;
    }
    auto done = [=] {
      give_back_group_entry(self);
      if (--*pending == 0)
        respond(self, call, *out);
    };
    self->request(self->state.ctx.broker, group_timeout, describe_group_atom::value, name)
      .then(
        [=](const group_description& d) {
          out->groups[i] = describe_one(d);
          done();
        },
        [=](const caf::error& err) {
          auto& g = out->groups[i];
          g.error_code = 0;
          if (errc_of(err) == errc::group_id_not_found)
            g.group_state = "Dead";  // as Kafka: no error, no members
          else
            g.error_code = kafka::code(group_error(err));
          done();
        });
  }
}

} // namespace cafka
