// Tests of the embedded consumer protocol (subscription and assignment bytes) against what
// librdkafka and kafka-python put inside JoinGroup and SyncGroup.
//
// librdkafka bytes: /usr/bin/python3 tests/tools/kafka_capture/capture_librdkafka.py S with
// S = range | roundrobin | cooperative-sticky (confluent-kafka 1.7.0, librdkafka 2.0.2),
// subscribed to t1 and t2 (2 partitions each); the cooperative run then resubscribes to t1.
// kafka-python bytes: /usr/bin/python3 -c 'from kafka.coordinator.protocol import *; x = X;
//   print(x.encode().hex())' with X as given above each hex string (kafka-python 2.0.2).
// "By schema" bytes were written field by field from ConsumerProtocolSubscription.json and
// ConsumerProtocolAssignment.json (the Java client's versions 2 and 3).

#include <catch2/catch.hpp>

#include "runtime/kafka/consumer_protocol_codec.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

namespace {

template <class T>
decode_result decode_blob(std::string_view hex_blob, T& out) {
  return decode_with(hex_blob, [&](reader& r) { decode(r, out); });
}

using tps = std::vector<consumer_protocol_topic_partition>;

bool same(const tps& a, const tps& b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].topic != b[i].topic || a[i].partitions != b[i].partitions)
      return false;
  return true;
}

// librdkafka's range and roundrobin subscriptions (the same bytes): version 1, empty user
// data, nothing owned.
constexpr const char* rdkafka_subscription = "00010000000200027431000274320000000000000000";

// The cooperative-sticky assignor's user data after the first generation: t1 [0 1],
// t2 [0 1], generation 1.
constexpr const char* sticky_user_data =
  "00000002000274310000000200000000000000010002743200000002000000000000000100000001";

} // namespace

TEST_CASE("librdkafka's eager subscriptions decode", "[kafka][consumer_protocol]") {
  consumer_protocol_subscription sub;
  auto d = decode_blob(rdkafka_subscription, sub);
  CHECK(d.error == "");
  CHECK(d.left == 0);
  CHECK(sub.version == 1);
  CHECK(sub.topics == std::vector<std::string>{"t1", "t2"});
  CHECK(sub.user_data == std::optional<std::string>{""});
  CHECK(sub.owned_partitions.empty());
  CHECK(sub.generation_id == -1);
  CHECK_FALSE(sub.rack_id.has_value());
  CHECK(encoded(1, sub) == rdkafka_subscription);
}

TEST_CASE("librdkafka's cooperative rejoin reports owned partitions",
          "[kafka][consumer_protocol]") {
  consumer_protocol_subscription sub;
  auto d = decode_blob(std::string{"00010000000100027431"} + "00000028" + sticky_user_data
                         + "00000001000274310000000200000000" + "00000001",
                       sub);
  CHECK(d.error == "");
  CHECK(d.left == 0);
  CHECK(sub.topics == std::vector<std::string>{"t1"});
  CHECK(sub.user_data == std::optional<std::string>{from_hex(sticky_user_data)});
  CHECK(same(sub.owned_partitions, tps{{"t1", {0, 1}}}));
}

TEST_CASE("librdkafka's assignments decode and re-encode", "[kafka][consumer_protocol]") {
  // range leader's SyncGroup: version 0, t1 [0 1], t2 [0 1], empty user data
  const char* eager =
    "000000000002000274310000000200000000000000010002743200000002000000000000000100000000";
  consumer_protocol_assignment a;
  auto d = decode_blob(eager, a);
  CHECK(d.error == "");
  CHECK(d.left == 0);
  CHECK(a.version == 0);
  CHECK(same(a.assigned_partitions, tps{{"t1", {0, 1}}, {"t2", {0, 1}}}));
  CHECK(a.user_data == std::optional<std::string>{""});
  CHECK(encoded(0, a) == eager);

  // cooperative-sticky leader after the resubscription: t1 [0 1] with the sticky state
  consumer_protocol_assignment coop;
  auto dc = decode_blob(std::string{"00000000000100027431000000020000000000000001"} + "00000028"
                          + sticky_user_data,
                        coop);
  CHECK(dc.error == "");
  CHECK(dc.left == 0);
  CHECK(same(coop.assigned_partitions, tps{{"t1", {0, 1}}}));
  CHECK(coop.user_data == std::optional<std::string>{from_hex(sticky_user_data)});
}

