// The durable encoding of metadata commands (Raft log entries) and of the metadata state
// machine's snapshot: round trips, bytes written by earlier versions, exact errors.
// docs/metadata-format.md has the grammar.
//
// "Written before the durable encoding" fixtures are what commit e5e7511 wrote (commands with
// CAF's binary serializer, snapshots as Boost text archives), printed by
//   sh tests/tools/durable_fixtures/print_fixtures.sh
// The format 1 and 2 fixtures are the bytes the tests of that commit built with
// caf::binary_serializer (fields as commented).
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_state.hpp"
#include "tests/runtime/durable_test_util.hpp"

using namespace cafka;
using cafka::test::hex;
using cafka::test::unhex;

namespace {

broker_metadata broker(int32_t id, uint64_t incarnation = 1) {
  return broker_metadata{node_id{id}, "127.0.0.1", static_cast<uint16_t>(9100 + id), true,
                         incarnation};
}

std::vector<node_id> nodes(std::initializer_list<int32_t> ids) {
  std::vector<node_id> out;
  for (auto i : ids)
    out.push_back(node_id{i});
  return out;
}

std::string decode_error(const std::string& bytes) {
  auto cmd = decode_command(bytes);
  REQUIRE_FALSE(cmd);
  CHECK(errc_of(cmd.error()) == errc::corrupt_message);
  return describe(cmd.error());
}

// The metadata of print_fixtures.cpp: brokers 1 and 2 (with a listener each), topic
// "orders" of 2 partitions on both, one producer id handed out.
metadata_state fixture_state() {
  metadata_state st;
  for (int32_t id = 1; id <= 2; ++id) {
    auto b = broker_metadata{node_id{id}, "10.0.0." + std::to_string(id),
                             static_cast<uint16_t>(9100 + id), true,
                             7000u + static_cast<uint64_t>(id)};
    b.listeners = {listener_endpoint{"PLAINTEXT", "127.0.0.1",
                                     static_cast<uint16_t>(9090 + id)}};
    REQUIRE(!st.apply(register_broker_cmd{b, false, "c1-abc"}).error);
  }
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"orders", 2, 2}}).error);
  st.apply(allocate_producer_id_cmd{});
  return st;
}

} // namespace

