// Kafka session handlers of topic administration: CreateTopics and DeleteTopics (one request
// per topic to this node's broker, which forwards it to the controller quorum) and
// DescribeConfigs (answered from cluster.conf through runtime/kafka/config_table).

#include <algorithm>
#include <chrono>
#include <memory>

#include "actors/kafka/kafka_session_state.hpp"
#include "actors/kafka/session_admin_gather.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_state.hpp"
#include "runtime/cluster/topic_caps.hpp"
#include "runtime/kafka/config_table.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/topic_admin_codec.hpp"
#include "runtime/kafka/topic_admin_rules.hpp"

namespace cafka {

namespace {

using kafka::admin_error;
using kafka::error_code;

constexpr auto metadata_timeout = std::chrono::seconds{10};

// -- CreateTopics -----------------------------------------------------------------------------

using create_response = kafka::create_topics_response;

void create_one(kafka_session_self self, const kafka_call& call,
                const gather_ptr<create_response>& g, size_t i, create_topic_request req,
                std::chrono::milliseconds wait) {
  self->request(self->state.ctx.broker, wait, create_topic_atom::value, std::move(req))
    .then(
      [=](const topic_metadata&) { complete_one(self, call, g); },
      [=](const caf::error& err) {
        set_result(g->response.topics[i], kafka::admin_error_of(err));
        complete_one(self, call, g);
      });
}

// validate_only: the checks the controller would make, against this broker's metadata and
// this node's [limits] caps (the topics of the request that pass count towards them).
void validate_all(kafka_session_self self, const kafka_call& call,
                  std::shared_ptr<create_response> out,
                  std::vector<std::pair<size_t, create_topic_request>> todo) {
  self->request(self->state.ctx.broker, metadata_timeout, metadata_atom::value,
                metadata_request{})
    .then(
      [=](const cluster_metadata& md) {
        auto& limits = self->state.ctx.cfg->limits;
        topic_caps caps{limits.max_topics, limits.max_partitions};
        auto have = count_topics(md);
        for (auto& [i, req] : todo) {
          auto err = metadata_state::check_create(md, req);
          if (!err)
            err = check_topic_caps(have, req, caps);
          if (err) {
            set_result(out->topics[i], kafka::admin_error_of(err));
          } else {
            have.topics += 1;
            have.partitions += req.partitions;
          }
        }
        respond(self, call, *out);
      },
      [=](const caf::error& err) {
        for (auto& [i, req] : todo)
          set_result(out->topics[i], kafka::admin_error_of(err));
        respond(self, call, *out);
      });
}

// -- DeleteTopics -----------------------------------------------------------------------------

using delete_response = kafka::delete_topics_response;

void delete_one(kafka_session_self self, const kafka_call& call,
                const gather_ptr<delete_response>& g, size_t i, std::chrono::milliseconds wait) {
  delete_topic_request req{g->response.responses[i].name};
  self->request(self->state.ctx.broker, wait, delete_topic_atom::value, std::move(req))
    .then(
      [=](caf::ok_atom) { complete_one(self, call, g); },
      [=](const caf::error& err) {
        g->response.responses[i].error_code = kafka::code(kafka::admin_error_of(err).code);
        complete_one(self, call, g);
      });
}

// -- DescribeConfigs --------------------------------------------------------------------------

// Whether the client may describe the resource's configs: a topic's, or a broker's (the
// cluster resource), as Kafka checks DESCRIBE_CONFIGS.
bool may_describe_configs(kafka_session_self self,
                          const kafka::describe_configs_request::describe_configs_resource& res) {
  if (res.resource_type == kafka::config_resource_topic)
    return allowed(self, acl_operation::describe_configs, acl_resource_type::topic,
                   res.resource_name);
  return allowed(self, acl_operation::describe_configs, acl_resource_type::cluster,
                 cluster_resource_name);
}

kafka::describe_configs_response describe_all(kafka_session_self self,
                                              const kafka::describe_configs_request& req,
                                              const cluster_metadata& md) {
  auto& ctx = self->state.ctx;
  kafka::describe_configs_response out;
  for (auto& res : req.resources) {
    if (!may_describe_configs(self, res)) {
      auto& x = out.results.emplace_back();
      bool topic = res.resource_type == kafka::config_resource_topic;
      x.error_code = kafka::code(topic ? error_code::topic_authorization_failed
                                       : error_code::cluster_authorization_failed);
      x.error_message = "Authorization failed.";
      x.resource_type = res.resource_type;
      x.resource_name = res.resource_name;
      continue;
    }
    out.results.push_back(
      kafka::describe_config_resource(res, req.include_synonyms, *ctx.cfg, ctx.node, md));
  }
  return out;
}

} // namespace

void handle_create_topics(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::create_topics_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto& defaults = self->state.ctx.cfg->defaults;
  std::vector<std::string> names;
  for (auto& t : req.topics)
    names.push_back(t.name);
  auto dups = kafka::duplicate_names(names);
  auto out = std::make_shared<create_response>();
  std::vector<std::pair<size_t, create_topic_request>> todo;
  for (auto& t : req.topics) {
    if (dups.count(t.name) > 0) {
      // One answer per duplicated name, as Kafka gives.
      auto seen = std::any_of(out->topics.begin(), out->topics.end(),
                              [&](const auto& x) { return x.name == t.name; });
      if (!seen)
        out->topics.push_back({t.name, kafka::code(error_code::invalid_request),
                               std::string{"Duplicate topic name."}});
      continue;
    }
    auto& slot = out->topics.emplace_back();
    slot.name = t.name;
    if (!may_create_topic(self, t.name))
      set_result(slot, {error_code::topic_authorization_failed,
                        "Authorization failed."});
    else if (auto err = kafka::check_new_topic(t, defaults); !err.ok())
      set_result(slot, err);
    else
      todo.emplace_back(out->topics.size() - 1, kafka::resolve_new_topic(t, defaults));
  }
  if (todo.empty()) {
    respond(self, call, *out);
    return;
  }
  if (req.validate_only) {
    validate_all(self, call, std::move(out), std::move(todo));
    return;
  }
  auto g = std::make_shared<admin_gather<create_response>>();
  g->response = std::move(*out);
  g->pending = todo.size();
  for (auto& [i, create] : todo)
    create_one(self, call, g, i, std::move(create), admin_wait(req.timeout_ms));
}

void handle_delete_topics(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::delete_topics_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto dups = kafka::duplicate_names(req.topic_names);
  auto g = std::make_shared<admin_gather<delete_response>>();
  std::vector<size_t> todo;
  for (auto& name : req.topic_names) {
    auto& rs = g->response.responses;
    if (dups.count(name) > 0) {
      auto seen = std::any_of(rs.begin(), rs.end(), [&](const auto& x) { return x.name == name; });
      if (!seen)
        rs.push_back({name, kafka::code(error_code::invalid_request)});
      continue;
    }
    if (!allowed(self, acl_operation::delete_, acl_resource_type::topic, name)) {
      rs.push_back({name, kafka::code(error_code::topic_authorization_failed)});
      continue;
    }
    rs.push_back({name, kafka::code(error_code::none)});
    todo.push_back(rs.size() - 1);
  }
  if (todo.empty()) {
    respond(self, call, g->response);
    return;
  }
  // The broker refuses __consumer_offsets (INVALID_REQUEST) and unknown topics
  // (UNKNOWN_TOPIC_OR_PARTITION).
  g->pending = todo.size();
  for (auto i : todo)
    delete_one(self, call, g, i, admin_wait(req.timeout_ms));
}

void handle_describe_configs(kafka_session_self self, const kafka_call& call,
                             kafka::reader& r) {
  kafka::describe_configs_request req;
  if (!decode_body(self, call, r, req))
    return;
  metadata_request topics;
  for (auto& res : req.resources)
    if (res.resource_type == kafka::config_resource_topic)
      topics.topics.push_back(res.resource_name);
  if (topics.topics.empty()) {
    respond(self, call, describe_all(self, req, cluster_metadata{}));
    return;
  }
  self->request(self->state.ctx.broker, metadata_timeout, metadata_atom::value,
                std::move(topics))
    .then([=](const cluster_metadata& md) { respond(self, call, describe_all(self, req, md)); },
          [=](const caf::error& err) {
            // The broker is starting: its topics are not known yet.
            auto out = describe_all(self, req, cluster_metadata{});
            for (auto& x : out.results) {
              if (x.error_code != kafka::code(error_code::unknown_topic_or_partition))
                continue;
              x.error_code = kafka::code(error_code::broker_not_available);
              x.error_message = context_of(err);
            }
            respond(self, call, out);
          });
}

} // namespace cafka