TEST_CASE("kafka-python's consumer protocol bytes match both ways", "[kafka][consumer_protocol]") {
  // ConsumerProtocolMemberMetadata(version=0, subscription=['t1', 't2'], user_data=b'')
  const char* meta = "000000000002000274310002743200000000";
  consumer_protocol_subscription sub;
  auto d = decode_blob(meta, sub);
  CHECK(d.error == "");
  CHECK(d.left == 0);
  CHECK(sub.version == 0);
  CHECK(sub.topics == std::vector<std::string>{"t1", "t2"});
  CHECK(encoded(0, sub) == meta);

  consumer_protocol_assignment a;
  a.assigned_partitions = {{"t1", {0, 1}}, {"t2", {2}}};
  a.user_data = "";
  // ConsumerProtocolMemberAssignment(version=0, assignment=[('t1', [0, 1]), ('t2', [2])],
  //                                  user_data=b'')
  CHECK(encoded(0, a)
        == "0000000000020002743100000002000000000000000100027432000000010000000200000000");
  // ConsumerProtocolMemberAssignment(version=0, assignment=[], user_data=None)
  CHECK(encoded(0, consumer_protocol_assignment{}) == "000000000000ffffffff");
}

TEST_CASE("versions 2 and 3 carry generation and rack", "[kafka][consumer_protocol]") {
  // By schema: version 3, topics [t1], null user data, owned t1 [0], generation 5, rack r1
  const char* v3 = "00030000000100027431ffffffff000000010002743100000001000000000000000500027231";
  consumer_protocol_subscription sub;
  auto d = decode_blob(v3, sub);
  CHECK(d.error == "");
  CHECK(d.left == 0);
  CHECK_FALSE(sub.user_data.has_value());
  CHECK(same(sub.owned_partitions, tps{{"t1", {0}}}));
  CHECK(sub.generation_id == 5);
  CHECK(sub.rack_id == std::optional<std::string>{"r1"});
  CHECK(encoded(3, sub) == v3);
  // version 2 stops after the generation
  CHECK(encoded(2, sub) == "00020000000100027431ffffffff0000000100027431000000010000000000000005");
  // version 0 has neither owned partitions nor generation
  CHECK(encoded(0, sub) == "00000000000100027431ffffffff");

  consumer_protocol_assignment a; // by schema: version 3, t1 [0 2], null user data
  a.assigned_partitions = {{"t1", {0, 2}}};
  CHECK(encoded(3, a) == "00030000000100027431000000020000000000000002ffffffff");
}

TEST_CASE("newer versions are read as version 3 with their tail ignored",
          "[kafka][consumer_protocol]") {
  // A version 7 subscription: the version 3 fields, then 6 bytes of fields from the future.
  consumer_protocol_subscription sub;
  auto d = decode_blob("00070000000100027431ffffffff000000010002743100000001000000000000000500027231"
                       "abcdef012345",
                       sub);
  CHECK(d.error == "");
  CHECK(d.left == 6);
  CHECK(sub.version == 7);
  CHECK(sub.rack_id == std::optional<std::string>{"r1"});
  consumer_protocol_assignment a; // version 9 with a 2-byte tail
  auto da = decode_blob("00090000000100027431000000010000000400000000beef", a);
  CHECK(da.error == "");
  CHECK(da.left == 2);
  CHECK(a.version == 9);
  CHECK(same(a.assigned_partitions, tps{{"t1", {4}}}));
  // A version 1 blob with a tail (Kafka does not look past the fields it reads).
  consumer_protocol_subscription v1;
  CHECK(decode_blob(std::string{rdkafka_subscription} + "00", v1).error == "");
}

TEST_CASE("malformed consumer protocol bytes fail", "[kafka][consumer_protocol]") {
  consumer_protocol_subscription sub;
  SECTION("empty") {
    CHECK(decode_blob("", sub).error == "truncated");
  }
  SECTION("a negative version") {
    CHECK(decode_blob("ffff0000000000000000", sub).error == "negative consumer protocol version");
  }
  SECTION("version 1 without owned partitions") {
    CHECK(decode_blob("0001000000010002743100000000", sub).error == "truncated");
  }
  SECTION("a topic count beyond the bytes") {
    CHECK(decode_blob("00007fffffff00027431", sub).error == "array length beyond the message");
  }
  SECTION("a null topic list") {
    CHECK(decode_blob("0000ffffffffffffffff", sub).error == "null array");
  }
  SECTION("an assignment with a partition count beyond the bytes") {
    consumer_protocol_assignment a;
    CHECK(decode_blob("000000000001000274310000ffff00000000", a).error
          == "array length beyond the message");
  }
}