TEST_CASE("metadata commands survive encode and decode", "[cluster]") {
  std::vector<metadata_command> cmds{
    register_broker_cmd{broker(2, 77)},
    fence_broker_cmd{node_id{3}, 9, true},
    unfence_broker_cmd{node_id{3}, 9},
    create_topic_cmd{create_topic_request{"orders", 6, 3}},
    delete_topic_cmd{"orders"},
    alter_isr_cmd{alter_isr_request{topic_partition{"orders", partition_id{4}}, node_id{2},
                                    leader_epoch{7}, partition_epoch{11}, nodes({2, 3})}},
    allocate_producer_id_cmd{},
    elect_preferred_cmd{},
    register_broker_cmd{broker(2, 78), true},
    fence_broker_cmd{node_id{3}, 9, false, true},
    unfence_broker_cmd{node_id{3}, 9, true},
    upsert_credential_cmd{scram_credential{"alice", scram_mechanism::sha_256, "salt", 4096,
                                           std::string(32, 's'), std::string(32, 'k')}},
    delete_credential_cmd{"alice", scram_mechanism::sha_512},
    create_acls_cmd{{acl_binding{}}},
    delete_acls_cmd{{acl_filter{}}},
    alter_topic_configs_cmd{alter_topic_configs_request{
      "orders",
      {{"retention.ms", config_op_kind::set, "1000"}, {"flush.ms", config_op_kind::remove, ""}},
      true,
      false}},
    create_partitions_cmd{create_partitions_request{"orders", 9, true}},
    create_topic_cmd{create_topic_request{"c", 1, 1, {{"cleanup.policy", "compact"}}}},
    alter_reassignments_cmd{alter_reassignments_request{
      {{topic_partition{"orders", partition_id{1}}, nodes({2, 3, 4}), false},
       {topic_partition{"orders", partition_id{2}}, {}, true}},
      1000}},
    decommission_broker_cmd{decommission_request{node_id{3}, true, 0}},
  };
  for (auto& c : cmds) {
    auto bytes = encode(c);
    auto back = decode_command(bytes);
    REQUIRE(back);
    CHECK(back->index() == c.index());
    CHECK(encode(*back) == bytes);
    CHECK(describe_command(*back) == describe_command(c));
  }
  auto t = std::get<create_topic_cmd>(*decode_command(encode(cmds[3])));
  CHECK(t.req.name == "orders");
  CHECK(t.req.partitions == 6);
  CHECK(t.req.replication_factor == 3);
  auto a = std::get<alter_isr_cmd>(*decode_command(encode(cmds[5])));
  CHECK(a.req.tp == topic_partition{"orders", partition_id{4}});
  CHECK(a.req.leader == node_id{2});
  CHECK(a.req.epoch == leader_epoch{7});
  CHECK(a.req.partition_epoch == partition_epoch{11});
  CHECK(a.req.isr == nodes({2, 3}));
  CHECK_FALSE(std::get<register_broker_cmd>(*decode_command(encode(cmds[0]))).unclean);
  CHECK(std::get<register_broker_cmd>(*decode_command(encode(cmds[8]))).unclean);
  auto f = std::get<fence_broker_cmd>(*decode_command(encode(cmds[9])));
  CHECK(f.unclean);
  CHECK_FALSE(f.controlled);
  CHECK(std::get<unfence_broker_cmd>(*decode_command(encode(cmds[10]))).unclean);
  auto ac = std::get<alter_topic_configs_cmd>(*decode_command(encode(cmds[15])));
  CHECK(ac.req.topic == "orders");
  REQUIRE(ac.req.ops.size() == 2);
  CHECK(ac.req.ops[0].name == "retention.ms");
  CHECK(ac.req.ops[0].op == config_op_kind::set);
  CHECK(ac.req.ops[0].value == "1000");
  CHECK(ac.req.ops[1].op == config_op_kind::remove);
  CHECK(ac.req.replace);
  CHECK_FALSE(ac.req.validate_only);
  auto cp = std::get<create_partitions_cmd>(*decode_command(encode(cmds[16])));
  CHECK(cp.req.topic == "orders");
  CHECK(cp.req.count == 9);
  CHECK(cp.req.validate_only);
  auto ar = std::get<alter_reassignments_cmd>(*decode_command(encode(cmds[18])));
  REQUIRE(ar.req.partitions.size() == 2);
  CHECK(ar.req.partitions[0].tp == topic_partition{"orders", partition_id{1}});
  CHECK(ar.req.partitions[0].replicas == nodes({2, 3, 4}));
  CHECK_FALSE(ar.req.partitions[0].cancel);
  CHECK(ar.req.partitions[1].cancel);
  CHECK(ar.req.throttle == 1000);
  auto dc = std::get<decommission_broker_cmd>(*decode_command(encode(cmds[19])));
  CHECK(dc.req.id == node_id{3});
  CHECK(dc.req.cancel);
  CHECK(dc.req.throttle == 0);
  auto ct = std::get<create_topic_cmd>(*decode_command(encode(cmds[17])));
  REQUIRE(ct.req.configs.size() == 1);
  CHECK(ct.req.configs[0] == topic_config_entry{"cleanup.policy", "compact"});
}

