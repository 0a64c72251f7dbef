// Tests of the consumer-group API codecs (FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup, ListGroups, DescribeGroups) against the bytes real clients send and expect.
//
// kafka-python bytes: /usr/bin/python3 -c 'from kafka.protocol.group import *;
//   from kafka.protocol.commit import *; from kafka.protocol.admin import *; x = X;
//   print(x.encode().hex())' with X as given above each hex string (kafka-python 2.0.2).
// librdkafka bytes: /usr/bin/python3 tests/tools/kafka_capture/capture_librdkafka.py S with
// S = range | cooperative-sticky | static | admin (confluent-kafka 1.7.0, librdkafka 2.0.2).
// "By schema" bytes were written field by field from Kafka's message JSON (kafka-python
// lacks the version); those marked "accepted by librdkafka" are what fake_broker.py answered,
// after which librdkafka went on with the next request.

#include <catch2/catch.hpp>

#include "runtime/kafka/group_codec.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

namespace {

// librdkafka's range subscription: version 1, topics t1 t2, empty user data, none owned.
constexpr const char* rdkafka_range_metadata = "00010000000200027431000274320000000000000000";

// librdkafka's SyncGroup v3 assignment as leader: t1 [0 1], t2 [0 1], empty user data.
constexpr const char* rdkafka_assignment =
  "000000000002000274310000000200000000000000010002743200000002000000000000000100000000";

} // namespace

TEST_CASE("FindCoordinator requests decode in every version", "[kafka][group]") {
  // GroupCoordinatorRequest_v0(consumer_group='g1')
  auto v0 = decoded<find_coordinator_request>(0, "00026731");
  CHECK(v0.key == "g1");
  CHECK(v0.key_type == coordinator_key_group);
  auto v2 = decoded<find_coordinator_request>(2, "0002673100"); // librdkafka (range)
  CHECK(v2.key == "g1");
  auto txn = decoded<find_coordinator_request>(1, "0002673101"); // a transactional id
  CHECK(txn.key_type == coordinator_key_transaction);
}

TEST_CASE("FindCoordinator responses match kafka-python and the schema", "[kafka][group]") {
  find_coordinator_response ok;
  ok.node_id = 3;
  ok.host = "localhost";
  ok.port = 9092;
  // GroupCoordinatorResponse_v0(error_code=0, coordinator_id=3, host='localhost', port=9092)
  CHECK(encoded(0, ok) == "00000000000300096c6f63616c686f737400002384");
  // By schema (kafka-python's v1 lacks throttle_time_ms); v2 is v1's layout.
  CHECK(encoded(1, ok) == "000000000000ffff0000000300096c6f63616c686f737400002384");
  find_coordinator_response loading;
  loading.throttle_time_ms = 5;
  loading.error_code = code(error_code::coordinator_load_in_progress);
  loading.error_message = "loading";
  loading.host = "";
  CHECK(encoded(2, loading) == "00000005000e00076c6f6164696e67ffffffff0000ffffffff");
}

TEST_CASE("JoinGroup requests from kafka-python decode", "[kafka][group]") {
  // JoinGroupRequest_v0(group='g1', session_timeout=10000, member_id='',
  //   protocol_type='consumer', group_protocols=[('range', b'\0\1'), ('roundrobin', b'')])
  auto v0 = decoded<join_group_request>(
    0, "000267310000271000000008636f6e73756d657200000002000572616e67650000000200"
       "01000a726f756e64726f62696e00000000");
  CHECK(v0.group_id == "g1");
  CHECK(v0.session_timeout_ms == 10000);
  CHECK(v0.rebalance_timeout_ms == -1);
  CHECK(v0.member_id.empty());
  CHECK(v0.protocol_type == "consumer");
  REQUIRE(v0.protocols.size() == 2);
  CHECK(v0.protocols[0].name == "range");
  CHECK(v0.protocols[0].metadata == std::string{"\x00\x01", 2});
  CHECK(v0.protocols[1].name == "roundrobin");
  CHECK(v0.protocols[1].metadata.empty());
  // JoinGroupRequest_v2(group='g1', session_timeout=10000, rebalance_timeout=300000,
  //   member_id='m-1', protocol_type='consumer', group_protocols=[('range', b'\0\1')])
  auto v2 = decoded<join_group_request>(
    2, "0002673100002710000493e000036d2d310008636f6e73756d657200000001000572616e6765000000020001");
  CHECK(v2.rebalance_timeout_ms == 300000);
  CHECK(v2.member_id == "m-1");
  CHECK_FALSE(v2.group_instance_id.has_value());
}

