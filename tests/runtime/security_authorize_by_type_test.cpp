// authorize_by_resource_type: whether some topic may be written (an idempotent producer id).
#include <catch2/catch.hpp>

#include "runtime/security/authorize_by_type.hpp"

using namespace cafka;

namespace {

acl_binding binding(std::string name, acl_pattern_type pt, acl_permission perm,
                    acl_operation op = acl_operation::write,
                    std::string principal = "User:alice") {
  acl_binding b;
  b.resource_type = acl_resource_type::topic;
  b.resource_name = std::move(name);
  b.pattern_type = pt;
  b.principal = std::move(principal);
  b.operation = op;
  b.permission = perm;
  return b;
}

bool may_write_some(const std::vector<acl_binding>& acls, authorizer_settings cfg = {},
                    std::string principal = "User:alice") {
  return authorize_by_resource_type(acls, cfg, principal, "10.0.0.1", acl_operation::write,
                                    acl_resource_type::topic);
}

constexpr auto lit = acl_pattern_type::literal;
constexpr auto pre = acl_pattern_type::prefixed;
constexpr auto allow = acl_permission::allow;
constexpr auto deny = acl_permission::deny;

} // namespace

TEST_CASE("an ALLOW WRITE or ALL on some topic lets a principal write some topic",
          "[authorizer]") {
  CHECK(may_write_some({binding("orders", lit, allow)}));
  CHECK(may_write_some({binding("logs-", pre, allow)}));
  CHECK(may_write_some({binding("orders", lit, allow, acl_operation::all)}));
  CHECK(may_write_some({binding("orders", lit, allow, acl_operation::write, "User:*")}));
  CHECK_FALSE(may_write_some({binding("orders", lit, allow, acl_operation::read)}));
  CHECK_FALSE(may_write_some({binding("orders", lit, allow, acl_operation::write, "User:bob")}));
  auto other_host = binding("orders", lit, allow);
  other_host.host = "10.0.0.2";
  CHECK_FALSE(may_write_some({other_host}));
}

TEST_CASE("a DENY that covers every allowed pattern takes it away", "[authorizer]") {
  CHECK_FALSE(may_write_some({binding("orders", lit, allow), binding("*", lit, deny)}));
  CHECK_FALSE(may_write_some({binding("orders", lit, allow), binding("orders", lit, deny)}));
  CHECK_FALSE(may_write_some({binding("logs-a", pre, allow), binding("logs-", pre, deny)}));
  CHECK_FALSE(may_write_some({binding("orders", lit, allow), binding("ord", pre, deny)}));
  // A narrower deny leaves the rest of the allowed pattern writable.
  CHECK(may_write_some({binding("logs-", pre, allow), binding("logs-a", pre, deny)}));
  CHECK(may_write_some({binding("*", lit, allow), binding("ord", pre, deny)}));
  CHECK(may_write_some({binding("orders", lit, allow), binding("payments", lit, deny)}));
  // A deny for someone else does not count.
  CHECK(may_write_some({binding("orders", lit, allow),
                        binding("*", lit, deny, acl_operation::write, "User:bob")}));
}

TEST_CASE("super users may, else a topic no binding names decides, as in Kafka's authorizer",
          "[authorizer]") {
  CHECK(may_write_some({}, authorizer_settings{{"User:alice"}, false}));
  CHECK_FALSE(may_write_some({}));
  CHECK(may_write_some({}, authorizer_settings{{}, true}));
  auto group = binding("g", lit, allow, acl_operation::read);
  group.resource_type = acl_resource_type::group;
  CHECK(may_write_some({group}, authorizer_settings{{}, true}));
  // Topics without bindings stay open with allow-everyone-if-no-acl-found...
  CHECK(may_write_some({binding("orders", lit, allow, acl_operation::read)},
                       authorizer_settings{{}, true}));
  // ...unless a wildcard binding applies to them too.
  CHECK_FALSE(may_write_some({binding("*", lit, deny, acl_operation::read, "User:bob")},
                             authorizer_settings{{}, true}));
  CHECK_FALSE(may_write_some({binding("orders", lit, allow, acl_operation::read)}));
}