TEST_CASE("commands written before the durable encoding decode and encode to the same bytes",
          "[cluster][durable]") {
  // Format 3, one command of every kind (print_fixtures.sh).
  auto reg = unhex("03 00 00000002 08 31302e302e302e32 238e 01 0000000000001b5a"
                   "   01 09 504c41494e54455854 09 3132372e302e302e31 2384"
                   " 01 06 63312d616263");
  auto fence = unhex("03 01 00000003 0000000000000009 01 00");
  auto unfence = unhex("03 02 00000004 0000000000000005 01");
  auto create = unhex("03 03 06 6f7264657273 00000006 00000003");
  std::string name_hex;
  for (int i = 0; i < 200; ++i)
    name_hex += "74";  // 't': a length of 200 takes a 2-byte uvarint
  auto del = unhex("03 04 c801" + name_hex);
  auto alter = unhex("03 05 06 6f7264657273 00000005 00000001 00000004 00000007"
                     " 02 00000001 00000003");
  auto alloc = unhex("03 06");
  auto elect = unhex("03 07");
  // Format 6 has the same fields for these kinds but create_topic, which ends with its
  // configs (none: a count of 0).
  for (auto& bytes : {reg, fence, unfence, create, del, alter, alloc, elect}) {
    auto cmd = decode_command(bytes);
    REQUIRE(cmd);
    auto configs = bytes == create ? std::string(1, '\0') : std::string{};
    CHECK(hex(encode(*cmd)) == hex("\x06" + bytes.substr(1) + configs));
  }
  // Format 4: the same create_topic bytes.
  auto create_v4 = "\x04" + create.substr(1);
  REQUIRE(decode_command(create_v4));
  CHECK(hex(encode(*decode_command(create_v4))) == hex("\x06" + create.substr(1) + '\0'));
  auto r = std::get<register_broker_cmd>(*decode_command(reg));
  CHECK(r.broker.id == node_id{2});
  CHECK(r.broker.host == "10.0.0.2");
  CHECK(r.broker.port == 9102);
  CHECK(r.broker.alive);
  CHECK(r.broker.incarnation == 7002);
  CHECK(r.broker.listeners
        == std::vector<listener_endpoint>{{"PLAINTEXT", "127.0.0.1", 9092}});
  CHECK(r.unclean);
  CHECK(r.cluster_id == "c1-abc");
  auto f = std::get<fence_broker_cmd>(*decode_command(fence));
  CHECK(f.id == node_id{3});
  CHECK(f.incarnation == 9);
  CHECK(f.controlled);
  CHECK_FALSE(f.unclean);
  auto u = std::get<unfence_broker_cmd>(*decode_command(unfence));
  CHECK(u.id == node_id{4});
  CHECK(u.incarnation == 5);
  CHECK(u.unclean);
  auto c = std::get<create_topic_cmd>(*decode_command(create));
  CHECK(c.req.name == "orders");
  CHECK(c.req.partitions == 6);
  CHECK(c.req.replication_factor == 3);
  CHECK(std::get<delete_topic_cmd>(*decode_command(del)).name == std::string(200, 't'));
  auto a = std::get<alter_isr_cmd>(*decode_command(alter));
  CHECK(a.req.tp == topic_partition{"orders", partition_id{5}});
  CHECK(a.req.leader == node_id{1});
  CHECK(a.req.epoch == leader_epoch{4});
  CHECK(a.req.partition_epoch == partition_epoch{7});
  CHECK(a.req.isr == nodes({1, 3}));
  CHECK(std::holds_alternative<allocate_producer_id_cmd>(*decode_command(alloc)));
  CHECK(std::holds_alternative<elect_preferred_cmd>(*decode_command(elect)));
}

TEST_CASE("format 1 commands from an older log decode with unclean election off",
          "[cluster][durable]") {
  // Format 1 had no unclean field: fence_broker was (id, incarnation, controlled).
  auto fence = decode_command(unhex("01 01 00000003 0000000000000009 01"));
  REQUIRE(fence);
  auto& f = std::get<fence_broker_cmd>(*fence);
  CHECK(f.id == node_id{3});
  CHECK(f.incarnation == 9);
  CHECK(f.controlled);
  CHECK_FALSE(f.unclean);
  auto unfence = decode_command(unhex("01 02 00000004 0000000000000005"));
  REQUIRE(unfence);
  CHECK(std::get<unfence_broker_cmd>(*unfence).incarnation == 5);
  CHECK_FALSE(std::get<unfence_broker_cmd>(*unfence).unclean);
  // register: broker 2 "127.0.0.1":9102, alive, incarnation 77.
  auto reg = decode_command(unhex("01 00 00000002 09 3132372e302e302e31 238e 01"
                                  " 000000000000004d"));
  REQUIRE(reg);
  CHECK(std::get<register_broker_cmd>(*reg).broker.incarnation == 77);
  CHECK_FALSE(std::get<register_broker_cmd>(*reg).unclean);
  auto del = decode_command(unhex("01 04 06 6f7264657273"));
  REQUIRE(del);
  CHECK(std::get<delete_topic_cmd>(*del).name == "orders");
  // Format 1 knew no kind 5 and beyond, and a format 2 field layout is not format 1.
  CHECK(decode_error(unhex("01 05")) == "corrupt_message: metadata command: format 1, kind 5 "
                                        "is unknown");
  CHECK(decode_error(unhex("01 01 00000003 0000000000000009 01 01"))
        == "corrupt_message: metadata command: format 1, kind 1: 1 bytes left over after "
           "byte 15");
}

TEST_CASE("format 2 registrations decode without listeners or cluster id",
          "[cluster][durable]") {
  // register: broker 3 "127.0.0.1":9103, alive, incarnation 12; unclean.
  auto reg = decode_command(unhex("02 00 00000003 09 3132372e302e302e31 238f 01"
                                  " 000000000000000c 01"));
  REQUIRE(reg);
  auto& r = std::get<register_broker_cmd>(*reg);
  CHECK(r.broker.id == node_id{3});
  CHECK(r.broker.incarnation == 12);
  CHECK(r.broker.listeners.empty());
  CHECK(r.unclean);
  CHECK(r.cluster_id.empty());
}