TEST_CASE("JoinGroup v5 from librdkafka decodes, static members too", "[kafka][group]") {
  // range, first join
  auto dyn = decoded<join_group_request>(
    5, std::string{"000267310000afc8000493e00000ffff0008636f6e73756d6572000000010"
                   "00572616e676500000016"}
         + rdkafka_range_metadata);
  CHECK(dyn.session_timeout_ms == 45000);
  CHECK(dyn.rebalance_timeout_ms == 300000);
  CHECK(dyn.member_id.empty());
  CHECK_FALSE(dyn.group_instance_id.has_value());
  REQUIRE(dyn.protocols.size() == 1);
  CHECK(dyn.protocols[0].name == "range");
  CHECK(dyn.protocols[0].metadata == from_hex(rdkafka_range_metadata));

  // group.instance.id=inst-1
  auto stat = decoded<join_group_request>(
    5, std::string{"000267310000afc8000493e000000006696e73742d310008636f6e73756d6572"
                   "00000001000572616e676500000016"}
         + rdkafka_range_metadata);
  CHECK(stat.group_instance_id == std::optional<std::string>{"inst-1"});

  // cooperative-sticky rejoin: member id known, owned partitions
  auto coop = decoded<join_group_request>(
    5, "000267310000afc8000493e000036d2d31ffff0008636f6e73756d6572000000010012636f6f70657261746976"
       "652d737469636b790000004a000100000001000274310000002800000002000274310000000200000000000000"
       "0100027432000000020000000000000001000000010000000100027431000000020000000000000001");
  CHECK(coop.member_id == "m-1");
  REQUIRE(coop.protocols.size() == 1);
  CHECK(coop.protocols[0].name == "cooperative-sticky");
  CHECK(coop.protocols[0].metadata.size() == 0x4a);
}

TEST_CASE("JoinGroup responses match kafka-python and what librdkafka accepted",
          "[kafka][group]") {
  join_group_response resp;
  resp.throttle_time_ms = 9;
  resp.generation_id = 4;
  resp.protocol_name = "range";
  resp.leader = "m-1";
  resp.member_id = "m-1";
  resp.members = {{"m-1", std::nullopt, std::string{"\x00\x00", 2}}, {"m-2", std::nullopt, ""}};
  // JoinGroupResponse_v0(error_code=0, generation_id=4, group_protocol='range',
  //   leader_id='m-1', member_id='m-1', members=[('m-1', b'\0\0'), ('m-2', b'')]); v1 alike
  const char* v0 = "000000000004000572616e676500036d2d3100036d2d310000000200036d2d310000000200"
                   "0000036d2d3200000000";
  CHECK(encoded(0, resp) == v0);
  CHECK(encoded(1, resp) == v0);
  // JoinGroupResponse_v2(throttle_time_ms=9, <as v0>); v3 and v4 alike
  for (int16_t v : {2, 3, 4})
    CHECK(encoded(v, resp) == std::string{"00000009"} + v0);

  join_group_response leader; // accepted by librdkafka (range): it then sent SyncGroup v3
  leader.generation_id = 1;
  leader.protocol_name = "range";
  leader.leader = "m-1";
  leader.member_id = "m-1";
  leader.members = {{"m-1", std::nullopt, from_hex(rdkafka_range_metadata)}};
  CHECK(encoded(5, leader)
        == std::string{"00000000000000000001000572616e676500036d2d3100036d2d310000000100036d2d31"
                       "ffff00000016"}
             + rdkafka_range_metadata);
  leader.members = {{"m-1", std::string{"inst-1"}, std::string{"\x00\x01", 2}},
                    {"m-2", std::nullopt, ""}};
  CHECK(encoded(5, leader)
        == "00000000000000000001000572616e676500036d2d3100036d2d310000000200036d2d310006696e73"
           "742d3100000002000100036d2d32ffff00000000"); // by schema
}

TEST_CASE("SyncGroup requests decode with the leader's assignments", "[kafka][group]") {
  // SyncGroupRequest_v1(group='g1', generation_id=4, member_id='m-1',
  //   group_assignment=[('m-1', b'\0\0'), ('m-2', b'\1')])
  auto v1 = decoded<sync_group_request>(
    1, "000267310000000400036d2d310000000200036d2d3100000002000000036d2d320000000101");
  CHECK(v1.generation_id == 4);
  REQUIRE(v1.assignments.size() == 2);
  CHECK(v1.assignments[1].member_id == "m-2");
  CHECK(v1.assignments[1].assignment == "\x01");
  // librdkafka v3 as leader (range), then as a static member
  auto v3 = decoded<sync_group_request>(
    3, std::string{"000267310000000100036d2d31ffff0000000100036d2d310000002a"}
         + rdkafka_assignment);
  CHECK_FALSE(v3.group_instance_id.has_value());
  REQUIRE(v3.assignments.size() == 1);
  CHECK(v3.assignments[0].assignment == from_hex(rdkafka_assignment));
  auto st = decoded<sync_group_request>(
    3, std::string{"000267310000000100036d2d310006696e73742d310000000100036d2d3100"
                   "00002a"}
         + rdkafka_assignment);
  CHECK(st.group_instance_id == std::optional<std::string>{"inst-1"});
}

