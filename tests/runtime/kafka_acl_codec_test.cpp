// Tests of the DescribeAcls, CreateAcls and DeleteAcls codecs against the bytes kafka-python
// sends and expects, and of their conversions to the ACL model.
//
// kafka-python bytes: /usr/bin/python3 -c 'from kafka.protocol.admin import *; print(X.encode().hex())'
// with X as given above each hex string (kafka-python 2.0.2; keep the object in a variable
// before calling encode(), its encode() holds only a weak reference). Codes: resource type
// 1 ANY, 2 TOPIC, 3 GROUP, 4 CLUSTER; pattern type 1 ANY, 2 MATCH, 3 LITERAL, 4 PREFIXED;
// operation 1 ANY, 2 ALL, 3 READ, 4 WRITE, 7 ALTER, 8 DESCRIBE; permission 1 ANY, 2 DENY,
// 3 ALLOW.

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/acl_codec.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka;
using namespace cafka::kafka;
using namespace cafka::kafka::test;

namespace {

using opt = std::optional<std::string>;

// CreateAclsRequest_v1(creations=[(2, 'orders', 4, 'User:alice', '*', 3, 3),
//                                 (3, 'g1', 3, 'User:*', '*', 2, 3)])
constexpr const char* create_acls_v1 =
  "000000020200066f726465727304000a557365723a616c69636500012a03030300026731030006557365723a"
  "2a00012a0203";

acl_binding make_binding(acl_resource_type rt, std::string name, acl_pattern_type pt,
                         std::string principal, std::string host, acl_operation op,
                         acl_permission pm) {
  return {rt, std::move(name), pt, std::move(principal), std::move(host), op, pm};
}

} // namespace

TEST_CASE("DescribeAcls v0 and v1 requests decode, v0 as LITERAL", "[kafka][acl]") {
  // DescribeAclsRequest_v0(resource_type=2, resource_name='orders', principal='User:alice',
  //                        host=None, operation=3, permission_type=3)
  auto v0 = decoded<describe_acls_request>(
    0, "0200066f7264657273000a557365723a616c696365ffff0303");
  CHECK(v0.filter.resource_type_filter == 2);
  CHECK(v0.filter.resource_name_filter == opt{"orders"});
  CHECK(v0.filter.pattern_type_filter == 3);
  CHECK(v0.filter.principal_filter == opt{"User:alice"});
  CHECK_FALSE(v0.filter.host_filter.has_value());
  CHECK(v0.filter.operation == 3);
  CHECK(v0.filter.permission_type == 3);

  // DescribeAclsRequest_v1(resource_type=1, resource_name=None,
  //   resource_pattern_type_filter=2, principal=None, host='h1', operation=1,
  //   permission_type=1)
  auto v1 = decoded<describe_acls_request>(1, "01ffff02ffff000268310101");
  CHECK(v1.filter.resource_type_filter == 1);
  CHECK_FALSE(v1.filter.resource_name_filter.has_value());
  CHECK(v1.filter.pattern_type_filter == 2);
  CHECK_FALSE(v1.filter.principal_filter.has_value());
  CHECK(v1.filter.host_filter == opt{"h1"});
  CHECK(v1.filter.operation == 1);
  CHECK(v1.filter.permission_type == 1);
}

TEST_CASE("DescribeAcls filters convert to the model's", "[kafka][acl]") {
  // DescribeAclsRequest_v1(resource_type=2, resource_name='ord',
  //   resource_pattern_type_filter=4, principal='User:*', host='*', operation=8,
  //   permission_type=2)
  auto req = decoded<describe_acls_request>(1, "0200036f7264040006557365723a2a00012a0802");
  auto f = to_filter(req.filter);
  CHECK(f.resource_type == acl_resource_type::topic);
  CHECK(f.resource_name == opt{"ord"});
  CHECK(f.pattern_type == acl_pattern_type::prefixed);
  CHECK(f.principal == opt{"User:*"});
  CHECK(f.host == opt{"*"});
  CHECK(f.operation == acl_operation::describe);
  CHECK(f.permission == acl_permission::deny);

  auto any = to_filter(decoded<describe_acls_request>(1, "01ffff02ffff000268310101").filter);
  CHECK(any.resource_type == acl_resource_type::any);
  CHECK_FALSE(any.resource_name.has_value());
  CHECK(any.pattern_type == acl_pattern_type::match);
  CHECK(any.operation == acl_operation::any);
  CHECK(any.permission == acl_permission::any);
}