TEST_CASE("registrations carry Kafka listeners and the cluster id", "[cluster]") {
  auto b = broker(1, 5);
  b.listeners = {listener_endpoint{"PLAINTEXT", "127.0.0.1", 9092}};
  auto reg = decode_command(encode(register_broker_cmd{b, false, "c1-abc"}));
  REQUIRE(reg);
  auto& r = std::get<register_broker_cmd>(*reg);
  CHECK(r.broker.listeners == b.listeners);
  CHECK(r.cluster_id == "c1-abc");
  metadata_state st;
  st.apply(r);
  CHECK(st.current().cluster_id == "c1-abc");
  st.apply(register_broker_cmd{broker(2, 6), false, "other"});
  CHECK(st.current().cluster_id == "c1-abc"); // chosen once
}

TEST_CASE("truncated, unknown or overlong command bytes are an exact error",
          "[cluster][durable]") {
  auto bytes = encode(create_topic_cmd{create_topic_request{"orders", 6, 3}});
  for (size_t n = 0; n < bytes.size(); ++n)
    CHECK(errc_of(decode_command(std::string_view{bytes}.substr(0, n)).error())
          == errc::corrupt_message);
  CHECK(decode_error(bytes.substr(0, 1))
        == "corrupt_message: metadata command: truncated: 1 bytes needed at byte 1, 0 left");
  CHECK(decode_error(bytes.substr(0, 12))
        == "corrupt_message: metadata command: format 6, kind 3: truncated: 4 bytes needed "
           "at byte 9, 3 left");
  auto bad_kind = bytes;
  bad_kind[1] = 42;
  CHECK(decode_error(bad_kind) == "corrupt_message: metadata command: format 6, kind 42 is "
                                  "unknown");
  CHECK(decode_error(bytes + "x") == "corrupt_message: metadata command: format 6, kind 3: 1 "
                                     "bytes left over after byte 18");
  // Format 4 knows no topic config kinds.
  auto v4 = encode(create_partitions_cmd{create_partitions_request{"t", 2, false}});
  v4[0] = 4;
  CHECK(decode_error(v4) == "corrupt_message: metadata command: format 4, kind 13 is "
                            "unknown");
  // Format 5 knows no moves.
  auto v5 = encode(decommission_broker_cmd{decommission_request{node_id{2}, false, -1}});
  v5[0] = 5;
  CHECK(decode_error(v5) == "corrupt_message: metadata command: format 5, kind 15 is "
                            "unknown");
  // A newer format than this code knows, and format 0 (never written).
  auto newer = bytes;
  newer[0] = 7;
  CHECK(decode_error(newer) == "corrupt_message: metadata command: format 7 is unknown (this "
                               "cafka reads 1 to 6)");
  newer[0] = 0;
  CHECK(decode_error(newer) == "corrupt_message: metadata command: format 0 is unknown (this "
                               "cafka reads 1 to 6)");
}

TEST_CASE("a metadata snapshot round-trips through its bytes", "[cluster][durable]") {
  auto st = fixture_state();
  metadata_state back;
  REQUIRE_FALSE(back.from_bytes(st.to_bytes()));
  CHECK(back.to_bytes() == st.to_bytes());
  CHECK(back.current().cluster_id == "c1-abc");
  CHECK(back.current().next_producer_id == producer_id{1});
  REQUIRE(back.current().brokers.size() == 2);
  CHECK(back.current().brokers[1].listeners == st.current().brokers[1].listeners);
  REQUIRE(back.current().topics.size() == 1);
  CHECK(back.current().topics[0].partitions[1].replicas == nodes({2, 1}));
}