TEST_CASE("SyncGroup and Heartbeat responses match kafka-python", "[kafka][group]") {
  sync_group_response sync;
  sync.assignment = std::string(10, '\0');
  // SyncGroupResponse_v0(error_code=0, member_assignment=b'\0' * 10)
  CHECK(encoded(0, sync) == "00000000000a00000000000000000000");
  sync_group_response rebalancing;
  rebalancing.throttle_time_ms = 2;
  rebalancing.error_code = code(error_code::rebalance_in_progress);
  // SyncGroupResponse_v1(throttle_time_ms=2, error_code=27, member_assignment=b''); v2, v3 alike
  for (int16_t v : {1, 2, 3})
    CHECK(encoded(v, rebalancing) == "00000002001b00000000");

  heartbeat_response hb;
  hb.throttle_time_ms = 1;
  hb.error_code = code(error_code::rebalance_in_progress);
  CHECK(encoded(0, hb) == "001b"); // HeartbeatResponse_v0(error_code=27)
  for (int16_t v : {1, 2, 3})      // HeartbeatResponse_v1(1, 27)
    CHECK(encoded(v, hb) == "00000001001b");
}

TEST_CASE("Heartbeat requests decode, static members too", "[kafka][group]") {
  // HeartbeatRequest_v1(group='g1', generation_id=4, member_id='m-1')
  auto v1 = decoded<heartbeat_request>(1, "000267310000000400036d2d31");
  CHECK(v1.generation_id == 4);
  CHECK(v1.member_id == "m-1");
  // librdkafka (static)
  auto v3 = decoded<heartbeat_request>(3, "000267310000000100036d2d310006696e73742d31");
  CHECK(v3.group_instance_id == std::optional<std::string>{"inst-1"});
  // librdkafka (range): a null instance id
  auto dyn = decoded<heartbeat_request>(3, "000267310000000100036d2d31ffff");
  CHECK_FALSE(dyn.group_instance_id.has_value());
}

TEST_CASE("LeaveGroup requests give members in every version", "[kafka][group]") {
  // LeaveGroupRequest_v1(group='g1', member_id='m-1'); librdkafka alike
  auto v1 = decoded<leave_group_request>(1, "0002673100036d2d31");
  CHECK(v1.member_id == "m-1");
  REQUIRE(v1.members.size() == 1);
  CHECK(v1.members[0].member_id == "m-1");
  CHECK_FALSE(v1.members[0].group_instance_id.has_value());
  // by schema: members [('m-1', None), ('', 'i-2')]
  auto v3 = decoded<leave_group_request>(3, "000267310000000200036d2d31ffff00000003692d32");
  REQUIRE(v3.members.size() == 2);
  CHECK(v3.members[1].member_id.empty());
  CHECK(v3.members[1].group_instance_id == std::optional<std::string>{"i-2"});
}

TEST_CASE("LeaveGroup responses match kafka-python and the schema", "[kafka][group]") {
  leave_group_response resp;
  resp.error_code = code(error_code::unknown_member_id);
  CHECK(encoded(0, resp) == "0019"); // LeaveGroupResponse_v0(error_code=25)
  resp.throttle_time_ms = 1;
  resp.error_code = 0;
  CHECK(encoded(1, resp) == "000000010000"); // LeaveGroupResponse_v1(1, 0); v2 alike
  CHECK(encoded(2, resp) == "000000010000");
  leave_group_response v3;
  v3.members = {{"m-1", std::nullopt, 0},
                {"m-2", std::string{"i-2"}, code(error_code::unknown_member_id)}};
  CHECK(encoded(3, v3) == "0000000000000000000200036d2d31ffff000000036d2d320003692d320019");
}

TEST_CASE("ListGroups requests are empty and responses match kafka-python", "[kafka][group]") {
  // ListGroupsRequest_v2() and librdkafka's v0: no bytes
  decoded<list_groups_request>(2, "");
  list_groups_response resp;
  resp.throttle_time_ms = 4;
  resp.groups = {{"g1", "consumer"}, {"g2", ""}};
  // ListGroupsResponse_v0(error_code=0, groups=[('g1', 'consumer'), ('g2', '')])
  CHECK(encoded(0, resp) == "000000000002000267310008636f6e73756d6572000267320000");
  // ListGroupsResponse_v1 / _v2(throttle_time_ms=4, <as v0>)
  for (int16_t v : {1, 2})
    CHECK(encoded(v, resp) == "00000004000000000002000267310008636f6e73756d6572000267320000");
}

