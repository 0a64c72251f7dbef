// Tests of the __consumer_offsets records on bytes: committed offsets must be byte for byte
// what Kafka writes (so Burrow and Kafka's formatters read them), cafka's group records must
// sit under a key version those tools skip, and records of cafka's earlier layout must be
// refused by name, never misread.
//
// Kafka-written records: fixtures offset_commit/0{4,5}.{key,payload} and
// group_metadata/02.key of github.com/kafkesc/konsumer_offsets (captured from a Kafka 3
// cluster), as `xxd -p`, the same as in kafka_offsets_topic_test.cpp. Burrow's:
// core/internal/consumer/kafka_client_test.go at linkedin/Burrow v1.2.1 (decodeOffsetKeyV0,
// decodeOffsetValueV3) after the version prefix.
// The other vectors were built by hand with /usr/bin/python3's struct module, e.g. the offset
// key of the doc's example:
//   struct.pack('>h', 1) + s16('g1') + s16('orders') + struct.pack('>i', 7)
// where s16(x) = struct.pack('>h', len(x)) + x.encode() (s32 the same with '>i').

#include <catch2/catch.hpp>

#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/kafka/offsets_topic_codec.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka;
using namespace cafka::group;
using cafka::kafka::test::from_hex;
using cafka::kafka::test::to_hex;

namespace {

// The message of a decode error, to check what it names.
template <class T>
std::string why(const caf::expected<T>& x) {
  REQUIRE_FALSE(x);
  CHECK(errc_of(x.error()) == errc::corrupt_message);
  return describe(x.error());
}

// offset_commit/05: kafkesc-devcluster-group-id, t01/0, offset 15134 at 1672870795763.
constexpr const char* kafka_key =
  "0001001b6b61666b6573632d646576636c75737465722d67726f75702d6964000374303100000000";
constexpr const char* kafka_value = "00030000000000003b1effffffff0000000001857ede99f3";

// The example of docs/group-records-format.md: g1 commits offset 42 of orders-7.
constexpr const char* doc_key = "00010002673100066f726465727300000007";
constexpr const char* doc_value = "0003000000000000002affffffff00000000018bcfe56800";
constexpr const char* doc_group_key = "7caf00026731";
// group "g1": assignor "range", group epoch 9, next member 2, member g1-1-0 (epoch 9,
// previous 8, not acked, subscribed to and told orders-7, reporting orders-7).
constexpr const char* doc_group_value =
  "7cb00000000572616e6765000000090000000000000002000000010000000667312d312d300000000000"
  "00000900000008000000000001000000066f726465727300000001000000066f72646572730000000700"
  "000001000000066f72646572730000000700";
// The same group in value version 0x7caf, without the classic field.
constexpr const char* actors_group_value =
  "7caf0000000572616e6765000000090000000000000002000000010000000667312d312d300000000000"
  "00000900000008000000000001000000066f726465727300000001000000066f72646572730000000700"
  "000001000000066f726465727300000007";

// The same commit and group in cafka's layout before this one (the doc's old example).
constexpr const char* old_offset_key = "0001000000026731000000066f726465727300000007";
constexpr const char* old_offset_value = "0001000000000000002a0000018bcfe5680000000004";
constexpr const char* old_group_key = "0002000000026731";

} // namespace

TEST_CASE("committed offsets are written byte for byte as Kafka writes them", "[group]") {
  offset_record rec;
  rec.offset = log_offset{15134};
  rec.commit_timestamp_ms = 1672870795763;
  CHECK(to_hex(offset_key("kafkesc-devcluster-group-id", {"t01", partition_id{0}}))
        == kafka_key);
  CHECK(to_hex(encode(rec)) == kafka_value);
  // offset_commit/04
  topic_partition p46{"__consumer_offsets", partition_id{46}};
  CHECK(to_hex(offset_key("ivan-experimental-consumer", p46))
        == "0001001a6976616e2d6578706572696d656e74616c2d636f6e73756d657200125f5f636f6e73756d"
           "65725f6f6666736574730000002e");
  CHECK(to_hex(encode(offset_record{log_offset{99158}, 1672871010428})) ==
        "00030000000000018356ffffffff0000000001857ee1e07c");
  CHECK(to_hex(offset_key("g1", {"orders", partition_id{7}})) == doc_key);
  CHECK(to_hex(encode(offset_record{log_offset{42}, 1700000000000})) == doc_value);
}