TEST_CASE("codes the model lacks convert to unknown", "[kafka][acl]") {
  acl_filter_fields f;
  f.resource_type_filter = 5; // TRANSACTIONAL_ID
  f.pattern_type_filter = 5;
  f.operation = 13;           // CREATE_TOKENS
  f.permission_type = 4;
  auto out = to_filter(f);
  CHECK(out.resource_type == acl_resource_type::unknown);
  CHECK(out.pattern_type == acl_pattern_type::unknown);
  CHECK(out.operation == acl_operation::unknown);
  CHECK(out.permission == acl_permission::unknown);

  acl_binding_fields c{-1, "orders", -3, "User:alice", "*", -128, 127};
  auto b = to_binding(c);
  CHECK(b.resource_type == acl_resource_type::unknown);
  CHECK(b.pattern_type == acl_pattern_type::unknown);
  CHECK(b.operation == acl_operation::unknown);
  CHECK(b.permission == acl_permission::unknown);
  CHECK(check_binding(b) == "the resource type must be TOPIC, GROUP or CLUSTER");

  // The last code of each enum is still known.
  acl_binding_fields last{4, "kafka-cluster", 3, "User:a", "*", 12, 3};
  auto known = to_binding(last);
  CHECK(known.resource_type == acl_resource_type::cluster);
  CHECK(known.operation == acl_operation::idempotent_write);
  CHECK(check_binding(known) == "");
}

TEST_CASE("DescribeAcls responses match kafka-python byte for byte", "[kafka][acl]") {
  std::vector<acl_binding> bindings{
    make_binding(acl_resource_type::topic, "orders", acl_pattern_type::literal, "User:alice",
                 "*", acl_operation::read, acl_permission::allow),
    make_binding(acl_resource_type::group, "g1", acl_pattern_type::literal, "User:*", "*",
                 acl_operation::all, acl_permission::allow),
    make_binding(acl_resource_type::topic, "orders", acl_pattern_type::literal, "User:bob",
                 "10.0.0.1", acl_operation::write, acl_permission::deny),
  };
  describe_acls_response resp;
  resp.resources = to_describe_resources(bindings);
  REQUIRE(resp.resources.size() == 2);
  CHECK(resp.resources[0].acls.size() == 2);
  // DescribeAclsResponse_v0(throttle_time_ms=0, error_code=0, error_message=None, resources=[
  //   (2, 'orders', [('User:alice', '*', 3, 3), ('User:bob', '10.0.0.1', 4, 2)]),
  //   (3, 'g1', [('User:*', '*', 2, 3)])])
  CHECK(encoded(0, resp)
        == "000000000000ffff000000020200066f726465727300000002000a557365723a616c69636500012a"
           "03030008557365723a626f62000831302e302e302e3104020300026731000000010006557365723a"
           "2a00012a0203");

  // A prefixed binding with the literal one's name is another resource.
  bindings.insert(bindings.begin() + 1,
                  make_binding(acl_resource_type::topic, "ord", acl_pattern_type::prefixed,
                               "User:carol", "*", acl_operation::describe,
                               acl_permission::allow));
  resp.throttle_time_ms = 5;
  resp.resources = to_describe_resources(bindings);
  REQUIRE(resp.resources.size() == 3);
  // DescribeAclsResponse_v1(throttle_time_ms=5, error_code=0, error_message=None, resources=[
  //   (2, 'orders', 3, [('User:alice', '*', 3, 3), ('User:bob', '10.0.0.1', 4, 2)]),
  //   (2, 'ord', 4, [('User:carol', '*', 8, 3)]), (3, 'g1', 3, [('User:*', '*', 2, 3)])])
  CHECK(encoded(1, resp)
        == "000000050000ffff000000030200066f72646572730300000002000a557365723a616c6963650001"
           "2a03030008557365723a626f62000831302e302e302e3104020200036f72640400000001000a5573"
           "65723a6361726f6c00012a0803030002673103000000010006557365723a2a00012a0203");

  describe_acls_response error;
  error.error_code = code(error_code::invalid_request);
  error.error_message = "bad filter";
  // DescribeAclsResponse_v1(throttle_time_ms=0, error_code=42, error_message='bad filter',
  //                         resources=[])
  CHECK(encoded(1, error) == "00000000002a000a6261642066696c74657200000000");
}

