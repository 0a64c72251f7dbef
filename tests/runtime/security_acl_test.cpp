// Tests of the ACL model (acl.hpp): Kafka's filter semantics, what check_binding refuses and
// why, and the names kafka-acls prints and accepts.

#include <catch2/catch.hpp>

#include <string>

#include "runtime/security/acl.hpp"

using namespace cafka;

namespace {

acl_binding alice_reads(std::string name, acl_pattern_type pattern = acl_pattern_type::literal) {
  acl_binding b;
  b.resource_type = acl_resource_type::topic;
  b.resource_name = std::move(name);
  b.pattern_type = pattern;
  b.principal = "User:alice";
  b.host = "*";
  b.operation = acl_operation::read;
  b.permission = acl_permission::allow;
  return b;
}

acl_filter named(std::string name, acl_pattern_type pattern) {
  acl_filter f;
  f.resource_name = std::move(name);
  f.pattern_type = pattern;
  return f;
}

} // namespace

TEST_CASE("the default filter matches every binding", "[security][acl]") {
  acl_filter all;
  CHECK(matches(all, alice_reads("orders")));
  CHECK(matches(all, alice_reads("ord", acl_pattern_type::prefixed)));
  auto cluster = alice_reads(std::string{cluster_resource_name});
  cluster.resource_type = acl_resource_type::cluster;
  cluster.operation = acl_operation::cluster_action;
  cluster.permission = acl_permission::deny;
  CHECK(matches(all, cluster));
}

TEST_CASE("a filter's entry fields select exactly, any and null selecting all",
          "[security][acl]") {
  auto b = alice_reads("orders");
  b.host = "10.0.0.1";
  acl_filter f;
  f.resource_type = acl_resource_type::topic;
  CHECK(matches(f, b));
  f.resource_type = acl_resource_type::group;
  CHECK_FALSE(matches(f, b));

  f = {};
  f.principal = "User:alice";
  CHECK(matches(f, b));
  f.principal = "User:*"; // a filter's principal is not a wildcard
  CHECK_FALSE(matches(f, b));

  f = {};
  f.host = "10.0.0.1";
  CHECK(matches(f, b));
  f.host = "*";
  CHECK_FALSE(matches(f, b));

  f = {};
  f.operation = acl_operation::read;
  CHECK(matches(f, b));
  f.operation = acl_operation::all; // ALL selects ALL bindings, not every operation
  CHECK_FALSE(matches(f, b));
  f.operation = acl_operation::describe; // nor does READ's implied DESCRIBE select it
  CHECK_FALSE(matches(f, b));

  f = {};
  f.permission = acl_permission::allow;
  CHECK(matches(f, b));
  f.permission = acl_permission::deny;
  CHECK_FALSE(matches(f, b));
}

TEST_CASE("LITERAL, PREFIXED and ANY filters compare the name exactly", "[security][acl]") {
  auto literal = alice_reads("orders");
  auto prefixed = alice_reads("orders", acl_pattern_type::prefixed);
  auto wildcard = alice_reads("*");

  CHECK(matches(named("orders", acl_pattern_type::literal), literal));
  CHECK_FALSE(matches(named("orders", acl_pattern_type::literal), prefixed));
  CHECK_FALSE(matches(named("orders", acl_pattern_type::literal), wildcard));
  CHECK_FALSE(matches(named("orders-eu", acl_pattern_type::prefixed), prefixed));
  CHECK(matches(named("orders", acl_pattern_type::prefixed), prefixed));
  CHECK(matches(named("orders", acl_pattern_type::any), literal));
  CHECK(matches(named("orders", acl_pattern_type::any), prefixed));
  CHECK_FALSE(matches(named("orders", acl_pattern_type::any), wildcard));
  CHECK_FALSE(matches(named("order", acl_pattern_type::any), prefixed));

  acl_filter any_name;
  any_name.pattern_type = acl_pattern_type::prefixed;
  CHECK(matches(any_name, prefixed));
  CHECK_FALSE(matches(any_name, literal));
}

TEST_CASE("a MATCH filter selects every binding that applies to its resource",
          "[security][acl]") {
  auto match = named("orders-eu", acl_pattern_type::match);
  CHECK(matches(match, alice_reads("orders-eu")));
  CHECK(matches(match, alice_reads("*")));
  CHECK(matches(match, alice_reads("orders", acl_pattern_type::prefixed)));
  CHECK(matches(match, alice_reads("orders-eu", acl_pattern_type::prefixed)));
  CHECK_FALSE(matches(match, alice_reads("orders")));
  CHECK_FALSE(matches(match, alice_reads("orders-eu-1", acl_pattern_type::prefixed)));
  CHECK_FALSE(matches(match, alice_reads("payments", acl_pattern_type::prefixed)));
  SECTION("without a name it selects every pattern") {
    acl_filter f;
    f.pattern_type = acl_pattern_type::match;
    CHECK(matches(f, alice_reads("orders")));
    CHECK(matches(f, alice_reads("ord", acl_pattern_type::prefixed)));
  }
}

