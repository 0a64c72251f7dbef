// Kafka session handlers of committed offsets: OffsetCommit and OffsetFetch, on this node's
// broker, which routes them to the group's coordinator. ACLs: READ on the group and on each
// topic to commit, DESCRIBE on the group and on each topic to fetch, as Kafka checks them.

#include <memory>

#include "actors/kafka/kafka_session_state.hpp"
#include "actors/kafka/session_limits.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/offset_codec.hpp"
#include "runtime/kafka/offset_rules.hpp"

namespace cafka {

namespace {

using kafka::error_code;

// Takes the topics the commit may not touch out of `req`; answers their partitions with
// GROUP_AUTHORIZATION_FAILED (the group is refused) or TOPIC_AUTHORIZATION_FAILED.
kafka::offset_commit_response refuse_commits(kafka_session_self self,
                                             kafka::offset_commit_request& req) {
  kafka::offset_commit_response out;
  bool group_ok = allowed(self, acl_operation::read, acl_resource_type::group, req.group_id);
  auto& ts = req.topics;
  for (auto i = ts.begin(); i != ts.end();) {
    if (group_ok && allowed(self, acl_operation::read, acl_resource_type::topic, i->name)) {
      ++i;
      continue;
    }
    auto code = kafka::code(group_ok ? error_code::topic_authorization_failed
                                     : error_code::group_authorization_failed);
    auto& t = out.topics.emplace_back();
    t.name = i->name;
    for (auto& p : i->partitions)
      t.partitions.push_back({p.partition_index, code});
    i = ts.erase(i);
  }
  return out;
}

// The topic's partitions as asked for, each answered `code`.
kafka::offset_fetch_response::offset_fetch_response_topic
refused_topic(const kafka::offset_fetch_request::offset_fetch_request_topic& t, int16_t code) {
  kafka::offset_fetch_response::offset_fetch_response_topic out;
  out.name = t.name;
  for (auto p : t.partition_indexes) {
    kafka::offset_fetch_response::offset_fetch_response_partition x;
    x.partition_index = p;
    x.metadata = std::string{};
    x.error_code = code;
    out.partitions.push_back(x);
  }
  return out;
}

// An OffsetFetch failed as a whole with `code`: the group's error from v2, else every
// partition asked for carries it.
kafka::offset_fetch_response failed_fetch(const kafka_call& call,
                                          const kafka::offset_fetch_request& req,
                                          int16_t code) {
  kafka::offset_fetch_response out;
  if (call.header.api_version >= 2) {
    out.error_code = code;  // the group's error; no partitions
    return out;
  }
  if (!req.topics)
    return out;
  for (auto& t : *req.topics)
    out.topics.push_back(refused_topic(t, code));
  return out;
}

// The answer without the topics the client may not describe: named ones are answered
// TOPIC_AUTHORIZATION_FAILED, others (a fetch of every committed offset) left out.
kafka::offset_fetch_response visible_offsets(kafka_session_self self,
                                             const kafka::offset_fetch_request& req,
                                             const std::vector<partition_offset>& offsets) {
  std::vector<partition_offset> shown;
  for (auto& o : offsets)
    if (allowed(self, acl_operation::describe, acl_resource_type::topic, o.tp.topic))
      shown.push_back(o);
  auto out = kafka::fetch_answer(shown);
  if (!req.topics)
    return out;
  for (auto& t : *req.topics)
    if (!allowed(self, acl_operation::describe, acl_resource_type::topic, t.name))
      out.topics.push_back(
        refused_topic(t, kafka::code(error_code::topic_authorization_failed)));
  return out;
}

} // namespace

void handle_offset_commit(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::offset_commit_request req;
  if (!decode_body(self, call, r, req)
      || !names_within_limits(
        self, call, "OffsetCommit", req.topics, [](auto& t) -> auto& { return t.name; },
        [](auto& t) { return t.partitions.size(); }))
    return;
  auto refused = refuse_commits(self, req);
  auto max_write = static_cast<size_t>(self->state.ctx.cfg->defaults.message_max_bytes);
  auto split = kafka::split_commit(req, max_write);
  auto out = std::move(split.response);
  for (auto& t : refused.topics)
    out.topics.push_back(std::move(t));
  if (split.commit.offsets.empty())
    return respond(self, call, out);
  self->request(self->state.ctx.broker, group_timeout, commit_atom::value,
                std::move(split.commit))
    .then([=](caf::ok_atom) { respond(self, call, out); },
          [=](const caf::error& err) {
            auto failed = out;
            kafka::fail_commit(failed, group_error(err));
            respond(self, call, failed);
          });
}

void handle_offset_fetch(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::offset_fetch_request req;
  if (!decode_body(self, call, r, req))
    return;
  if (req.topics
      && !names_within_limits(
        self, call, "OffsetFetch", *req.topics, [](auto& t) -> auto& { return t.name; },
        [](auto& t) { return t.partition_indexes.size(); }))
    return;
  if (!allowed(self, acl_operation::describe, acl_resource_type::group, req.group_id))
    return respond(self, call,
                   failed_fetch(call, req, kafka::code(error_code::group_authorization_failed)));
  offset_fetch_request q{req.group_id, {}};
  if (req.topics)
    for (auto& t : *req.topics)
      if (allowed(self, acl_operation::describe, acl_resource_type::topic, t.name))
        for (auto p : t.partition_indexes)
          q.tps.push_back({t.name, partition_id{p}});
  if (req.topics && q.tps.empty())
    return respond(self, call, visible_offsets(self, req, {}));
  self->request(self->state.ctx.broker, group_timeout, offset_fetch_atom::value, std::move(q))
    .then(
      [=](const std::vector<partition_offset>& offsets) {
        respond(self, call, visible_offsets(self, req, offsets));
      },
      [=](const caf::error& err) {
        respond(self, call, failed_fetch(call, req, kafka::code(group_error(err))));
      });
}

} // namespace cafka
