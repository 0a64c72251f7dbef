// Tests of the ACL authorizer, one rule of authorizer.hpp at a time, each with the binding
// that decides and a near miss that must not.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/security/authorizer.hpp"

using namespace cafka;

namespace {

using op = acl_operation;
using rt = acl_resource_type;

acl_binding binding(rt type, std::string name, acl_pattern_type pattern, std::string principal,
                    op operation, acl_permission permission, std::string host = "*") {
  return {type,      std::move(name), pattern,   std::move(principal), std::move(host),
          operation, permission};
}

acl_binding allow_topic(std::string name, std::string principal, op operation) {
  return binding(rt::topic, std::move(name), acl_pattern_type::literal, std::move(principal),
                 operation, acl_permission::allow);
}

acl_binding deny_topic(std::string name, std::string principal, op operation) {
  return binding(rt::topic, std::move(name), acl_pattern_type::literal, std::move(principal),
                 operation, acl_permission::deny);
}

// Whether alice, connected from 10.0.0.1, may perform `o` on the topic `name`.
bool alice_may(const std::vector<acl_binding>& acls, op o, std::string_view name = "orders",
               const authorizer_settings& cfg = {}) {
  return authorize(acls, cfg, "User:alice", "10.0.0.1", o, rt::topic, name);
}

} // namespace

TEST_CASE("an ALLOW binding for the operation allows it and nothing else",
          "[security][authorizer]") {
  std::vector<acl_binding> acls{allow_topic("orders", "User:alice", op::write)};
  CHECK(alice_may(acls, op::write));
  CHECK_FALSE(alice_may(acls, op::read));
  CHECK_FALSE(alice_may(acls, op::create));
  CHECK_FALSE(alice_may(acls, op::all));
  CHECK_FALSE(authorize(acls, {}, "User:bob", "10.0.0.1", op::write, rt::topic, "orders"));
}

TEST_CASE("a DENY beats an ALLOW whatever their order", "[security][authorizer]") {
  auto allow = allow_topic("orders", "User:alice", op::read);
  auto deny = deny_topic("orders", "User:alice", op::read);
  CHECK_FALSE(alice_may({allow, deny}, op::read));
  CHECK_FALSE(alice_may({deny, allow}, op::read));
  SECTION("a DENY for ALL denies every operation, even with an ALLOW for ALL") {
    std::vector<acl_binding> acls{allow_topic("orders", "User:alice", op::all),
                                  deny_topic("orders", "User:alice", op::all)};
    CHECK_FALSE(alice_may(acls, op::read));
    CHECK_FALSE(alice_may(acls, op::describe));
    CHECK_FALSE(alice_may(acls, op::alter_configs));
  }
  SECTION("a DENY for another operation leaves the ALLOW standing") {
    CHECK(alice_may({allow, deny_topic("orders", "User:alice", op::write)}, op::read));
  }
  SECTION("a DENY implies nothing: DENY READ does not deny an ALLOWed DESCRIBE") {
    std::vector<acl_binding> acls{allow_topic("orders", "User:alice", op::describe), deny};
    CHECK(alice_may(acls, op::describe));
    CHECK_FALSE(alice_may(acls, op::read));
  }
}

TEST_CASE("an ALLOW for ALL allows every operation", "[security][authorizer]") {
  std::vector<acl_binding> acls{allow_topic("orders", "User:alice", op::all)};
  for (auto o : {op::read, op::write, op::create, op::delete_, op::alter, op::describe,
                 op::describe_configs, op::alter_configs, op::all})
    CHECK(alice_may(acls, o));
}

TEST_CASE("READ, WRITE, DELETE and ALTER imply DESCRIBE, ALTER_CONFIGS DESCRIBE_CONFIGS",
          "[security][authorizer]") {
  for (auto granted : {op::read, op::write, op::delete_, op::alter}) {
    std::vector<acl_binding> acls{allow_topic("orders", "User:alice", granted)};
    CHECK(alice_may(acls, op::describe));
    CHECK_FALSE(alice_may(acls, op::describe_configs));
  }
  std::vector<acl_binding> alter_configs{allow_topic("orders", "User:alice", op::alter_configs)};
  CHECK(alice_may(alter_configs, op::describe_configs));
  CHECK_FALSE(alice_may(alter_configs, op::describe));
  SECTION("nothing else implies them, and the implication does not run backwards") {
    for (auto granted : {op::create, op::cluster_action, op::idempotent_write,
                         op::describe_configs})
      CHECK_FALSE(alice_may({allow_topic("orders", "User:alice", granted)}, op::describe));
    std::vector<acl_binding> describe{allow_topic("orders", "User:alice", op::describe)};
    CHECK_FALSE(alice_may(describe, op::read));
    CHECK_FALSE(alice_may(describe, op::describe_configs));
  }
}