TEST_CASE("Kafka's offset records decode, leader epoch and metadata included", "[group]") {
  auto k = decode_key(from_hex(kafka_key));
  REQUIRE(k);
  CHECK(k->kind == key_kind::offset);
  CHECK(k->group == "kafkesc-devcluster-group-id");
  CHECK(k->tp == topic_partition{"t01", partition_id{0}});
  auto v = decode_offset(from_hex(kafka_value));
  REQUIRE(v);
  CHECK(v->offset == log_offset{15134});
  CHECK(v->commit_timestamp_ms == 1672870795763);
  CHECK(v->leader_epoch == no_leader_epoch);
  CHECK(v->metadata.empty());
  // Burrow's vectors: "\x00\x09testgroup\x00\x09testtopic\x00\x00\x00\x0b" and
  // "\0\0\0\0\0\0\x20\xb4\0\0\0\0\0\x08testdata\0\0\0\0\0\0\x06\x65".
  auto burrow_key = "0001" + to_hex(std::string{"\x00\x09testgroup\x00\x09testtopic"
                                                "\x00\x00\x00\x0b",
                                                26});
  auto burrow_value = "0003" + to_hex(std::string{"\0\0\0\0\0\0\x20\xb4\0\0\0\0\0\x08testdata"
                                                  "\0\0\0\0\0\0\x06\x65",
                                                  30});
  auto bk = decode_key(from_hex(burrow_key));
  REQUIRE(bk);
  CHECK(bk->group == "testgroup");
  CHECK(bk->tp == topic_partition{"testtopic", partition_id{11}});
  auto bv = decode_offset(from_hex(burrow_value));
  REQUIRE(bv);
  CHECK(bv->offset == log_offset{8372});
  CHECK(bv->leader_epoch == leader_epoch{0});
  CHECK(bv->metadata == "testdata");
  CHECK(bv->commit_timestamp_ms == 1637);
  CHECK(to_hex(encode(*bv)) == burrow_value);
  CHECK(to_hex(offset_key("testgroup", {"testtopic", partition_id{11}})) == burrow_key);
  // Key version 0 has the same fields; value versions 1 (with an expiry) and 4 (flexible).
  auto k0 = decode_key(from_hex("00000002673100017400000003"));
  REQUIRE(k0);
  CHECK(k0->tp == topic_partition{"t", partition_id{3}});
  auto v1 =
    decode_offset(from_hex("0001000000000000000700016d00000000000000050000000000000009"));
  REQUIRE(v1);
  CHECK(v1->offset == log_offset{7});
  CHECK(v1->metadata == "m");
  CHECK(v1->commit_timestamp_ms == 5);
  auto v4 = decode_offset(from_hex("0004000000000000000700000003026d000000000000000500"));
  REQUIRE(v4);
  CHECK(v4->leader_epoch == leader_epoch{3});
}

TEST_CASE("the member epoch of a commit is not stored", "[group]") {
  // Kafka's value has no field for it: the bytes are the same, and it reads back as -1.
  CHECK(encode(offset_record{log_offset{42}, 1700000000000, member_epoch{4}})
        == encode(offset_record{log_offset{42}, 1700000000000}));
  auto v = decode_offset(
    encode(offset_record{log_offset{42}, 1700000000000, member_epoch{4}, leader_epoch{6}, "m"}));
  REQUIRE(v);
  CHECK(v->member_epoch == no_member_epoch);
  CHECK(v->leader_epoch == leader_epoch{6});
  CHECK(v->metadata == "m");
}

