// Codecs of Kafka's ACL APIs, DescribeAcls (key 29), CreateAcls (30) and DeleteAcls (31) v0-1,
// non-flexible (v1 adds the pattern type): requests decoded, responses encoded, body only, and
// their conversions to and from the ACL model of runtime/security/acl.hpp. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"
#include "runtime/security/acl.hpp"

namespace cafka::kafka {

// The pattern type a v0 request or response implies (and v1's schema default): LITERAL.
constexpr int8_t acl_pattern_literal_code = static_cast<int8_t>(acl_pattern_type::literal);

// One filter: the body of DescribeAcls and each element of DeleteAcls' filters.
struct acl_filter_fields {
  int8_t resource_type_filter = 0;
  std::optional<std::string> resource_name_filter; // null: any name
  int8_t pattern_type_filter = acl_pattern_literal_code; // v1+
  std::optional<std::string> principal_filter;     // null: any principal
  std::optional<std::string> host_filter;          // null: any host
  int8_t operation = 0;
  int8_t permission_type = 0;
};

// One binding: each element of CreateAcls' creations and of DeleteAcls' matches.
struct acl_binding_fields {
  int8_t resource_type = 0;
  std::string resource_name;
  int8_t pattern_type = acl_pattern_literal_code; // v1+
  std::string principal;
  std::string host;
  int8_t operation = 0;
  int8_t permission_type = 0;
};

// ---- DescribeAcls (key 29) ----

struct describe_acls_request {
  acl_filter_fields filter;
};

struct describe_acls_response {
  struct acl_description {
    std::string principal;
    std::string host;
    int8_t operation = 0;
    int8_t permission_type = 0;
  };
  struct describe_acls_resource {
    int8_t resource_type = 0;
    std::string resource_name;
    int8_t pattern_type = acl_pattern_literal_code; // v1+
    std::vector<acl_description> acls;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  std::vector<describe_acls_resource> resources;
};

// ---- CreateAcls (key 30) ----

struct create_acls_request {
  std::vector<acl_binding_fields> creations;
};

struct create_acls_response {
  struct acl_creation_result {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
  };
  int32_t throttle_time_ms = 0;
  std::vector<acl_creation_result> results; // one per creation, in the request's order
};

// ---- DeleteAcls (key 31) ----

struct delete_acls_request {
  std::vector<acl_filter_fields> filters;
};

struct delete_acls_response {
  struct matching_acl {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    acl_binding_fields acl;
  };
  struct filter_result {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    std::vector<matching_acl> matching_acls;
  };
  int32_t throttle_time_ms = 0;
  std::vector<filter_result> filter_results; // one per filter, in the request's order
};

// Decoders read one request body of `version` (requires: 0 or 1); on malformed input they
// leave r.ok() == false. The codes are not checked here: to_filter / to_binding map them.
void decode(reader& r, int16_t version, describe_acls_request& out);
void decode(reader& r, int16_t version, create_acls_request& out);
void decode(reader& r, int16_t version, delete_acls_request& out);

// Encoders write one response body of `version` (requires: 0 or 1). v0 has no pattern type:
// requires every pattern type LITERAL at v0 (what a v0 filter selects).
void encode(writer& w, int16_t version, const describe_acls_response& x);
void encode(writer& w, int16_t version, const create_acls_response& x);
void encode(writer& w, int16_t version, const delete_acls_response& x);

// The model's filter and binding of the wire's fields. A code the model does not know
// (Kafka's TRANSACTIONAL_ID, DELEGATION_TOKEN and USER resource types, CREATE_TOKENS and
// DESCRIBE_TOKENS, a negative or future code) becomes `unknown`; the caller answers
// INVALID_REQUEST for a filter holding one, or for a binding check_binding refuses.
acl_filter to_filter(const acl_filter_fields& f);
acl_binding to_binding(const acl_binding_fields& f);

// The wire's form of stored bindings: one binding (a DeleteAcls match), and DescribeAcls'
// resources (the bindings grouped by resource type, name and pattern type, the groups and
// their ACLs in first-seen order).
acl_binding_fields to_fields(const acl_binding& b);
std::vector<describe_acls_response::describe_acls_resource>
to_describe_resources(const std::vector<acl_binding>& bindings);

} // namespace cafka::kafka