TEST_CASE("DescribeGroups requests decode in every version", "[kafka][group]") {
  // DescribeGroupsRequest_v0(groups=['g1', 'g2'])
  auto v0 = decoded<describe_groups_request>(0, "000000020002673100026732");
  CHECK(v0.groups == std::vector<std::string>{"g1", "g2"});
  // DescribeGroupsRequest_v3(groups=['g1', 'g2'], include_authorized_operations=True)
  auto v3 = decoded<describe_groups_request>(3, "00000002000267310002673201");
  CHECK(v3.include_authorized_operations);
  // librdkafka list_groups(): v0 for the listed group
  auto rd = decoded<describe_groups_request>(0, "0000000100026731");
  CHECK(rd.groups == std::vector<std::string>{"g1"});
}

TEST_CASE("DescribeGroups responses match kafka-python and the schema", "[kafka][group]") {
  describe_groups_response resp;
  resp.throttle_time_ms = 6;
  describe_groups_response::described_group g1;
  g1.group_id = "g1";
  g1.group_state = "Stable";
  g1.protocol_type = "consumer";
  g1.protocol_data = "range";
  g1.members = {{"m-1", std::string{"inst-1"}, "cid", "/127.0.0.1", std::string{"\x00\x01", 2},
                 std::string{"\x00\x02", 2}}};
  describe_groups_response::described_group g2;
  g2.error_code = code(error_code::not_coordinator);
  g2.group_id = "g2";
  resp.groups = {g1, g2};
  // DescribeGroupsResponse_v0(groups=[
  //   (0, 'g1', 'Stable', 'consumer', 'range',
  //    [('m-1', 'cid', '/127.0.0.1', b'\0\1', b'\0\2')]),
  //   (16, 'g2', '', '', '', [])])
  const char* v0 = "000000020000000267310006537461626c650008636f6e73756d6572000572616e67650000000100"
                   "036d2d310003636964000a2f3132372e302e302e3100000002000100000002000200100002673200"
                   "000000000000000000";
  CHECK(encoded(0, resp) == v0);
  // DescribeGroupsResponse_v1(throttle_time_ms=6, <as v0>); v2 alike
  CHECK(encoded(1, resp) == std::string{"00000006"} + v0);
  CHECK(encoded(2, resp) == std::string{"00000006"} + v0);

  // v3 adds authorized_operations per group, v4 the instance id (by schema; kafka-python's
  // v3 schema drops authorized_operations).
  describe_groups_response one;
  one.groups = {g1};
  const char* head = "00000000000000010000000267310006537461626c650008636f6e73756d6572000572616e67"
                     "650000000100036d2d31";
  const char* tail = "0003636964000a2f3132372e302e302e3100000002000100000002000280000000";
  CHECK(encoded(3, one) == std::string{head} + tail);
  CHECK(encoded(4, one) == std::string{head} + "0006696e73742d31" + tail);
}

TEST_CASE("group decoders refuse malformed bodies", "[kafka][group]") {
  SECTION("a protocol count beyond the bytes") {
    CHECK(
      decode_error<join_group_request>(0, "000267310000271000000008636f6e73756d65720fffffff0001")
      == "array length beyond the message");
  }
  SECTION("a negative metadata length") {
    CHECK(decode_error<join_group_request>(
            0, "000267310000271000000008636f6e73756d657200000001000172fffffffe")
          == "negative length");
  }
  SECTION("a truncated JoinGroup v5 (no instance id)") {
    CHECK(decode_error<join_group_request>(5, "000267310000afc8000493e00000") == "truncated");
  }
  SECTION("a null assignment list") {
    CHECK(decode_error<sync_group_request>(1, "000267310000000400036d2d31ffffffff")
          == "null array");
  }
  SECTION("a LeaveGroup v3 member count beyond the bytes") {
    CHECK(decode_error<leave_group_request>(3, "000267310000ffff00036d2d31ffff")
          == "array length beyond the message");
  }
  SECTION("a null member id") {
    CHECK(decode_error<heartbeat_request>(1, "0002673100000004ffff") == "negative length");
  }
  SECTION("DescribeGroups v3 without the flag") {
    CHECK(decode_error<describe_groups_request>(3, "0000000100026731") == "truncated");
  }
}