TEST_CASE("group records use a key version and value version Kafka's tools skip", "[group]") {
  CHECK(to_hex(group_key("g1")) == doc_group_key);
  topic_partition tp{"orders", partition_id{7}};
  group_record rec;
  rec.assignor = "range";
  rec.group_epoch = member_epoch{9};
  rec.next_member = 2;
  rec.members.push_back(
    {"g1-1-0", "", member_epoch{9}, member_epoch{8}, false, false, {"orders"}, {tp}, {tp}});
  CHECK(to_hex(encode(rec)) == doc_group_value);
  auto k = decode_key(from_hex(doc_group_key));
  REQUIRE(k);
  CHECK(k->kind == key_kind::group);
  CHECK(k->group == "g1");
  auto v = decode_group(from_hex(doc_group_value));
  REQUIRE(v);
  CHECK(v->assignor == "range");
  CHECK(v->next_member == 2);
  REQUIRE(v->members.size() == 1);
  CHECK(v->members[0].member_id == "g1-1-0");
  CHECK(v->members[0].previous_epoch == member_epoch{8});
  CHECK_FALSE(v->members[0].acked);
  CHECK(v->members[0].told == std::vector<topic_partition>{tp});
  CHECK_FALSE(v->members[0].classic);
  // Version 0x7caf reads as the same group.
  auto old = decode_group(from_hex(actors_group_value));
  REQUIRE(old);
  CHECK(encode(*old) == encode(*v));

  // What Burrow 1.2.1 and Kafka's formatters see: they switch on the key version (0-1
  // offsets, 2 group metadata, others skipped, as decode_offsets_key does), and Kafka's
  // formatters parse a value by its own version if it is in 0-4.
  auto read_key_kind = [](const std::string& key) {
    kafka::reader r{key};
    kafka::offset_commit_key out;
    return kafka::decode_offsets_key(r, out);
  };
  CHECK(read_key_kind(group_key("g1")) == kafka::offsets_key_kind::unknown);
  CHECK(read_key_kind(offset_key("g1", tp)) == kafka::offsets_key_kind::offset_commit);
  auto value = encode(rec);
  kafka::reader r{value};
  CHECK(r.i16() > 4);
}

TEST_CASE("a partition in cafka's old layout is refused record by record, by name",
          "[group]") {
  CHECK_THAT(why(decode_key(from_hex(old_offset_key))),
             Catch::Contains("an offset key in cafka's layout from before Kafka's"));
  CHECK_THAT(why(decode_key(from_hex(old_group_key))),
             Catch::Contains("a group key in cafka's layout from before Kafka's"));
  CHECK_THAT(why(decode_offset(from_hex(old_offset_value))),
             Catch::Contains("an offset value in cafka's layout from before Kafka's"));
  // The old group value (version 1 of the old grammar: "range", epoch 9, no members).
  auto old_group_value = "00010000000572616e676500000009000000000000000200000000";
  CHECK_THAT(why(decode_group(from_hex(old_group_value))),
             Catch::Contains("unknown group value version 1"));

  // Replaying such a partition loads nothing from it and names every record it refuses;
  // records in the new layout after them load as usual.
  group_loader loader;
  auto e1 = loader.apply(from_hex(old_offset_key), from_hex(old_offset_value));
  auto e2 = loader.apply(from_hex(old_group_key), std::nullopt);
  CHECK(errc_of(e1) == errc::corrupt_message);
  CHECK(errc_of(e2) == errc::corrupt_message);
  CHECK(loader.groups().empty());
  REQUIRE_FALSE(loader.apply(from_hex(doc_key), from_hex(doc_value)));
  REQUIRE_FALSE(loader.apply(from_hex(doc_group_key), from_hex(doc_group_value)));
  auto& g1 = loader.groups()["g1"];
  CHECK(g1.offsets.at({"orders", partition_id{7}}).offset == log_offset{42});
  REQUIRE(g1.state);
  CHECK(g1.state->group_epoch == member_epoch{9});
}

TEST_CASE("keys cafka does not write are refused, not misread", "[group]") {
  // group_metadata/02.key: Kafka's classic group record
  CHECK_THAT(why(decode_key(from_hex("0002001b6b61666b6573632d646576636c75737465722d67726f7570"
                                     "2d6964"))),
             Catch::Contains("Kafka's group metadata key (version 2)"));
  CHECK_THAT(why(decode_key(from_hex("0003000267310000"))),
             Catch::Contains("unknown key version 3"));
  CHECK_THAT(why(decode_key(from_hex("ffff"))), Catch::Contains("unknown key version -1"));
  CHECK_THAT(why(decode_key(from_hex("00"))), Catch::Contains("a key without its version"));
  CHECK_THAT(why(decode_key(from_hex(""))), Catch::Contains("a key without its version"));
}