TEST_CASE("the same resource with another type or pattern groups apart", "[kafka][acl]") {
  auto b = make_binding(acl_resource_type::topic, "x", acl_pattern_type::literal, "User:a",
                        "*", acl_operation::read, acl_permission::allow);
  auto group = b;
  group.resource_type = acl_resource_type::group;
  auto prefixed = b;
  prefixed.pattern_type = acl_pattern_type::prefixed;
  auto res = to_describe_resources({b, group, prefixed, b});
  REQUIRE(res.size() == 3);
  CHECK(res[0].resource_type == 2);
  CHECK(res[0].pattern_type == 3);
  CHECK(res[0].acls.size() == 2);
  CHECK(res[1].resource_type == 3);
  CHECK(res[2].pattern_type == 4);
  CHECK(to_describe_resources({}).empty());
}

TEST_CASE("CreateAcls requests decode per version and convert to bindings", "[kafka][acl]") {
  // CreateAclsRequest_v0(creations=[(2, 'orders', 'User:alice', '*', 3, 3),
  //                                 (4, 'kafka-cluster', 'User:bob', '10.0.0.1', 7, 2)])
  auto v0 = decoded<create_acls_request>(
    0, "000000020200066f7264657273000a557365723a616c69636500012a030304000d6b61666b612d636c"
       "75737465720008557365723a626f62000831302e302e302e310702");
  REQUIRE(v0.creations.size() == 2);
  CHECK(to_binding(v0.creations[0])
        == make_binding(acl_resource_type::topic, "orders", acl_pattern_type::literal,
                        "User:alice", "*", acl_operation::read, acl_permission::allow));
  CHECK(to_binding(v0.creations[1])
        == make_binding(acl_resource_type::cluster, "kafka-cluster", acl_pattern_type::literal,
                        "User:bob", "10.0.0.1", acl_operation::alter, acl_permission::deny));

  auto v1 = decoded<create_acls_request>(1, create_acls_v1);
  REQUIRE(v1.creations.size() == 2);
  CHECK(to_binding(v1.creations[0])
        == make_binding(acl_resource_type::topic, "orders", acl_pattern_type::prefixed,
                        "User:alice", "*", acl_operation::read, acl_permission::allow));
  CHECK(to_binding(v1.creations[1])
        == make_binding(acl_resource_type::group, "g1", acl_pattern_type::literal, "User:*",
                        "*", acl_operation::all, acl_permission::allow));
}

TEST_CASE("CreateAcls responses match kafka-python byte for byte", "[kafka][acl]") {
  create_acls_response resp;
  resp.results = {{0, std::nullopt}, {code(error_code::invalid_request), "bad principal"}};
  // CreateAclsResponse_v0(throttle_time_ms=0,
  //                       creation_responses=[(0, None), (42, 'bad principal')])
  CHECK(encoded(0, resp) == "00000000000000020000ffff002a000d626164207072696e636970616c");
  resp.throttle_time_ms = 9;
  // CreateAclsResponse_v1(throttle_time_ms=9, creation_responses=<as v0>)
  CHECK(encoded(1, resp) == "00000009000000020000ffff002a000d626164207072696e636970616c");
}