TEST_CASE("the principal User:* matches every principal", "[security][authorizer]") {
  std::vector<acl_binding> acls{allow_topic("orders", "User:*", op::read)};
  CHECK(alice_may(acls, op::read));
  CHECK(authorize(acls, {}, "User:bob", "10.0.0.1", op::read, rt::topic, "orders"));
  SECTION("and its DENY denies everyone") {
    acls.push_back(allow_topic("orders", "User:alice", op::write));
    acls.push_back(deny_topic("orders", "User:*", op::write));
    CHECK_FALSE(alice_may(acls, op::write));
  }
  SECTION("a principal is compared exactly") {
    std::vector<acl_binding> other{allow_topic("orders", "User:Alice", op::read),
                                   allow_topic("orders", "User:alic", op::read),
                                   allow_topic("orders", "Group:*", op::read)};
    CHECK_FALSE(alice_may(other, op::read));
  }
}

TEST_CASE("the literal resource * matches every name of its type", "[security][authorizer]") {
  std::vector<acl_binding> acls{allow_topic("*", "User:alice", op::read)};
  CHECK(alice_may(acls, op::read, "orders"));
  CHECK(alice_may(acls, op::read, "anything"));
  CHECK_FALSE(authorize(acls, {}, "User:alice", "10.0.0.1", op::read, rt::group, "orders"));
  SECTION("and its DENY overrides an ALLOW on the name") {
    acls = {allow_topic("orders", "User:alice", op::read), deny_topic("*", "User:alice", op::read)};
    CHECK_FALSE(alice_may(acls, op::read));
  }
  SECTION("a PREFIXED * is a prefix like any other") {
    auto star = binding(rt::topic, "*", acl_pattern_type::prefixed, "User:alice", op::read,
                        acl_permission::allow);
    CHECK_FALSE(alice_may({star}, op::read, "orders"));
    CHECK(alice_may({star}, op::read, "*orders"));
  }
}

TEST_CASE("a PREFIXED binding applies to the names it starts", "[security][authorizer]") {
  auto prefix = binding(rt::topic, "ord", acl_pattern_type::prefixed, "User:alice", op::read,
                        acl_permission::allow);
  CHECK(alice_may({prefix}, op::read, "orders"));
  CHECK(alice_may({prefix}, op::read, "ord"));
  CHECK_FALSE(alice_may({prefix}, op::read, "or"));
  CHECK_FALSE(alice_may({prefix}, op::read, "xorders"));
  SECTION("a LITERAL binding does not act as a prefix") {
    CHECK_FALSE(alice_may({allow_topic("ord", "User:alice", op::read)}, op::read, "orders"));
  }
  SECTION("a PREFIXED DENY beats a LITERAL ALLOW") {
    auto deny = binding(rt::topic, "or", acl_pattern_type::prefixed, "User:alice", op::read,
                        acl_permission::deny);
    CHECK_FALSE(alice_may({allow_topic("orders", "User:alice", op::read), deny}, op::read));
  }
  SECTION("a binding of a filter's pattern type is on no resource") {
    for (auto pt : {acl_pattern_type::any, acl_pattern_type::match, acl_pattern_type::unknown}) {
      auto odd = binding(rt::topic, "orders", pt, "User:alice", op::read, acl_permission::allow);
      CHECK_FALSE(alice_may({odd}, op::read));
      authorizer_settings open;
      open.allow_everyone_if_no_acl_found = true;
      CHECK(alice_may({odd}, op::read, "orders", open));
    }
  }
}

TEST_CASE("a binding applies only from its host, or from every host for *",
          "[security][authorizer]") {
  auto from = [](std::string host) {
    return binding(rt::topic, "orders", acl_pattern_type::literal, "User:alice", op::read,
                   acl_permission::allow, std::move(host));
  };
  CHECK(alice_may({from("10.0.0.1")}, op::read));
  CHECK_FALSE(alice_may({from("10.0.0.2")}, op::read));
  CHECK_FALSE(alice_may({from("10.0.0.1 ")}, op::read));
  CHECK(alice_may({from("*")}, op::read));
  SECTION("a DENY from another host does not deny") {
    auto deny = binding(rt::topic, "orders", acl_pattern_type::literal, "User:alice", op::read,
                        acl_permission::deny, "10.0.0.2");
    CHECK(alice_may({from("*"), deny}, op::read));
  }
}