TEST_CASE("check_binding accepts stored bindings and says what is wrong with others",
          "[security][acl]") {
  CHECK(check_binding(alice_reads("orders")) == "");
  CHECK(check_binding(alice_reads("ord", acl_pattern_type::prefixed)) == "");
  CHECK(check_binding(alice_reads("*")) == "");
  auto cluster = alice_reads(std::string{cluster_resource_name});
  cluster.resource_type = acl_resource_type::cluster;
  CHECK(check_binding(cluster) == "");

  auto b = alice_reads("orders");
  SECTION("the resource type") {
    for (auto rt : {acl_resource_type::unknown, acl_resource_type::any,
                    static_cast<acl_resource_type>(5)}) {
      b.resource_type = rt;
      CHECK(check_binding(b) == "the resource type must be TOPIC, GROUP or CLUSTER");
    }
  }
  SECTION("the cluster's name and pattern type") {
    cluster.resource_name = "my-cluster";
    CHECK(check_binding(cluster) == "the cluster resource is named 'kafka-cluster'");
    cluster.resource_name = cluster_resource_name;
    cluster.pattern_type = acl_pattern_type::prefixed;
    CHECK(check_binding(cluster) == "the cluster resource takes a LITERAL pattern only");
  }
  SECTION("the pattern type") {
    for (auto pt : {acl_pattern_type::unknown, acl_pattern_type::any, acl_pattern_type::match,
                    static_cast<acl_pattern_type>(9)}) {
      b.pattern_type = pt;
      CHECK(check_binding(b) == "the pattern type must be LITERAL or PREFIXED");
    }
  }
  SECTION("the name") {
    b.resource_name = "";
    CHECK(check_binding(b) == "the resource name is empty");
    b.resource_name = "*";
    b.pattern_type = acl_pattern_type::prefixed;
    CHECK(check_binding(b) == "a PREFIXED pattern cannot be '*' (use LITERAL '*')");
  }
  SECTION("the principal") {
    for (auto p : {"alice", ":alice", "User:", ""}) {
      b.principal = p;
      CHECK(check_binding(b)
            == "the principal '" + std::string{p} + "' is not Type:name (e.g. User:alice)");
    }
    b.principal = "Group:ops:eu"; // only the first colon separates
    CHECK(check_binding(b) == "");
  }
  SECTION("the host") {
    b.host = "";
    CHECK(check_binding(b) == "the host is empty (use '*' for every host)");
  }
  SECTION("the operation") {
    for (auto code : {0, 1, 13, -1, -128}) {
      b.operation = static_cast<acl_operation>(code);
      CHECK(check_binding(b) == "the operation must be a concrete one (ALL, READ, WRITE, ...)");
    }
    b.operation = acl_operation::all;
    CHECK(check_binding(b) == "");
    b.operation = acl_operation::idempotent_write;
    CHECK(check_binding(b) == "");
  }
  SECTION("the permission") {
    for (auto pm : {acl_permission::unknown, acl_permission::any,
                    static_cast<acl_permission>(4)}) {
      b.permission = pm;
      CHECK(check_binding(b) == "the permission must be ALLOW or DENY");
    }
  }
}

TEST_CASE("names print as kafka-acls prints them and parse back", "[security][acl]") {
  CHECK(std::string{to_string(acl_resource_type::topic)} == "TOPIC");
  CHECK(std::string{to_string(acl_pattern_type::prefixed)} == "PREFIXED");
  CHECK(std::string{to_string(acl_operation::describe_configs)} == "DESCRIBE_CONFIGS");
  CHECK(std::string{to_string(acl_operation::delete_)} == "DELETE");
  CHECK(std::string{to_string(acl_permission::deny)} == "DENY");
  CHECK(std::string{to_string(static_cast<acl_operation>(42))} == "UNKNOWN");

  for (int code = 1; code <= 12; ++code) {
    auto op = static_cast<acl_operation>(code);
    CHECK(parse_acl_operation(to_string(op)) == op);
  }
  CHECK(parse_acl_operation("describeconfigs") == acl_operation::describe_configs);
  CHECK(parse_acl_operation("IdempotentWrite") == acl_operation::idempotent_write);
  CHECK(parse_acl_operation("Cluster_Action") == acl_operation::cluster_action);
  CHECK(parse_acl_resource_type("cluster") == acl_resource_type::cluster);
  CHECK(parse_acl_resource_type("Any") == acl_resource_type::any);
  CHECK(parse_acl_pattern_type("match") == acl_pattern_type::match);
  CHECK(parse_acl_permission("allow") == acl_permission::allow);
  SECTION("UNKNOWN and anything else do not parse") {
    CHECK_FALSE(parse_acl_operation("UNKNOWN").has_value());
    CHECK_FALSE(parse_acl_operation("").has_value());
    CHECK_FALSE(parse_acl_operation("READS").has_value());
    CHECK_FALSE(parse_acl_operation("DESCRIBE-CONFIGS").has_value());
    CHECK_FALSE(parse_acl_resource_type("TRANSACTIONAL_ID").has_value());
    CHECK_FALSE(parse_acl_pattern_type("unknown").has_value());
    CHECK_FALSE(parse_acl_permission("denied").has_value());
  }
}

TEST_CASE("describe prints a binding on one line", "[security][acl]") {
  auto b = alice_reads("ord", acl_pattern_type::prefixed);
  b.permission = acl_permission::deny;
  b.host = "10.0.0.1";
  CHECK(describe(b) == "User:alice DENY READ on TOPIC PREFIXED ord from 10.0.0.1");
}