TEST_CASE("DeleteAcls requests decode per version", "[kafka][acl]") {
  // DeleteAclsRequest_v0(filters=[(2, 'orders', 'User:alice', None, 3, 3),
  //                               (1, None, None, None, 1, 1)])
  auto v0 = decoded<delete_acls_request>(
    0, "000000020200066f7264657273000a557365723a616c696365ffff030301ffffffffffff0101");
  REQUIRE(v0.filters.size() == 2);
  auto f0 = to_filter(v0.filters[0]);
  CHECK(f0.resource_type == acl_resource_type::topic);
  CHECK(f0.resource_name == opt{"orders"});
  CHECK(f0.pattern_type == acl_pattern_type::literal);
  CHECK(f0.principal == opt{"User:alice"});
  CHECK_FALSE(f0.host.has_value());
  auto f1 = to_filter(v0.filters[1]);
  CHECK(f1.resource_type == acl_resource_type::any);
  CHECK(f1.pattern_type == acl_pattern_type::literal); // v0 selects LITERAL bindings only
  CHECK_FALSE(f1.resource_name.has_value());
  CHECK_FALSE(f1.principal.has_value());

  // DeleteAclsRequest_v1(filters=[(2, 'ord', 4, 'User:carol', '*', 8, 3),
  //                               (1, None, 1, None, None, 1, 1)])
  auto v1 = decoded<delete_acls_request>(
    1, "000000020200036f726404000a557365723a6361726f6c00012a080301ffff01ffffffff0101");
  REQUIRE(v1.filters.size() == 2);
  CHECK(to_filter(v1.filters[0]).pattern_type == acl_pattern_type::prefixed);
  CHECK(to_filter(v1.filters[0]).operation == acl_operation::describe);
  CHECK(to_filter(v1.filters[1]).pattern_type == acl_pattern_type::any);
}

TEST_CASE("DeleteAcls responses match kafka-python byte for byte", "[kafka][acl]") {
  auto orders = make_binding(acl_resource_type::topic, "orders", acl_pattern_type::literal,
                             "User:alice", "*", acl_operation::read, acl_permission::allow);
  delete_acls_response resp;
  resp.filter_results = {{0, std::nullopt, {{0, std::nullopt, to_fields(orders)}}},
                         {0, std::nullopt, {}}};
  // DeleteAclsResponse_v0(throttle_time_ms=0, filter_responses=[
  //   (0, None, [(0, None, 2, 'orders', 'User:alice', '*', 3, 3)]), (0, None, [])])
  CHECK(encoded(0, resp)
        == "00000000000000020000ffff000000010000ffff0200066f7264657273000a557365723a616c6963"
           "6500012a03030000ffff00000000");

  auto carol = make_binding(acl_resource_type::topic, "ord", acl_pattern_type::prefixed,
                            "User:carol", "*", acl_operation::describe, acl_permission::allow);
  resp.throttle_time_ms = 2;
  delete_acls_response::filter_result found;
  found.matching_acls = {{0, std::nullopt, to_fields(carol)}, {0, std::nullopt, to_fields(orders)}};
  resp.filter_results = {found, {code(error_code::invalid_request), "bad filter", {}}};
  // DeleteAclsResponse_v1(throttle_time_ms=2, filter_responses=[
  //   (0, None, [(0, None, 2, 'ord', 4, 'User:carol', '*', 8, 3),
  //              (0, None, 2, 'orders', 3, 'User:alice', '*', 3, 3)]),
  //   (42, 'bad filter', [])])
  CHECK(encoded(1, resp)
        == "00000002000000020000ffff000000020000ffff0200036f726404000a557365723a6361726f6c0001"
           "2a08030000ffff0200066f726465727303000a557365723a616c69636500012a0303002a000a6261"
           "642066696c74657200000000");
}