TEST_CASE("malformed records fail with what does not parse", "[group]") {
  CHECK_THAT(why(decode_key(from_hex("00010002673100066f72646572730000"))),
             Catch::Contains("malformed key (truncated)"));
  CHECK_THAT(why(decode_key(from_hex(std::string{doc_key} + "00"))),
             Catch::Contains("malformed key (bytes left over)"));
  CHECK_THAT(why(decode_key(from_hex("7caf000267"))), Catch::Contains("malformed key"));
  CHECK_THAT(why(decode_key(from_hex("7caf0002673100"))),
             Catch::Contains("malformed key (bytes left over)"));
  CHECK_THAT(why(decode_offset(from_hex("0003000000000000002a"))),
             Catch::Contains("malformed offset value (truncated)"));
  CHECK_THAT(why(decode_offset(from_hex(std::string{doc_value} + "00"))),
             Catch::Contains("malformed offset value (bytes left over)"));
  CHECK_THAT(why(decode_offset(from_hex("00050000000000000007"))),
             Catch::Contains("unknown offset commit value version"));
  CHECK_THAT(why(decode_offset(from_hex(""))), Catch::Contains("malformed offset value"));
  // Group values: a negative member count, a count the bytes cannot hold, a negative string
  // length, a truncated value, an unknown version.
  std::string head = "7caf0000000572616e6765000000090000000000000002";
  CHECK_THAT(why(decode_group(from_hex(head + "ffffffff"))),
             Catch::Contains("negative count"));
  CHECK_THAT(why(decode_group(from_hex(head + "7fffffff"))),
             Catch::Contains("array length beyond the message"));
  CHECK_THAT(why(decode_group(from_hex("7caffffffffe"))), Catch::Contains("negative length"));
  CHECK_THAT(why(decode_group(from_hex(std::string{doc_group_value}.substr(0, 120)))),
             Catch::Contains("truncated"));
  CHECK_THAT(why(decode_group(from_hex("7cb1"))),
             Catch::Contains("unknown group value version 31921"));
  // A classic member whose classic_info is cut short.
  auto cut = std::string{doc_group_value};
  cut.replace(cut.size() - 2, 2, "01");
  CHECK_THAT(why(decode_group(from_hex(cut))), Catch::Contains("truncated"));
}

TEST_CASE("a classic member's join settings survive the group record", "[group]") {
  group_record rec;
  rec.assignor = "cooperative-sticky";
  member_record m{
    "py-1-2", "static-a", member_epoch{4}, member_epoch{3}, true, false, {"t"}, {}, {}};
  m.classic = true;
  m.protocol = "cooperative-sticky";
  m.session_timeout_ms = 45000;
  m.rebalance_timeout_ms = 300000;
  m.assignment_version = 1;
  m.client_id = "py";
  m.client_host = "/127.0.0.1";
  rec.members.push_back(m);
  rec.members.push_back(
    {"actor-1", "", member_epoch{4}, member_epoch{3}, true, false, {"t"}, {}, {}});
  auto v = decode_group(encode(rec));
  REQUIRE(v);
  REQUIRE(v->members.size() == 2);
  auto& c = v->members[0];
  CHECK(c.classic);
  CHECK(c.protocol == "cooperative-sticky");
  CHECK(c.session_timeout_ms == 45000);
  CHECK(c.rebalance_timeout_ms == 300000);
  CHECK(c.assignment_version == 1);
  CHECK(c.client_id == "py");
  CHECK(c.client_host == "/127.0.0.1");
  CHECK(c.instance_id == "static-a");
  CHECK_FALSE(v->members[1].classic);
  CHECK(v->members[1].protocol.empty());
  // Values no JoinGroup could have given are refused, not served.
  auto bad = [&](auto change) {
    auto r = rec;
    change(r.members[0]);
    return why(decode_group(encode(r)));
  };
  CHECK_THAT(bad([](member_record& x) { x.session_timeout_ms = 0; }),
             Catch::Contains("a classic session timeout outside [6000, 1800000] ms"));
  CHECK_THAT(bad([](member_record& x) { x.rebalance_timeout_ms = -1; }),
             Catch::Contains("a classic rebalance timeout that is not positive"));
  CHECK_THAT(bad([](member_record& x) { x.assignment_version = 4; }),
             Catch::Contains("a consumer protocol version outside 0-3"));
  auto flag2 = std::string{doc_group_value};
  flag2.replace(flag2.size() - 2, 2, "02");
  CHECK_THAT(why(decode_group(from_hex(flag2))),
             Catch::Contains("a classic flag other than 0 or 1"));
}

TEST_CASE("group ids must fit a Kafka string", "[group]") {
  CHECK(errc_of(validate_group_id("")) == errc::invalid_group_id);
  CHECK_FALSE(validate_group_id(std::string(max_string_size, 'g')));
  CHECK(errc_of(validate_group_id(std::string(max_string_size + 1, 'g')))
        == errc::invalid_group_id);
  auto longest = std::string(max_string_size, 'g');
  auto k = decode_key(offset_key(longest, {"t", partition_id{0}}));
  REQUIRE(k);
  CHECK(k->group == longest);
  auto gk = decode_key(group_key(longest));
  REQUIRE(gk);
  CHECK(gk->group == longest);
}