TEST_CASE("a super user is allowed whatever the bindings", "[security][authorizer]") {
  authorizer_settings cfg;
  cfg.super_users = {"User:admin", "User:alice"};
  std::vector<acl_binding> acls{deny_topic("orders", "User:alice", op::all)};
  CHECK(alice_may(acls, op::read, "orders", cfg));
  CHECK(alice_may(acls, op::alter_configs, "orders", cfg));
  CHECK(authorize({}, cfg, "User:admin", "h", op::cluster_action, rt::cluster,
                  cluster_resource_name));
  CHECK_FALSE(authorize(acls, cfg, "User:bob", "10.0.0.1", op::read, rt::topic, "orders"));
  SECTION("the name is compared exactly, type included") {
    cfg.super_users = {"admin", "User:ALICE", "Group:alice"};
    CHECK_FALSE(alice_may({}, op::read, "orders", cfg));
  }
}

TEST_CASE("no binding on the resource leaves allow_everyone_if_no_acl_found to decide",
          "[security][authorizer]") {
  authorizer_settings open;
  open.allow_everyone_if_no_acl_found = true;
  CHECK_FALSE(alice_may({}, op::read));
  CHECK(alice_may({}, op::read, "orders", open));
  SECTION("bindings on other resources do not count") {
    std::vector<acl_binding> acls{allow_topic("payments", "User:alice", op::read),
                                  binding(rt::group, "orders", acl_pattern_type::literal,
                                          "User:bob", op::read, acl_permission::allow)};
    CHECK_FALSE(alice_may(acls, op::read));
    CHECK(alice_may(acls, op::read, "orders", open));
  }
  SECTION("a binding on the resource for someone else does count") {
    std::vector<acl_binding> acls{allow_topic("orders", "User:bob", op::read)};
    CHECK_FALSE(alice_may(acls, op::read, "orders", open));
  }
  SECTION("as do a binding from another host and one for another operation") {
    auto elsewhere = binding(rt::topic, "orders", acl_pattern_type::literal, "User:alice",
                             op::read, acl_permission::allow, "10.9.9.9");
    CHECK_FALSE(alice_may({elsewhere}, op::read, "orders", open));
    CHECK_FALSE(alice_may({allow_topic("orders", "User:alice", op::write)}, op::read, "orders",
                          open));
  }
  SECTION("a wildcard or prefixed binding counts for the names it covers") {
    auto prefix = binding(rt::topic, "ord", acl_pattern_type::prefixed, "User:bob", op::read,
                          acl_permission::allow);
    CHECK_FALSE(alice_may({prefix}, op::read, "orders", open));
    CHECK(alice_may({prefix}, op::read, "payments", open));
    CHECK_FALSE(alice_may({allow_topic("*", "User:bob", op::read)}, op::read, "orders", open));
  }
}

TEST_CASE("bindings do not leak between resource types", "[security][authorizer]") {
  std::vector<acl_binding> acls{
    allow_topic("*", "User:alice", op::all),
    binding(rt::group, "g1", acl_pattern_type::literal, "User:alice", op::read,
            acl_permission::allow)};
  auto on = [&](rt type, std::string_view name, op o) {
    return authorize(acls, {}, "User:alice", "10.0.0.1", o, type, name);
  };
  CHECK(on(rt::topic, "g1", op::read));
  CHECK(on(rt::group, "g1", op::read));
  CHECK_FALSE(on(rt::group, "g2", op::read));
  CHECK_FALSE(on(rt::cluster, cluster_resource_name, op::read));
  CHECK_FALSE(on(rt::cluster, cluster_resource_name, op::cluster_action));
  acls.push_back(binding(rt::cluster, std::string{cluster_resource_name},
                         acl_pattern_type::literal, "User:alice", op::idempotent_write,
                         acl_permission::allow));
  CHECK(on(rt::cluster, cluster_resource_name, op::idempotent_write));
  CHECK_FALSE(on(rt::group, cluster_resource_name, op::idempotent_write));
}

TEST_CASE("a question with a filter's operation or resource type is denied",
          "[security][authorizer]") {
  authorizer_settings cfg;
  cfg.super_users = {"User:alice"};
  cfg.allow_everyone_if_no_acl_found = true;
  std::vector<acl_binding> acls{allow_topic("orders", "User:alice", op::all)};
  CHECK(alice_may(acls, op::read, "orders", cfg));
  CHECK_FALSE(alice_may(acls, op::any, "orders", cfg));
  CHECK_FALSE(alice_may(acls, op::unknown, "orders", cfg));
  CHECK_FALSE(alice_may(acls, static_cast<op>(13), "orders", cfg));
  CHECK_FALSE(alice_may(acls, static_cast<op>(-1), "orders", cfg));
  CHECK_FALSE(authorize(acls, cfg, "User:alice", "h", op::read, rt::any, "orders"));
  CHECK_FALSE(authorize(acls, cfg, "User:alice", "h", op::read, rt::unknown, "orders"));
}
