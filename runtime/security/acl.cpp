#include "runtime/security/acl.hpp"

#include <algorithm>
#include <cctype>

namespace cafka {

namespace {

template <class Enum>
struct named {
  Enum value;
  const char* name;
};

constexpr named<acl_resource_type> resource_types[] = {
  {acl_resource_type::unknown, "UNKNOWN"}, {acl_resource_type::any, "ANY"},
  {acl_resource_type::topic, "TOPIC"},     {acl_resource_type::group, "GROUP"},
  {acl_resource_type::cluster, "CLUSTER"},
};

constexpr named<acl_pattern_type> pattern_types[] = {
  {acl_pattern_type::unknown, "UNKNOWN"}, {acl_pattern_type::any, "ANY"},
  {acl_pattern_type::match, "MATCH"},     {acl_pattern_type::literal, "LITERAL"},
  {acl_pattern_type::prefixed, "PREFIXED"},
};

constexpr named<acl_operation> operations[] = {
  {acl_operation::unknown, "UNKNOWN"},
  {acl_operation::any, "ANY"},
  {acl_operation::all, "ALL"},
  {acl_operation::read, "READ"},
  {acl_operation::write, "WRITE"},
  {acl_operation::create, "CREATE"},
  {acl_operation::delete_, "DELETE"},
  {acl_operation::alter, "ALTER"},
  {acl_operation::describe, "DESCRIBE"},
  {acl_operation::cluster_action, "CLUSTER_ACTION"},
  {acl_operation::describe_configs, "DESCRIBE_CONFIGS"},
  {acl_operation::alter_configs, "ALTER_CONFIGS"},
  {acl_operation::idempotent_write, "IDEMPOTENT_WRITE"},
};

constexpr named<acl_permission> permissions[] = {
  {acl_permission::unknown, "UNKNOWN"},
  {acl_permission::any, "ANY"},
  {acl_permission::deny, "DENY"},
  {acl_permission::allow, "ALLOW"},
};

template <class Enum, size_t N>
const char* name_of(const named<Enum> (&table)[N], Enum x) {
  for (auto& e : table)
    if (e.value == x)
      return e.name;
  return "UNKNOWN";
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::toupper(static_cast<unsigned char>(x))
                     == std::toupper(static_cast<unsigned char>(y));
            });
}

// Accepts Kafka's names and, for operations, kafka-acls' spellings without the underscore
// ("DescribeConfigs", "IdempotentWrite").
template <class Enum, size_t N>
std::optional<Enum> parse_name(const named<Enum> (&table)[N], std::string_view s) {
  for (auto& e : table) {
    if (e.value == Enum::unknown)
      continue;
    if (same_name(s, e.name))
      return e.value;
    std::string bare;
    for (auto c : std::string_view{e.name})
      if (c != '_')
        bare += c;
    if (same_name(s, bare))
      return e.value;
  }
  return std::nullopt;
}

// Whether a filter's name and pattern type select the binding's resource pattern.
bool pattern_matches(const acl_filter& f, const acl_binding& b) {
  if (f.pattern_type == acl_pattern_type::match) {
    if (!f.resource_name)
      return true;
    auto& name = *f.resource_name;
    if (b.pattern_type == acl_pattern_type::literal)
      return b.resource_name == name || b.resource_name == acl_wildcard;
    if (b.pattern_type == acl_pattern_type::prefixed)
      return name.compare(0, b.resource_name.size(), b.resource_name) == 0;
    return false;
  }
  if (f.pattern_type != acl_pattern_type::any && f.pattern_type != b.pattern_type)
    return false;
  return !f.resource_name || *f.resource_name == b.resource_name;
}

} // namespace

bool matches(const acl_filter& f, const acl_binding& b) {
  if (f.resource_type != acl_resource_type::any && f.resource_type != b.resource_type)
    return false;
  if (!pattern_matches(f, b))
    return false;
  if (f.principal && *f.principal != b.principal)
    return false;
  if (f.host && *f.host != b.host)
    return false;
  if (f.operation != acl_operation::any && f.operation != b.operation)
    return false;
  return f.permission == acl_permission::any || f.permission == b.permission;
}

std::string check_binding(const acl_binding& b) {
  switch (b.resource_type) {
    case acl_resource_type::topic:
    case acl_resource_type::group:
      break;
    case acl_resource_type::cluster:
      if (b.resource_name != cluster_resource_name)
        return "the cluster resource is named '" + std::string{cluster_resource_name} + "'";
      if (b.pattern_type != acl_pattern_type::literal)
        return "the cluster resource takes a LITERAL pattern only";
      break;
    default:
      return "the resource type must be TOPIC, GROUP or CLUSTER";
  }
  if (b.pattern_type != acl_pattern_type::literal && b.pattern_type != acl_pattern_type::prefixed)
    return "the pattern type must be LITERAL or PREFIXED";
  if (b.resource_name.empty())
    return "the resource name is empty";
  if (b.pattern_type == acl_pattern_type::prefixed && b.resource_name == acl_wildcard)
    return "a PREFIXED pattern cannot be '*' (use LITERAL '*')";
  auto colon = b.principal.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == b.principal.size())
    return "the principal '" + b.principal + "' is not Type:name (e.g. User:alice)";
  if (b.host.empty())
    return "the host is empty (use '*' for every host)";
  if (b.operation < acl_operation::all || b.operation > acl_operation::idempotent_write)
    return "the operation must be a concrete one (ALL, READ, WRITE, ...)";
  if (b.permission != acl_permission::allow && b.permission != acl_permission::deny)
    return "the permission must be ALLOW or DENY";
  return {};
}

const char* to_string(acl_resource_type x) { return name_of(resource_types, x); }
const char* to_string(acl_pattern_type x) { return name_of(pattern_types, x); }
const char* to_string(acl_operation x) { return name_of(operations, x); }
const char* to_string(acl_permission x) { return name_of(permissions, x); }

std::optional<acl_resource_type> parse_acl_resource_type(std::string_view s) {
  return parse_name(resource_types, s);
}
std::optional<acl_pattern_type> parse_acl_pattern_type(std::string_view s) {
  return parse_name(pattern_types, s);
}
std::optional<acl_operation> parse_acl_operation(std::string_view s) {
  return parse_name(operations, s);
}
std::optional<acl_permission> parse_acl_permission(std::string_view s) {
  return parse_name(permissions, s);
}

std::string describe(const acl_binding& b) {
  return b.principal + " " + to_string(b.permission) + " " + to_string(b.operation) + " on "
         + to_string(b.resource_type) + " " + to_string(b.pattern_type) + " "
         + b.resource_name + " from " + b.host;
}

} // namespace cafka
