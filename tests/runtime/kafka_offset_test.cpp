// Tests of the OffsetCommit and OffsetFetch codecs against the bytes real clients send and
// expect.
//
// kafka-python bytes: /usr/bin/python3 -c 'from kafka.protocol.commit import *; x = X;
//   print(x.encode().hex())' with X as given above each hex string (kafka-python 2.0.2).
// librdkafka bytes: /usr/bin/python3 tests/tools/kafka_capture/capture_librdkafka.py S with
// S = range | static (confluent-kafka 1.7.0 on librdkafka 2.0.2): commit(offsets=
// [TopicPartition('t1', 0, 42)]) and committed([TopicPartition('t1', 0), ...]).
// "By schema" bytes were written field by field from Kafka's message JSON.

#include <catch2/catch.hpp>

#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/offset_codec.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

TEST_CASE("OffsetCommit v1 from kafka-python carries commit timestamps", "[kafka][offset]") {
  // OffsetCommitRequest_v1(consumer_group='g1', consumer_group_generation_id=4,
  //   consumer_id='m-1', topics=[('t1', [(0, 42, 1700000000000, ''), (1, 7, -1, None)])])
  auto req = decoded<offset_commit_request>(
    1, "000267310000000400036d2d3100000001000274310000000200000000000000000000002a"
       "0000018bcfe568000000000000010000000000000007ffffffffffffffffffff");
  CHECK(req.group_id == "g1");
  CHECK(req.generation_id == 4);
  CHECK(req.member_id == "m-1");
  CHECK(req.retention_time_ms == -1);
  REQUIRE(req.topics.size() == 1);
  REQUIRE(req.topics[0].partitions.size() == 2);
  const auto& p0 = req.topics[0].partitions[0];
  CHECK(p0.committed_offset == 42);
  CHECK(p0.commit_timestamp == 1700000000000);
  CHECK(p0.committed_leader_epoch == -1);
  CHECK(p0.committed_metadata == std::optional<std::string>{""});
  const auto& p1 = req.topics[0].partitions[1];
  CHECK(p1.partition_index == 1);
  CHECK(p1.commit_timestamp == -1);
  CHECK_FALSE(p1.committed_metadata.has_value());
}

TEST_CASE("OffsetCommit v2 and v3 from kafka-python carry retention", "[kafka][offset]") {
  // OffsetCommitRequest_v2(consumer_group='g1', consumer_group_generation_id=-1,
  //   consumer_id='', retention_time=-1, topics=[('t1', [(0, 42, 'meta')]), ('t2', [])])
  auto standalone = decoded<offset_commit_request>(
    2, "00026731ffffffff0000ffffffffffffffff00000002000274310000000100000000000000"
       "000000002a00046d6574610002743200000000");
  CHECK(standalone.generation_id == -1);
  CHECK(standalone.member_id.empty());
  CHECK(standalone.retention_time_ms == -1);
  REQUIRE(standalone.topics.size() == 2);
  CHECK(standalone.topics[0].partitions[0].committed_metadata
        == std::optional<std::string>{"meta"});
  CHECK(standalone.topics[1].partitions.empty());
  // OffsetCommitRequest_v3(consumer_group='g1', consumer_group_generation_id=4,
  //   consumer_id='m-1', retention_time=86400000, topics=[('t1', [(0, 42, 'meta')])])
  auto v3 = decoded<offset_commit_request>(
    3, "000267310000000400036d2d310000000005265c0000000001000274310000000100000000"
       "000000000000002a00046d657461");
  CHECK(v3.retention_time_ms == 86400000);
  CHECK(v3.topics[0].partitions[0].commit_timestamp == -1);
}

TEST_CASE("OffsetCommit v7 from librdkafka carries epochs and instance ids",
          "[kafka][offset]") {
  // range
  auto dyn = decoded<offset_commit_request>(
    7, "000267310000000100036d2d31ffff0000000100027431000000010000000000000000000000"
       "2affffffff0000");
  CHECK(dyn.generation_id == 1);
  CHECK_FALSE(dyn.group_instance_id.has_value());
  CHECK(dyn.retention_time_ms == -1);
  REQUIRE(dyn.topics.size() == 1);
  REQUIRE(dyn.topics[0].partitions.size() == 1);
  CHECK(dyn.topics[0].partitions[0].committed_offset == 42);
  CHECK(dyn.topics[0].partitions[0].committed_leader_epoch == -1);
  CHECK(dyn.topics[0].partitions[0].committed_metadata == std::optional<std::string>{""});
  // static
  auto stat = decoded<offset_commit_request>(
    7, "000267310000000100036d2d310006696e73742d3100000001000274310000000100000000"
       "000000000000002affffffff0000");
  CHECK(stat.group_instance_id == std::optional<std::string>{"inst-1"});
}

