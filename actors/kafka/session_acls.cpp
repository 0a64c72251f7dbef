// Kafka session handlers of ACL administration: DescribeAcls, CreateAcls and DeleteAcls, on
// the quorum's ACLs through this node's broker. Without `authorizer = "acl"` they answer
// SECURITY_DISABLED, as Kafka without an authorizer; describing needs DESCRIBE on the
// cluster, creating and deleting ALTER on it.

#include <chrono>
#include <memory>

#include "actors/kafka/kafka_session_state.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/kafka/acl_codec.hpp"
#include "runtime/kafka/kafka_error.hpp"

namespace cafka {

namespace {

using kafka::error_code;

constexpr auto acl_timeout = std::chrono::seconds{30};
const char* no_authorizer = "No Authorizer is configured on the broker";
const char* not_allowed = "Authorization failed.";

// The error every entry of an ACL request gets before anything is asked, or none: no
// authorizer, or the principal may not `op` the cluster.
std::pair<error_code, std::optional<std::string>> refusal(kafka_session_self self,
                                                          acl_operation op) {
  if (!self->state.ctx.cfg->security.acl_authorizer)
    return {error_code::security_disabled, no_authorizer};
  if (!allowed(self, op, acl_resource_type::cluster, cluster_resource_name))
    return {error_code::cluster_authorization_failed, not_allowed};
  return {error_code::none, std::nullopt};
}

// A filter can select bindings only with known codes (Kafka: INVALID_REQUEST otherwise).
bool usable(const acl_filter& f) {
  return f.resource_type != acl_resource_type::unknown
         && f.pattern_type != acl_pattern_type::unknown
         && f.operation != acl_operation::unknown && f.permission != acl_permission::unknown;
}

} // namespace

void handle_describe_acls(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::describe_acls_request req;
  if (!decode_body(self, call, r, req))
    return;
  kafka::describe_acls_response out;
  auto [code, message] = refusal(self, acl_operation::describe);
  auto filter = kafka::to_filter(req.filter);
  if (code == error_code::none && !usable(filter)) {
    code = error_code::invalid_request;
    message = "the filter holds an unknown resource type, pattern type, operation or "
              "permission";
  }
  if (code != error_code::none) {
    out.error_code = kafka::code(code);
    out.error_message = message;
    return respond(self, call, out);
  }
  self->request(self->state.ctx.broker, acl_timeout, describe_acls_atom::value, filter)
    .then(
      [=](const std::vector<acl_binding>& found) {
        kafka::describe_acls_response ok;
        ok.resources = kafka::to_describe_resources(found);
        respond(self, call, ok);
      },
      [=](const caf::error& err) {
        kafka::describe_acls_response failed;
        failed.error_code = kafka::code(kafka::to_kafka_error(err));
        failed.error_message = context_of(err);
        respond(self, call, failed);
      });
}

void handle_create_acls(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::create_acls_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto out = std::make_shared<kafka::create_acls_response>();
  out->results.resize(req.creations.size());
  auto [code, message] = refusal(self, acl_operation::alter);
  std::vector<acl_binding> todo;
  std::vector<size_t> slots;  // todo[i] answers results[slots[i]]
  for (size_t i = 0; i < req.creations.size(); ++i) {
    auto& slot = out->results[i];
    auto b = kafka::to_binding(req.creations[i]);
    auto why = check_binding(b);
    if (code != error_code::none) {
      slot.error_code = kafka::code(code);
      slot.error_message = message;
    } else if (!why.empty()) {
      slot.error_code = kafka::code(error_code::invalid_request);
      slot.error_message = why;
    } else {
      todo.push_back(std::move(b));
      slots.push_back(i);
    }
  }
  if (todo.empty())
    return respond(self, call, *out);
  self->request(self->state.ctx.broker, acl_timeout, create_acls_atom::value, std::move(todo))
    .then(
      [=](const std::vector<caf::error>& errs) {
        for (size_t i = 0; i < slots.size() && i < errs.size(); ++i)
          if (errs[i]) {
            out->results[slots[i]].error_code = kafka::code(kafka::to_kafka_error(errs[i]));
            out->results[slots[i]].error_message = context_of(errs[i]);
          }
        respond(self, call, *out);
      },
      [=](const caf::error& err) {
        for (auto i : slots) {
          out->results[i].error_code = kafka::code(kafka::to_kafka_error(err));
          out->results[i].error_message = context_of(err);
        }
        respond(self, call, *out);
      });
}

void handle_delete_acls(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::delete_acls_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto out = std::make_shared<kafka::delete_acls_response>();
  out->filter_results.resize(req.filters.size());
  auto [code, message] = refusal(self, acl_operation::alter);
  std::vector<acl_filter> todo;
  std::vector<size_t> slots;
  for (size_t i = 0; i < req.filters.size(); ++i) {
    auto& slot = out->filter_results[i];
    auto f = kafka::to_filter(req.filters[i]);
    if (code != error_code::none) {
      slot.error_code = kafka::code(code);
      slot.error_message = message;
    } else if (!usable(f)) {
      slot.error_code = kafka::code(error_code::invalid_request);
      slot.error_message = "the filter holds an unknown resource type, pattern type, "
                           "operation or permission";
    } else {
      todo.push_back(std::move(f));
      slots.push_back(i);
    }
  }
  if (todo.empty())
    return respond(self, call, *out);
  self->request(self->state.ctx.broker, acl_timeout, delete_acls_atom::value, std::move(todo))
    .then(
      [=](const std::vector<std::vector<acl_binding>>& removed) {
        for (size_t i = 0; i < slots.size() && i < removed.size(); ++i)
          for (auto& b : removed[i])
            out->filter_results[slots[i]].matching_acls.push_back({0, {}, kafka::to_fields(b)});
        respond(self, call, *out);
      },
      [=](const caf::error& err) {
        for (auto i : slots) {
          out->filter_results[i].error_code = kafka::code(kafka::to_kafka_error(err));
          out->filter_results[i].error_message = context_of(err);
        }
        respond(self, call, *out);
      });
}

} // namespace cafka
