// Tests of the `__consumer_offsets` record codec against records a Kafka 3.x broker wrote
// and the layouts Burrow 1.2.1 reads.
//
// Kafka-written records: the fixtures fixtures/tests/offset_commit/0{4,5}.{key,payload} and
// fixtures/tests/group_metadata/02.key of github.com/kafkesc/konsumer_offsets (captured from
// a Kafka 3 cluster), as `xxd -p`. Burrow's bytes: core/internal/consumer/kafka_client_test.go
// at linkedin/Burrow v1.2.1 (TestKafkaClient_decodeOffsetKeyV0, _decodeOffsetValueV3), with
// the version prefix Burrow reads before them.

#include <catch2/catch.hpp>

#include "runtime/kafka/offsets_topic_codec.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

namespace {

// The kind decode_offsets_key gave a key, and how its decoding went.
struct key_read {
  offsets_key_kind kind = offsets_key_kind::unknown;
  decode_result result;
};

key_read read_key(std::string_view hex, offset_commit_key& out) {
  key_read k;
  k.result = decode_with(hex, [&](reader& r) { k.kind = decode_offsets_key(r, out); });
  return k;
}

decode_result read_value(std::string_view hex, offset_commit_value& out) {
  return decode_with(hex, [&](reader& r) { decode(r, out); });
}

// offset_commit/05: group kafkesc-devcluster-group-id, topic t01, partition 0.
constexpr const char* kafka_key =
  "0001001b6b61666b6573632d646576636c75737465722d67726f75702d6964000374303100000000";
constexpr const char* kafka_value = "00030000000000003b1effffffff0000000001857ede99f3";

} // namespace

TEST_CASE("an offset commit written by Kafka decodes and re-encodes", "[kafka][offsets_topic]") {
  offset_commit_key key;
  auto k = read_key(kafka_key, key);
  CHECK(k.kind == offsets_key_kind::offset_commit);
  CHECK(k.result.error == "");
  CHECK(k.result.left == 0);
  CHECK(key.version == 1);
  CHECK(key.group == "kafkesc-devcluster-group-id");
  CHECK(key.topic == "t01");
  CHECK(key.partition == 0);
  CHECK(encoded(key) == kafka_key);

  offset_commit_value value;
  auto v = read_value(kafka_value, value);
  CHECK(v.error == "");
  CHECK(v.left == 0);
  CHECK(value.version == 3);
  CHECK(value.offset == 15134);
  CHECK(value.leader_epoch == -1);
  CHECK(value.metadata.empty());
  CHECK(value.commit_timestamp == 1672870795763);
  CHECK(encoded(value) == kafka_value);
}

TEST_CASE("cafka's offset records are what Kafka writes", "[kafka][offsets_topic]") {
  // offset_commit/04: ivan-experimental-consumer, __consumer_offsets/46, offset 99158,
  // committed at 1672871010428 without leader epoch or metadata.
  offset_commit_key key;
  key.group = "ivan-experimental-consumer";
  key.topic = "__consumer_offsets";
  key.partition = 46;
  CHECK(encoded(key)
        == "0001001a6976616e2d6578706572696d656e74616c2d636f6e73756d657200125f5f636f6e73756d"
           "65725f6f6666736574730000002e");
  offset_commit_value value;
  value.offset = 99158;
  value.commit_timestamp = 1672871010428;
  CHECK(encoded(value) == "00030000000000018356ffffffff0000000001857ee1e07c");
}