TEST_CASE("OffsetCommit responses match kafka-python", "[kafka][offset]") {
  offset_commit_response resp;
  resp.throttle_time_ms = 8;
  resp.topics = {{"t1", {{0, 0}, {1, code(error_code::illegal_generation)}}}};
  // OffsetCommitResponse_v2(topics=[('t1', [(0, 0), (1, 22)])]); v1 alike
  CHECK(encoded(1, resp) == "000000010002743100000002000000000000000000010016");
  CHECK(encoded(2, resp) == "000000010002743100000002000000000000000000010016");
  // OffsetCommitResponse_v3(throttle_time_ms=8, <as v2>); v4-v7 alike by schema
  for (int16_t v = 3; v <= 7; ++v)
    CHECK(encoded(v, resp) == "00000008000000010002743100000002000000000000000000010016");
}

TEST_CASE("OffsetFetch requests decode, null topics from v2 on", "[kafka][offset]") {
  // OffsetFetchRequest_v1(consumer_group='g1', topics=[('t1', [0, 1]), ('t2', [3])])
  auto v1 = decoded<offset_fetch_request>(
    1, "000267310000000200027431000000020000000000000001000274320000000100000003");
  REQUIRE(v1.topics.has_value());
  REQUIRE(v1.topics->size() == 2);
  CHECK((*v1.topics)[0].partition_indexes == std::vector<int32_t>{0, 1});
  CHECK((*v1.topics)[1].name == "t2");
  // OffsetFetchRequest_v3(consumer_group='g1', topics=None): every committed partition
  auto all = decoded<offset_fetch_request>(3, "00026731ffffffff");
  CHECK(all.group_id == "g1");
  CHECK_FALSE(all.topics.has_value());
  // ... but v1 has no null topics
  CHECK(decode_error<offset_fetch_request>(1, "00026731ffffffff") == "null array");
  // librdkafka (range) committed([TopicPartition('t1', 0), TopicPartition('t2', 1)]), v5
  auto rd = decoded<offset_fetch_request>(
    5, "0002673100000002000274310000000100000000000274320000000100000001");
  REQUIRE(rd.topics.has_value());
  CHECK((*rd.topics)[1].partition_indexes == std::vector<int32_t>{1});
}

TEST_CASE("OffsetFetch responses match kafka-python and the schema", "[kafka][offset]") {
  offset_fetch_response resp;
  resp.topics = {{"t1", {{0, 42, 3, std::string{"meta"}, 0}, {1, -1, -1, std::string{}, 0}}}};
  const char* parts = "00000001000274310000000200000000000000000000002a00046d657461000000000001ffff"
                      "ffffffffffff00000000";
  // OffsetFetchResponse_v1(topics=[('t1', [(0, 42, 'meta', 0), (1, -1, '', 0)])])
  CHECK(encoded(1, resp) == parts);
  // OffsetFetchResponse_v2(<as v1>, error_code=0)
  CHECK(encoded(2, resp) == std::string{parts} + "0000");
  // OffsetFetchResponse_v3(throttle_time_ms=3, <as v1>, error_code=14); v4 alike
  resp.throttle_time_ms = 3;
  resp.error_code = code(error_code::coordinator_load_in_progress);
  CHECK(encoded(3, resp) == std::string{"00000003"} + parts + "000e");
  CHECK(encoded(4, resp) == std::string{"00000003"} + parts + "000e");
  // v5 adds committed_leader_epoch (by schema); a null metadata stays null
  offset_fetch_response v5;
  v5.topics = {{"t1", {{0, 42, 3, std::string{"meta"}, 0}, {1, -1, -1, std::nullopt, 0}}}};
  CHECK(encoded(5, v5)
        == "0000000000000001000274310000000200000000000000000000002a0000000300046d6574610000000"
           "00001ffffffffffffffffffffffffffff00000000");
}

TEST_CASE("offset decoders refuse malformed bodies", "[kafka][offset]") {
  SECTION("a truncated commit (no metadata)") {
    CHECK(decode_error<offset_commit_request>(
            7, "000267310000000100036d2d31ffff000000010002743100000001000000000000000000"
               "00002affffffff")
          == "truncated");
  }
  SECTION("a partition count beyond the bytes") {
    // 0x00100000 partitions of at least 14 bytes
    CHECK(decode_error<offset_commit_request>(
            7, "000267310000000100036d2d31ffff0000000100027431001000000000000000")
          == "array length beyond the message");
  }
  SECTION("a null topic array in a commit") {
    // v7: group, generation, member, a null instance id, then the null array
    CHECK(decode_error<offset_commit_request>(7, "000267310000000100036d2d31ffffffffffff")
          == "null array");
  }
  SECTION("a negative partition count in a fetch") {
    CHECK(decode_error<offset_fetch_request>(5, "000267310000000100027431fffffffe")
          == "negative array length");
  }
}
