// Kafka session handlers of group administration: DeleteGroups and OffsetDelete, on this
// node's broker, which routes them to the group's coordinator; the group's manager decides
// (runtime/group/group_core_admin.cpp). ACLs as Kafka checks them: DELETE on the group; for
// OffsetDelete also READ on each topic.

#include <memory>

#include "actors/kafka/kafka_session_state.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/kafka/group_admin_codec.hpp"
#include "runtime/kafka/kafka_error.hpp"

namespace cafka {

namespace {

using kafka::error_code;

// Kafka's code for an error of a group admin request: the group's own refusals as Kafka
// names them, the path's failures as for any group request.
int16_t admin_error(const caf::error& err) {
  if (!err)
    return 0;
  switch (errc_of(err)) {
    case errc::group_id_not_found:
    case errc::non_empty_group:
    case errc::group_subscribed_to_topic:
    case errc::unknown_topic_or_partition:
      return kafka::code(kafka::to_kafka_error(err));
    default:
      return kafka::code(group_error(err));
  }
}

} // namespace

void handle_delete_groups(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::delete_groups_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto out = std::make_shared<kafka::delete_groups_response>();
  for (auto& g : req.groups_names)
    out->results.push_back({g, kafka::code(error_code::invalid_request)});  // if not asked
  auto asked = take_group_entries(self, req.groups_names.size());
  if (asked == 0)
    return respond(self, call, *out);
  auto pending = std::make_shared<size_t>(asked);
  auto done = [=] {
    give_back_group_entry(self);
    if (--*pending == 0)
      respond(self, call, *out);
  };
  for (size_t i = 0; i < asked; ++i) {
    auto& name = req.groups_names[i];
    if (!allowed(self, acl_operation::delete_, acl_resource_type::group, name)) {
      out->results[i].error_code = kafka::code(error_code::group_authorization_failed);
      done();
      continue;
    }
    group_admin_request q;
    q.op = static_cast<uint8_t>(group_admin_op::delete_group);
    q.group = name;
    self->request(self->state.ctx.broker, group_timeout, group_admin_atom::value, std::move(q))
      .then(
        [=](const group_admin_response&) {
          out->results[i].error_code = 0;
          done();
        },
        [=](const caf::error& err) {
          out->results[i].error_code = admin_error(err);
          done();
        });
  }
}

void handle_offset_delete(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::offset_delete_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto out = std::make_shared<kafka::offset_delete_response>();
  if (!allowed(self, acl_operation::delete_, acl_resource_type::group, req.group_id)) {
    out->error_code = kafka::code(error_code::group_authorization_failed);
    return respond(self, call, *out);
  }
  // Topics the client may not read are answered here; the others go to the group.
  group_admin_request q;
  q.op = static_cast<uint8_t>(group_admin_op::delete_offsets);
  q.group = req.group_id;
  for (auto& t : req.topics) {
    if (allowed(self, acl_operation::read, acl_resource_type::topic, t.name)) {
      for (auto p : t.partitions)
        q.tps.push_back({t.name, partition_id{p}});
      continue;
    }
    auto& x = out->topics.emplace_back();
    x.name = t.name;
    for (auto p : t.partitions)
      x.partitions.push_back({p, kafka::code(error_code::topic_authorization_failed)});
  }
  if (q.tps.empty())
    return respond(self, call, *out);
  self->request(self->state.ctx.broker, group_timeout, group_admin_atom::value, std::move(q))
    .then(
      [=](const group_admin_response& resp) {
        for (auto& pr : resp.partitions) {
          auto t = out->topics.begin();
          while (t != out->topics.end() && t->name != pr.tp.topic)
            ++t;
          if (t == out->topics.end()) {
            out->topics.emplace_back().name = pr.tp.topic;
            t = out->topics.end() - 1;
          }
          t->partitions.push_back({pr.tp.partition.value, admin_error(pr.error)});
        }
        respond(self, call, *out);
      },
      [=](const caf::error& err) {
        out->error_code = admin_error(err);
        respond(self, call, *out);
      });
}

} // namespace cafka