TEST_CASE("cafka's offset records read as Burrow's tests expect", "[kafka][offsets_topic]") {
  offset_commit_key key;
  key.group = "testgroup";
  key.topic = "testtopic";
  key.partition = 11;
  // "\x00\x09testgroup\x00\x09testtopic\x00\x00\x00\x0b" after the key version
  CHECK(encoded(key) == "0001" + to_hex(std::string{"\x00\x09testgroup\x00\x09testtopic"
                                                    "\x00\x00\x00\x0b",
                                                    26}));
  offset_commit_value value;
  value.offset = 8372;
  value.leader_epoch = 0;
  value.metadata = "testdata";
  value.commit_timestamp = 1637;
  // "\0\0\0\0\0\0\x20\xb4\0\0\0\0\0\x08testdata\0\0\0\0\0\0\x06\x65" after the value version
  CHECK(encoded(value)
        == "0003" + to_hex(std::string{"\0\0\0\0\0\0\x20\xb4\0\0\0\0\0\x08testdata"
                                       "\0\0\0\0\0\0\x06\x65",
                                       30}));
}

TEST_CASE("older value versions decode", "[kafka][offsets_topic]") {
  offset_commit_value v1; // by schema: offset 7, "m", commit 5, expire 9
  auto d1 = read_value("0001000000000000000700016d00000000000000050000000000000009", v1);
  CHECK(d1.error == "");
  CHECK(d1.left == 0);
  CHECK(v1.offset == 7);
  CHECK(v1.leader_epoch == -1);
  CHECK(v1.metadata == "m");
  CHECK(v1.commit_timestamp == 5);
  CHECK(v1.expire_timestamp == 9);
  CHECK(encoded(v1) == "0001000000000000000700016d00000000000000050000000000000009");
  for (const char* v0_or_v2 : {"0000000000000000000700016d0000000000000005",
                               "0002000000000000000700016d0000000000000005"}) {
    offset_commit_value v;
    auto d = read_value(v0_or_v2, v);
    CHECK(d.error == "");
    CHECK(d.left == 0);
    CHECK(v.commit_timestamp == 5);
    CHECK(v.expire_timestamp == -1);
    CHECK(encoded(v) == v0_or_v2);
  }
  offset_commit_value v4; // the flexible form: compact metadata "m", no tagged fields
  auto d4 = read_value("0004000000000000000700000003026d000000000000000500", v4);
  CHECK(d4.error == "");
  CHECK(d4.left == 0);
  CHECK(v4.leader_epoch == 3);
  CHECK(v4.metadata == "m");
  CHECK(v4.commit_timestamp == 5);
}

TEST_CASE("group metadata keys are recognised and unknown keys skipped",
          "[kafka][offsets_topic]") {
  offset_commit_key key; // group_metadata/02.key
  auto g = read_key("0002001b6b61666b6573632d646576636c75737465722d67726f75702d6964", key);
  CHECK(g.kind == offsets_key_kind::group_metadata);
  CHECK(g.result.error == "");
  CHECK(g.result.left == 0);
  CHECK(key.group == "kafkesc-devcluster-group-id");
  offset_commit_key newer; // a new coordinator's record type, e.g. ConsumerGroupMetadataKey
  auto u = read_key("0003000267310000", newer);
  CHECK(u.kind == offsets_key_kind::unknown);
  CHECK(u.result.error == "");
  CHECK(newer.version == 3);
  offset_commit_key negative;
  auto n = read_key("ffff", negative);
  CHECK(n.kind == offsets_key_kind::unknown);
  CHECK(n.result.error == "");
}

TEST_CASE("malformed offsets records fail", "[kafka][offsets_topic]") {
  offset_commit_key key;
  SECTION("an empty key") {
    CHECK(read_key("", key).result.error == "truncated");
  }
  SECTION("a key without its partition") {
    auto k = read_key("00010002673100027431", key);
    CHECK(k.kind == offsets_key_kind::offset_commit);
    CHECK(k.result.error == "truncated");
  }
  SECTION("a value of an unknown version") {
    offset_commit_value value;
    CHECK(read_value("00050000000000000007", value).error
          == "unknown offset commit value version");
  }
  SECTION("a truncated value") {
    offset_commit_value value;
    CHECK(read_value("00030000000000003b1effffffff0000", value).error == "truncated");
  }
}
