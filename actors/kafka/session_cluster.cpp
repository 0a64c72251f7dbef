// Kafka session handlers of cluster discovery: ApiVersions, Metadata (with topic
// auto-creation) and InitProducerId.

#include <algorithm>
#include <chrono>

#include "actors/kafka/kafka_session_state.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_state.hpp"
#include "runtime/cluster/topic_caps.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/kafka/api_versions_codec.hpp"
#include "runtime/kafka/init_producer_id_codec.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/metadata_codec.hpp"

namespace cafka {

namespace {

constexpr auto metadata_timeout = std::chrono::seconds{10};
constexpr auto admin_timeout = std::chrono::seconds{30};

using kafka::error_code;
using kafka::metadata_response;

// The endpoint of `b` for this session's listener, or nullptr.
const listener_endpoint* endpoint_of(const broker_metadata& b, const std::string& listener) {
  for (auto& l : b.listeners)
    if (l.name == listener)
      return &l;
  return nullptr;
}

bool serves(const cluster_metadata& md, node_id id, const std::string& listener) {
  auto b = md.find_broker(id);
  return b != nullptr && b->alive && endpoint_of(*b, listener) != nullptr;
}

metadata_response::metadata_response_topic describe_topic(const cluster_metadata& md,
                                                          const topic_metadata& t) {
  metadata_response::metadata_response_topic out;
  out.name = t.name;
  out.is_internal = t.name == group::offsets_topic;
  for (auto& p : t.partitions) {
    metadata_response::metadata_response_partition mp;
    mp.partition_index = p.id.value;
    mp.leader_id = p.leader.value;
    mp.error_code = kafka::code(p.leader == no_node ? error_code::leader_not_available
                                                      : error_code::none);
    for (auto r : p.replicas) {
      mp.replica_nodes.push_back(r.value);
      auto b = md.find_broker(r);
      if (b == nullptr || !b->alive)
        mp.offline_replicas.push_back(r.value);
    }
    for (auto r : p.isr)
      mp.isr_nodes.push_back(r.value);
    out.partitions.push_back(std::move(mp));
  }
  return out;
}

// Asks the controller (through this node's broker) to create `name` with the defaults; the
// client sees LEADER_NOT_AVAILABLE meanwhile and asks again, as with Kafka.
void auto_create(kafka_session_self self, const std::string& name) {
  self->request(self->state.ctx.broker, admin_timeout, create_topic_atom::value,
                create_topic_request{name, -1, -1})
    .then([](const topic_metadata&) {}, [](const caf::error&) {});
}

metadata_response make_metadata(kafka_session_self self, const cluster_metadata& md,
                                const kafka::metadata_request& req, bool may_create) {
  auto& ctx = self->state.ctx;
  metadata_response out;
  for (auto& b : md.brokers)
    if (b.alive)
      if (auto e = endpoint_of(b, ctx.listener))
        out.brokers.push_back({b.id.value, e->host, e->port, std::nullopt});
  if (!md.cluster_id.empty())
    out.cluster_id = md.cluster_id;
  // Admin clients send topic changes to the controller id: a quorum member without a Kafka
  // listener cannot take them, so name this broker (brokers forward them to the quorum).
  out.controller_id = serves(md, md.controller, ctx.listener) ? md.controller.value
                                                              : ctx.node.value;
  // Topics the client may not describe are left out of "every topic" and answered
  // TOPIC_AUTHORIZATION_FAILED when named, as Kafka does.
  auto may_describe = [&](const std::string& name) {
    return allowed(self, acl_operation::describe, acl_resource_type::topic, name);
  };
  if (!req.topics) {
    for (auto& t : md.topics)
      if (may_describe(t.name))
        out.topics.push_back(describe_topic(md, t));
    return out;
  }
  // Topics this answer asks to auto-create count towards the caps beside md's.
  auto have = count_topics(md);
  topic_caps caps{ctx.cfg->limits.max_topics, ctx.cfg->limits.max_partitions};
  for (auto& name : *req.topics) {
    auto t = md.find_topic(name);
    if (!may_describe(name) || (t == nullptr && may_create && !may_create_topic(self, name))) {
      out.topics.push_back(
        {kafka::code(error_code::topic_authorization_failed), name, false, {}});
      continue;
    }
    if (t != nullptr) {
      out.topics.push_back(describe_topic(md, *t));
      continue;
    }
    metadata_response::metadata_response_topic missing;
    missing.name = name;
    missing.error_code = kafka::code(error_code::unknown_topic_or_partition);
    if (metadata_state::validate_topic_name(name)) {
      missing.error_code = kafka::code(error_code::invalid_topic_exception);
    } else if (may_create && name != group::offsets_topic) {
      // A topic the caps refuse is answered as Kafka answers a failed auto-creation:
      // UNKNOWN_TOPIC_OR_PARTITION. This broker's metadata may lag the controller's, which
      // checks again (a client then sees LEADER_NOT_AVAILABLE until this broker catches up).
      create_topic_request cr{name, ctx.cfg->defaults.num_partitions, -1};
      if (!check_topic_caps(have, cr, caps)) {
        auto_create(self, name);
        have.topics += 1;
        have.partitions += cr.partitions;
        missing.error_code = kafka::code(error_code::leader_not_available);
      }
    }
    out.topics.push_back(std::move(missing));
  }
  return out;
}

} // namespace

void handle_api_versions(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::api_versions_request req;
  if (!decode_body(self, call, r, req))
    return;
  respond(self, call, kafka::make_api_versions_response());
}

void handle_metadata(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::metadata_request req;
  if (!decode_body(self, call, r, req))
    return;
  bool may_create = req.allow_auto_topic_creation
                    && self->state.ctx.cfg->defaults.auto_create_topics_enable;
  self->request(self->state.ctx.broker, metadata_timeout, metadata_atom::value,
                metadata_request{})
    .then(
      [=](const cluster_metadata& md) {
        respond(self, call, make_metadata(self, md, req, may_create));
      },
      [=](const caf::error&) {
        // The broker is starting: every topic asked for is "leader not available", which
        // clients retry (an empty answer would read as "no such topic").
        metadata_response out;
        out.controller_id = self->state.ctx.node.value;
        for (auto& name : req.topics.value_or(std::vector<std::string>{}))
          out.topics.push_back({kafka::code(error_code::leader_not_available), name, false, {}});
        respond(self, call, out);
      });
}

void handle_init_producer_id(kafka_session_self self, const kafka_call& call,
                             kafka::reader& r) {
  kafka::init_producer_id_request req;
  if (!decode_body(self, call, r, req))
    return;
  if (req.transactional_id || !may_write_idempotently(self)) {
    kafka::init_producer_id_response out;
    out.error_code = kafka::code(req.transactional_id
                                   ? error_code::invalid_request  // no transactions yet
                                   : error_code::cluster_authorization_failed);
    out.producer_epoch = no_producer_epoch;
    respond(self, call, out);
    return;
  }
  self->request(self->state.ctx.broker, admin_timeout, init_pid_atom::value)
    .then(
      [=](producer_id id) {
        kafka::init_producer_id_response out;
        out.producer_id = id;
        out.producer_epoch = producer_epoch{0};
        respond(self, call, out);
      },
      [=](const caf::error& err) {
        kafka::init_producer_id_response out;
        auto code = kafka::to_kafka_error(err);
        // Clients retry these; anything else from the quorum is "try again later" too.
        if (code != error_code::request_timed_out && code != error_code::not_controller)
          code = error_code::coordinator_not_available;
        out.error_code = kafka::code(code);
        out.producer_epoch = no_producer_epoch;
        respond(self, call, out);
      });
}

} // namespace cafka
