// Kafka session handlers that change a topic after creation: AlterConfigs and
// IncrementalAlterConfigs (a topic's config overrides) and CreatePartitions. Each resource or
// topic is one request to this node's broker, which asks the controller quorum; the quorum
// checks and applies it (runtime/cluster/topic_config.hpp, metadata_state.hpp).

#include <algorithm>
#include <chrono>
#include <memory>

#include "actors/kafka/kafka_session_state.hpp"
#include "actors/kafka/session_admin_gather.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/cluster/topic_caps.hpp"
#include "runtime/kafka/config_admin_codec.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/topic_admin_codec.hpp"
#include "runtime/kafka/topic_admin_rules.hpp"

namespace cafka {

namespace {

using kafka::admin_error;
using kafka::error_code;

// -- AlterConfigs and IncrementalAlterConfigs -------------------------------------------------

using alter_response = kafka::alter_configs_response;
using alter_resource = kafka::alter_configs_request::alter_configs_resource;

// The topic change a resource asks for, or why it cannot be asked: a broker's configs come
// from cluster.conf; other resource types are not served; a null value may only come with
// DELETE; an operation other than 0-3 is INVALID_REQUEST.
caf::expected<alter_topic_configs_request>
to_topic_change(kafka_session_self self, const alter_resource& res, bool incremental,
                bool validate_only) {
  if (res.resource_type == kafka::config_resource_broker) {
    if (!allowed(self, acl_operation::alter_configs, acl_resource_type::cluster,
                 cluster_resource_name))
      return make_error(errc::cluster_authorization_failed, "Authorization failed.");
    return make_error(errc::invalid_request,
                      "cafka's broker configs come from cluster.conf: they cannot be altered");
  }
  if (res.resource_type != kafka::config_resource_topic)
    return make_error(errc::invalid_request,
                      "Unsupported resource type: " + std::to_string(res.resource_type)
                        + " (cafka alters topic configs (2))");
  if (!allowed(self, acl_operation::alter_configs, acl_resource_type::topic,
               res.resource_name))
    return make_error(errc::topic_authorization_failed, "Authorization failed.");
  alter_topic_configs_request out{res.resource_name, {}, !incremental, validate_only};
  std::string nulls;
  for (auto& c : res.configs) {
    if (c.operation < 0 || c.operation > 3)
      return make_error(errc::invalid_request, "Unknown config operation "
                                                 + std::to_string(c.operation) + " for "
                                                 + c.name);
    auto op = static_cast<config_op_kind>(c.operation);
    if (!c.value && op != config_op_kind::remove)
      nulls += (nulls.empty() ? "" : ",") + c.name;
    out.ops.push_back({c.name, op, c.value.value_or("")});
  }
  if (!nulls.empty())
    return make_error(errc::invalid_request,
                      "Null value not supported for topic configs: " + nulls);
  return out;
}

template <class Request>
void handle_alter(kafka_session_self self, const kafka_call& call, kafka::reader& r,
                  bool incremental) {
  Request req;
  if (!decode_body(self, call, r, req))
    return;
  auto g = std::make_shared<admin_gather<alter_response>>();
  std::vector<std::pair<size_t, alter_topic_configs_request>> todo;
  for (auto& res : req.resources) {
    auto& slot = g->response.responses.emplace_back();
    slot.resource_type = res.resource_type;
    slot.resource_name = res.resource_name;
    auto change = to_topic_change(self, res, incremental, req.validate_only);
    if (change)
      todo.emplace_back(g->response.responses.size() - 1, std::move(*change));
    else
      set_result(slot, kafka::admin_error_of(change.error()));
  }
  if (todo.empty()) {
    respond(self, call, g->response);
    return;
  }
  g->pending = todo.size();
  for (auto& [i, change] : todo)
    self->request(self->state.ctx.broker, default_admin_wait, alter_configs_atom::value,
                  std::move(change))
      .then([=](caf::ok_atom) { complete_one(self, call, g); },
            [=, i = i](const caf::error& err) {
              set_result(g->response.responses[i], kafka::admin_error_of(err));
              complete_one(self, call, g);
            });
}

// -- CreatePartitions -------------------------------------------------------------------------

using partitions_response = kafka::create_partitions_response;

using partitions_topic = kafka::create_partitions_request::create_partitions_topic;

// Why a topic of a CreatePartitions request cannot be asked for, or none.
admin_error check_partitions_topic(kafka_session_self self, const partitions_topic& t) {
  if (!allowed(self, acl_operation::alter, acl_resource_type::topic, t.name))
    return {error_code::topic_authorization_failed, "Authorization failed."};
  if (t.assignments)
    return {error_code::invalid_replica_assignment,
            "cafka places replicas itself: manual replica assignments are not supported; "
            "give the count only"};
  return {};
}

} // namespace

void handle_alter_configs(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  handle_alter<kafka::alter_configs_request>(self, call, r, false);
}

void handle_incremental_alter_configs(kafka_session_self self, const kafka_call& call,
                                      kafka::reader& r) {
  handle_alter<kafka::incremental_alter_configs_request>(self, call, r, true);
}

void handle_create_partitions(kafka_session_self self, const kafka_call& call,
                              kafka::reader& r) {
  kafka::create_partitions_request req;
  if (!decode_body(self, call, r, req))
    return;
  std::vector<std::string> names;
  for (auto& t : req.topics)
    names.push_back(t.name);
  auto dups = kafka::duplicate_names(names);
  auto g = std::make_shared<admin_gather<partitions_response>>();
  std::vector<std::pair<size_t, create_partitions_request>> todo;
  for (auto& t : req.topics) {
    auto& results = g->response.results;
    if (dups.count(t.name) > 0) {
      auto seen = std::any_of(results.begin(), results.end(),
                              [&](const auto& x) { return x.name == t.name; });
      if (!seen)
        results.push_back({t.name, kafka::code(error_code::invalid_request),
                           std::string{"Duplicate topic in request."}});
      continue;
    }
    auto& slot = results.emplace_back();
    slot.name = t.name;
    if (auto err = check_partitions_topic(self, t); !err.ok())
      set_result(slot, err);
    else
      todo.emplace_back(results.size() - 1,
                        create_partitions_request{t.name, t.count, req.validate_only});
  }
  if (todo.empty()) {
    respond(self, call, g->response);
    return;
  }
  g->pending = todo.size();
  for (auto& [i, grow] : todo)
    self->request(self->state.ctx.broker, admin_wait(req.timeout_ms),
                  create_partitions_atom::value, std::move(grow))
      .then([=](const topic_metadata&) { complete_one(self, call, g); },
            [=, i = i](const caf::error& err) {
              set_result(g->response.results[i], kafka::admin_error_of(err));
              complete_one(self, call, g);
            });
}

} // namespace cafka