TEST_CASE("bindings survive the trip through each API's wire form", "[kafka][acl]") {
  auto b = make_binding(acl_resource_type::group, "g-", acl_pattern_type::prefixed,
                        "User:dave", "192.168.1.7", acl_operation::delete_,
                        acl_permission::deny);
  auto fields = to_fields(b);
  CHECK(to_binding(fields) == b);
  auto res = to_describe_resources({b});
  REQUIRE(res.size() == 1);
  REQUIRE(res[0].acls.size() == 1);
  const auto& a = res[0].acls[0];
  acl_binding_fields described{res[0].resource_type, res[0].resource_name,
                               res[0].pattern_type,  a.principal,
                               a.host,               a.operation,
                               a.permission_type};
  CHECK(to_binding(described) == b);
  SECTION("a filter of every field of a binding matches it alone") {
    acl_filter_fields f{fields.resource_type, fields.resource_name, fields.pattern_type,
                        fields.principal,     fields.host,          fields.operation,
                        fields.permission_type};
    auto filter = to_filter(f);
    CHECK(matches(filter, b));
    auto other = b;
    other.host = "192.168.1.8";
    CHECK_FALSE(matches(filter, other));
  }
  SECTION("a DeleteAcls match's bytes decode as the CreateAcls binding") {
    auto literal = b;
    literal.pattern_type = acl_pattern_type::literal; // what v0 carries
    for (auto [v, x] : {std::pair{int16_t{0}, literal}, std::pair{int16_t{1}, b}}) {
      delete_acls_response resp{0, {{0, std::nullopt, {{0, std::nullopt, to_fields(x)}}}}};
      // After the framing (throttle 4, count 4, error 2 + 2, count 4, the match's error
      // 2 + 2 bytes) comes the binding as CreateAcls carries it.
      auto hex = encoded(v, resp).substr(2 * 20);
      auto back = decoded<create_acls_request>(v, "00000001" + hex);
      REQUIRE(back.creations.size() == 1);
      CHECK(to_binding(back.creations[0]) == x);
    }
  }
}

TEST_CASE("ACL decoders refuse malformed bodies", "[kafka][acl]") {
  SECTION("a truncated CreateAcls") {
    std::string hex = create_acls_v1;
    hex.resize(hex.size() - 2); // without the last permission byte
    CHECK(decode_error<create_acls_request>(1, hex) == "truncated");
  }
  SECTION("v1 bytes read as v0 fail") {
    // The pattern byte 04 read as the principal's length's high byte: length 0x0400.
    CHECK(decode_error<create_acls_request>(0, create_acls_v1) == "truncated");
  }
  SECTION("counts beyond the bytes and null arrays") {
    CHECK(decode_error<create_acls_request>(1, "7fffffff") == "array length beyond the message");
    CHECK(decode_error<delete_acls_request>(1, "00010000") == "array length beyond the message");
    CHECK(decode_error<create_acls_request>(1, "ffffffff") == "null array");
    CHECK(decode_error<delete_acls_request>(0, "ffffffff") == "null array");
  }
  SECTION("a null name or principal where the schema has a STRING") {
    // CreateAcls v0: one creation, type 2, name null (then principal "", host "", 3, 3)
    CHECK(decode_error<create_acls_request>(0, "00000001" "02" "ffff" "0000" "0000" "0303")
          == "negative length");
    // type 2, name "t", principal null
    CHECK(decode_error<create_acls_request>(0, "00000001020001" "74" "ffff00012a0303")
          == "negative length");
  }
  SECTION("a DescribeAcls v0 body read as v1 fails") {
    // v1 takes the principal's null for the pattern byte and its host length is 0xff01.
    CHECK(decode_error<describe_acls_request>(1, "01ffffffffffff0101") == "negative length");
    CHECK(decode_error<describe_acls_request>(0, "01ffffffffffff0101") == "");
  }
}