TEST_CASE("a metadata snapshot of version 3 decodes from its documented bytes",
          "[cluster][durable]") {
  // to_bytes() of fixture_state() before the access part: the first snapshot version of the
  // durable encoding.
  auto v3 = unhex(
    "03"                                      // snapshot version 3
    " 0000000000000003 06 63312d616263"       // metadata version 3, cluster id "c1-abc"
    " ffffffff 0000000000000001"              // no controller, next producer id 1
    " 02"                                     // 2 brokers:
    "   00000001 08 31302e302e302e31 238d 01 0000000000001b59"  // 1 10.0.0.1:9101 alive 7001
    "     01 09 504c41494e54455854 09 3132372e302e302e31 2383"  // PLAINTEXT 127.0.0.1:9091
    "   00000002 08 31302e302e302e32 238e 01 0000000000001b5a"
    "     01 09 504c41494e54455854 09 3132372e302e302e31 2384"
    " 01 06 6f7264657273 02"                  // 1 topic "orders", 2 partitions:
    "   00000000 00000001 00000000 00000000"  // 0: leader 1, epoch 0, partition epoch 0
    "     02 00000001 00000002 02 00000001 00000002"  // replicas [1, 2], ISR [1, 2]
    "   00000001 00000002 00000000 00000000"
    "     02 00000002 00000001 02 00000002 00000001");
  metadata_state st;
  REQUIRE_FALSE(st.from_bytes(v3));
  CHECK(st.to_bytes() == fixture_state().to_bytes());
  CHECK(st.access().version == 0);
  CHECK(st.access().credentials.empty());
  CHECK(st.access().acls.empty());
  // Version 6 writes the same cluster metadata, then the (empty) access metadata: version 0,
  // no credentials, no bindings; then the topics' configs: none; then the moves: no moving
  // partition, no broker being decommissioned, no throttle.
  CHECK(hex(fixture_state().to_bytes())
        == hex("\x06" + v3.substr(1)
               + unhex("0000000000000000 00 00 00 00 00 0000000000000000")));
  // Version 5: without the moves.
  metadata_state v5;
  REQUIRE_FALSE(v5.from_bytes("\x05" + v3.substr(1) + unhex("0000000000000000 00 00 00")));
  CHECK(v5.to_bytes() == fixture_state().to_bytes());
  // Version 4: without the configs.
  metadata_state v4;
  REQUIRE_FALSE(v4.from_bytes("\x04" + v3.substr(1) + unhex("0000000000000000 00 00")));
  CHECK(v4.to_bytes() == fixture_state().to_bytes());
}

TEST_CASE("a metadata snapshot of another version or cut short is an exact error",
          "[cluster][durable]") {
  auto good = fixture_state().to_bytes();
  auto error_of = [](const std::string& bytes) {
    metadata_state st = fixture_state();
    auto err = st.from_bytes(bytes);
    REQUIRE(err);
    CHECK(errc_of(err) == errc::storage_error);
    CHECK(st.to_bytes() == fixture_state().to_bytes());  // unchanged
    return describe(err);
  };
  // A Boost text archive, as written before the durable encoding (print_fixtures.sh).
  std::string boost_archive =
    "22 serialization::archive 18 0 2 3 0 0 -1 1 6 c1-abc 0 0 2 1 0 1 1 8 10.0.0.1 9101 1 "
    "7001 0 0 1 0 0 0 9 PLAINTEXT 9 127.0.0.1 9091 2 8 10.0.0.2 9102 1 7002 1 0 9 PLAINTEXT "
    "9 127.0.0.1 9092 0 0 1 0 0 0 6 orders 0 0 2 1 0 1 0 0 0 1 0 0 0 0 0 0 2 0 1 2 2 0 1 2 1 "
    "2 0 0 2 0 2 1 2 0 2 1\n";
  CHECK(error_of(boost_archive)
        == "storage_error: malformed metadata snapshot: a Boost text archive (versions 0-2, "
           "before cafka's durable encoding) is not read");
  auto newer = good;
  newer[0] = 7;
  CHECK(error_of(newer) == "storage_error: malformed metadata snapshot: version 7 is unknown "
                           "(this cafka reads 3 to 6)");
  // The last 8 bytes are the throttle.
  CHECK(error_of(good.substr(0, good.size() - 1))
        == "storage_error: malformed metadata snapshot: truncated: 8 bytes needed at byte "
           + std::to_string(good.size() - 8) + ", 7 left");
  // The moves part (10 bytes when empty) follows the count of topics with configs.
  auto no_moves = unhex("00 00 0000000000000000");
  auto configs_end = good.size() - no_moves.size();
  // A version 3 snapshot ends after the cluster metadata: version 5 bytes without their
  // access and configs parts are truncated.
  CHECK(error_of(good.substr(0, configs_end - 11))
        == "storage_error: malformed metadata snapshot: truncated: 8 bytes needed at byte "
           + std::to_string(configs_end - 11) + ", 0 left");
  // Configs of a topic the snapshot does not have, and invalid ones.
  auto stray = good.substr(0, configs_end - 1)
               + unhex("01 01 78 01 0c 726574656e74696f6e2e6d73 01 31")  // "x": retention.ms=1
               + no_moves;
  CHECK(error_of(stray) == "storage_error: malformed metadata snapshot: configs of topic 'x', "
                           "which it does not have");
  auto bad = good.substr(0, configs_end - 1)
             + unhex("01 06 6f7264657273 01 0c 726574656e74696f6e2e6d73 01 7a")  // "z"
             + no_moves;
  CHECK(error_of(bad) == "storage_error: malformed metadata snapshot: configs of topic "
                         "'orders': Invalid value z for configuration retention.ms: Not a "
                         "number of type LONG");
  CHECK(error_of("") == "storage_error: malformed metadata snapshot: truncated: 1 bytes "
                        "needed at byte 0, 0 left");
}
