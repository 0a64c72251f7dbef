// The Kafka session's partition move APIs (KIP-455): AlterPartitionReassignments starts or
// cancels moves through the broker (on to the controller); ListPartitionReassignments answers
// from the broker's metadata. Kafka session actor context.
#include <algorithm>
#include <map>

#include "actors/kafka/kafka_session_state.hpp"
#include "actors/kafka/session_admin_gather.hpp"
#include "runtime/cluster/reassignment.hpp"
#include "runtime/kafka/reassignment_codec.hpp"

namespace cafka {

namespace {

using kafka::error_code;
using alter_response = kafka::alter_partition_reassignments_response;
using list_response = kafka::list_partition_reassignments_response;

constexpr auto metadata_timeout = std::chrono::seconds{10};

std::vector<int32_t> raw_ids(const std::vector<node_id>& xs) {
  std::vector<int32_t> out;
  for (auto x : xs)
    out.push_back(x.value);
  return out;
}

// The response's slot of each requested partition, in request order, every one set to `e`.
alter_response answer_all(const kafka::alter_partition_reassignments_request& req,
                          const kafka::admin_error& e) {
  alter_response out;
  out.error_code = kafka::code(e.code);
  out.error_message = e.message;
  for (auto& t : req.topics) {
    auto& slot = out.responses.emplace_back();
    slot.name = t.name;
    for (auto& p : t.partitions)
      slot.partitions.push_back({p.partition_index, kafka::code(e.code), e.message});
  }
  return out;
}

} // namespace

void handle_alter_partition_reassignments(kafka_session_self self, const kafka_call& call,
                                          kafka::reader& r) {
  kafka::alter_partition_reassignments_request req;
  if (!decode_body(self, call, r, req))
    return;
  if (!allowed(self, acl_operation::alter, acl_resource_type::cluster, cluster_resource_name)) {
    respond(self, call,
            answer_all(req, {error_code::cluster_authorization_failed,
                             std::string{"Cluster authorization failed."}}));
    return;
  }
  alter_reassignments_request moves;
  for (auto& t : req.topics)
    for (auto& p : t.partitions) {
      partition_reassignment m;
      m.tp = topic_partition{t.name, partition_id{p.partition_index}};
      m.cancel = !p.replicas;
      for (auto id : p.replicas ? *p.replicas : std::vector<int32_t>{})
        m.replicas.push_back(node_id{id});
      moves.partitions.push_back(std::move(m));
    }
  auto out = std::make_shared<alter_response>(answer_all(req, {}));
  out->error_message = std::nullopt;
  self->request(self->state.ctx.broker, admin_wait(req.timeout_ms), reassign_atom::value,
                std::move(moves))
    .then(
      [=](const std::vector<reassignment_result>& results) {
        // Results come in request order: walk the slots in the same order.
        size_t i = 0;
        for (auto& t : out->responses)
          for (auto& p : t.partitions) {
            if (i >= results.size()) {  // not answered: say so rather than claim success
              p.error_code = kafka::code(error_code::unknown_server_error);
              p.error_message = "no result for this partition";
            } else if (results[i].error) {
              auto e = kafka::admin_error_of(results[i].error);
              p.error_code = kafka::code(e.code);
              p.error_message = e.message;
            } else {
              p.error_message = std::nullopt;
            }
            ++i;
          }
        respond(self, call, *out);
      },
      [=](const caf::error& err) {
        respond(self, call, answer_all(req, kafka::admin_error_of(err)));
      });
}

void handle_list_partition_reassignments(kafka_session_self self, const kafka_call& call,
                                         kafka::reader& r) {
  kafka::list_partition_reassignments_request req;
  if (!decode_body(self, call, r, req))
    return;
  if (!allowed(self, acl_operation::describe, acl_resource_type::cluster,
               cluster_resource_name)) {
    list_response out;
    out.error_code = kafka::code(error_code::cluster_authorization_failed);
    out.error_message = "Cluster authorization failed.";
    respond(self, call, out);
    return;
  }
  self->request(self->state.ctx.broker, metadata_timeout, metadata_atom::value,
                metadata_request{})
    .then(
      [=](const cluster_metadata& md) {
        // Which partitions were asked for (none: every moving one).
        std::map<std::string, std::vector<int32_t>> wanted;
        if (req.topics)
          for (auto& t : *req.topics)
            for (auto p : t.partition_indexes)
              wanted[t.name].push_back(p);
        auto asked = [&](const std::string& topic, partition_id p) {
          if (!req.topics)
            return true;
          auto i = wanted.find(topic);
          return i != wanted.end()
                 && std::find(i->second.begin(), i->second.end(), p.value)
                      != i->second.end();
        };
        list_response out;
        for (auto& t : md.topics) {
          list_response::ongoing_topic_reassignment topic;
          topic.name = t.name;
          for (auto& p : t.partitions)
            if (is_reassigning(p) && asked(t.name, p.id))
              topic.partitions.push_back({p.id.value, raw_ids(p.replicas),
                                          raw_ids(p.adding_replicas),
                                          raw_ids(p.removing_replicas)});
          if (!topic.partitions.empty())
            out.topics.push_back(std::move(topic));
        }
        respond(self, call, out);
      },
      [=](const caf::error& err) {
        auto e = kafka::admin_error_of(err);
        list_response out;
        out.error_code = kafka::code(e.code);
        out.error_message = e.message;
        respond(self, call, out);
      });
}

} // namespace cafka
