// Kafka's ACL model: a binding allows or denies one principal one operation on a resource
// (topic, group or the cluster) named literally or by prefix, from a host; a filter selects
// bindings (DescribeAcls, DeleteAcls, `cafka acls list|remove`). The enum values are Kafka's
// wire codes and cafka's durable ones. Plain values; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>

namespace cafka {

enum class acl_resource_type : int8_t {
  unknown = 0,
  any = 1,  // filters only
  topic = 2,
  group = 3,
  cluster = 4,
};

enum class acl_pattern_type : int8_t {
  unknown = 0,
  any = 1,    // filters only: either pattern type, the name compared exactly
  match = 2,  // filters only: every binding that applies to the named resource
  literal = 3,
  prefixed = 4,
};

enum class acl_operation : int8_t {
  unknown = 0,
  any = 1,  // filters only
  all = 2,
  read = 3,
  write = 4,
  create = 5,
  delete_ = 6,
  alter = 7,
  describe = 8,
  cluster_action = 9,
  describe_configs = 10,
  alter_configs = 11,
  idempotent_write = 12,
};

enum class acl_permission : int8_t {
  unknown = 0,
  any = 1,  // filters only
  deny = 2,
  allow = 3,
};

// The cluster resource's only name, as Kafka names it.
inline constexpr std::string_view cluster_resource_name = "kafka-cluster";
// A literal resource name or a principal that matches every one.
inline constexpr std::string_view acl_wildcard = "*";

struct acl_binding {
  acl_resource_type resource_type = acl_resource_type::topic;
  std::string resource_name;
  acl_pattern_type pattern_type = acl_pattern_type::literal;
  std::string principal;  // "User:alice", or "User:*"
  std::string host = "*";
  acl_operation operation = acl_operation::read;
  acl_permission permission = acl_permission::allow;

  bool operator==(const acl_binding& o) const {
    return resource_type == o.resource_type && resource_name == o.resource_name
           && pattern_type == o.pattern_type && principal == o.principal && host == o.host
           && operation == o.operation && permission == o.permission;
  }
};

// Selects bindings; nullopt strings and `any` values match everything.
struct acl_filter {
  acl_resource_type resource_type = acl_resource_type::any;
  std::optional<std::string> resource_name;
  acl_pattern_type pattern_type = acl_pattern_type::any;
  std::optional<std::string> principal;
  std::optional<std::string> host;
  acl_operation operation = acl_operation::any;
  acl_permission permission = acl_permission::any;
};

// Kafka's filter semantics (AclBindingFilter.matches): `match` selects literal bindings named
// exactly or "*" and prefixed bindings whose prefix starts the filter's name.
bool matches(const acl_filter& f, const acl_binding& b);

// A binding fit to store: a concrete resource type, pattern type, operation and permission;
// a non-empty name ("kafka-cluster" for the cluster), a principal "Type:name" and a host.
// Returns why not, or an empty string.
std::string check_binding(const acl_binding& b);

// Kafka's names, upper case as kafka-acls prints them ("TOPIC", "PREFIXED", "DESCRIBE_CONFIGS",
// "ALLOW"), and back (case-insensitive; nullopt for an unknown name).
const char* to_string(acl_resource_type x);
const char* to_string(acl_pattern_type x);
const char* to_string(acl_operation x);
const char* to_string(acl_permission x);
std::optional<acl_resource_type> parse_acl_resource_type(std::string_view s);
std::optional<acl_pattern_type> parse_acl_pattern_type(std::string_view s);
std::optional<acl_operation> parse_acl_operation(std::string_view s);
std::optional<acl_permission> parse_acl_permission(std::string_view s);

// One line: "User:alice ALLOW READ on TOPIC LITERAL orders from *".
std::string describe(const acl_binding& b);

// CAF inspects the enums as their underlying integers.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, acl_binding& x) {
  return f(x.resource_type, x.resource_name, x.pattern_type, x.principal, x.host, x.operation,
           x.permission);
}

// CAF 0.17 does not inspect std::optional: each optional string goes as a present flag and
// the string.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, acl_filter& x) {
  bool has_name = x.resource_name.has_value();
  bool has_principal = x.principal.has_value();
  bool has_host = x.host.has_value();
  auto name = x.resource_name.value_or(std::string{});
  auto principal = x.principal.value_or(std::string{});
  auto host = x.host.value_or(std::string{});
  auto restore = [&]() -> caf::error {
    auto opt = [](bool has, std::string& s) {
      return has ? std::optional<std::string>{std::move(s)} : std::nullopt;
    };
    x.resource_name = opt(has_name, name);
    x.principal = opt(has_principal, principal);
    x.host = opt(has_host, host);
    return caf::error{};
  };
  return f(x.resource_type, has_name, name, x.pattern_type, has_principal, principal, has_host,
           host, x.operation, x.permission, caf::meta::load_callback(restore));
}

} // namespace cafka
