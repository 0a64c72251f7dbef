// Tests of how a Kafka session maps OffsetCommit and OffsetFetch onto the group manager's
// messages and back (runtime/kafka/offset_rules): committed metadata and leader epochs are
// carried both ways, metadata over Kafka's 4096 bytes is refused per partition, a commit too
// large for one batch of the offsets topic is refused whole, and the messages keep both
// fields between nodes.
//
// kafka-python bytes: /usr/bin/python3 -c 'from kafka.protocol.commit import *; x = X;
//   print(x.encode().hex())' with X as given above each hex string (kafka-python 2.0.2).

#include <catch2/catch.hpp>

#include <algorithm>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "runtime/group/group_records.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/offset_rules.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;
using cafka::leader_epoch;
using cafka::log_offset;
using cafka::member_epoch;
using cafka::no_member_epoch;
using cafka::partition_id;
using cafka::partition_offset;
using cafka::topic_partition;

namespace {

// OffsetCommitRequest_v2(consumer_group='g1', consumer_group_generation_id=-1,
//   consumer_id='', retention_time=-1, topics=[('t1', [(0, 42, 'my-metadata'),
//   (1, 7, None)]), ('t2', [(3, 9, '')])])
const char* kafka_python_commit =
  "00026731ffffffff0000ffffffffffffffff00000002000274310000000200000000000000000000002a000b"
  "6d792d6d65746164617461000000010000000000000007ffff0002743200000001000000030000000000000009"
  "0000";

constexpr size_t one_mb = 1048588;  // message.max.bytes' default

std::vector<int16_t> errors_of(const offset_commit_response& x) {
  std::vector<int16_t> out;
  for (auto& t : x.topics)
    for (auto& p : t.partitions)
      out.push_back(p.error_code);
  return out;
}

} // namespace

TEST_CASE("an OffsetCommit carries each partition's metadata to the group, a null one as \"\"",
          "[kafka][offset]") {
  auto split = split_commit(decoded<offset_commit_request>(2, kafka_python_commit), one_mb);
  CHECK(split.commit.group == "g1");
  CHECK(split.commit.member_id.empty());
  CHECK(split.commit.member_epoch == no_member_epoch);
  REQUIRE(split.commit.offsets.size() == 3);
  auto& first = split.commit.offsets[0];
  CHECK(first.tp == topic_partition{"t1", partition_id{0}});
  CHECK(first.offset == log_offset{42});
  CHECK(first.metadata == "my-metadata");
  CHECK(first.leader_epoch == cafka::no_leader_epoch);  // v2 has none
  CHECK(split.commit.offsets[1].metadata.empty());
  CHECK(split.commit.offsets[2].tp == topic_partition{"t2", partition_id{3}});
  // OffsetCommitResponse_v2(topics=[('t1', [(0, 0), (1, 0)]), ('t2', [(3, 0)])])
  CHECK(encoded(2, split.response)
        == "0000000200027431000000020000000000000000000100000002743200000001000000030000");
}

TEST_CASE("an OffsetCommit v6+ carries the committed leader epoch", "[kafka][offset]") {
  offset_commit_request req;
  req.group_id = "g1";
  req.generation_id = 4;
  req.member_id = "m-1";
  req.topics = {{"t1", {{0, 42, 7, -1, std::string{"m"}}}}};
  auto split = split_commit(req, one_mb);
  REQUIRE(split.commit.offsets.size() == 1);
  CHECK(split.commit.offsets[0].leader_epoch == leader_epoch{7});
  CHECK(split.commit.member_id == "m-1");
  CHECK(split.commit.member_epoch == member_epoch{4});
}

TEST_CASE("metadata over 4096 bytes gets OFFSET_METADATA_TOO_LARGE for its partition only, "
          "as in Kafka",
          "[kafka][offset]") {
  offset_commit_request req;
  req.group_id = "g1";
  req.topics = {{"t1",
                 {{0, 10, -1, -1, std::string(4096, 'a')},
                  {1, 11, -1, -1, std::string(4097, 'b')},
                  {2, 12, -1, -1, std::nullopt}}}};
  auto split = split_commit(req, one_mb);
  REQUIRE(split.commit.offsets.size() == 2);
  CHECK(split.commit.offsets[0].metadata.size() == 4096);
  CHECK(split.commit.offsets[1].tp.partition == partition_id{2});
  CHECK(errors_of(split.response) == std::vector<int16_t>{0, 12, 0});
  // A failure of the store answers the stored partitions, the refused one keeps its 12.
  fail_commit(split.response, error_code::not_coordinator);
  CHECK(errors_of(split.response) == std::vector<int16_t>{16, 12, 16});
  // All of them too large: nothing to store.
  req.topics = {{"t1", {{0, 10, -1, -1, std::string(5000, 'c')}}}};
  split = split_commit(req, one_mb);
  CHECK(split.commit.offsets.empty());
  CHECK(errors_of(split.response) == std::vector<int16_t>{12});
}

TEST_CASE("a commit whose records would not fit in one batch of message.max.bytes is stored "
          "nowhere and answered INVALID_COMMIT_OFFSET_SIZE, as in Kafka",
          "[kafka][offset]") {
  // 300 partitions with 4096 bytes of metadata each: about 1.24 MB of records.
  offset_commit_request req;
  req.group_id = "bg";
  auto& t = req.topics.emplace_back();
  t.name = "big";
  for (int32_t p = 0; p < 300; ++p)
    t.partitions.push_back({p, 1, -1, -1, std::string(4096, 'm')});
  t.partitions.push_back({300, 1, -1, -1, std::string(4097, 'm')});
  auto split = split_commit(req, one_mb);
  CHECK(split.commit.offsets.empty());
  auto errors = errors_of(split.response);
  REQUIRE(errors.size() == 301);
  CHECK(std::count(errors.begin(), errors.end(), 28) == 300);
  CHECK(errors.back() == 12);
  // The same partitions fit a larger limit, and 200 of them fit the default.
  CHECK(split_commit(req, 2 * one_mb).commit.offsets.size() == 300);
  t.partitions.resize(200);
  CHECK(split_commit(req, one_mb).commit.offsets.size() == 200);
}

TEST_CASE("commit_write_size bounds the batch the group manager writes for a commit",
          "[kafka][offset]") {
  cafka::offset_commit_request commit{"group-1", "", no_member_epoch, {}};
  for (int32_t p = 0; p < 50; ++p)
    commit.offsets.push_back({{"topic-" + std::to_string(p % 7), partition_id{p}},
                              log_offset{int64_t{1} << (p % 60)}, leader_epoch{p - 1},
                              std::string(p * 40, 'x')});
  cafka::batch_builder b;
  for (auto& po : commit.offsets)
    b.append(1700000000000, cafka::group::offset_key(commit.group, po.tp),
             cafka::group::encode(cafka::group::offset_record{
               po.offset, 1700000000000, no_member_epoch, po.leader_epoch, po.metadata}));
  auto real = b.finish().size();
  auto bound = commit_write_size(commit);
  CHECK(bound >= real);
  CHECK(bound < real + commit.offsets.size() * 40);  // the varints' widest framing
}

TEST_CASE("an OffsetFetch answer gives back the committed metadata and leader epoch",
          "[kafka][offset]") {
  std::vector<partition_offset> offsets{
    {{"t1", partition_id{0}}, log_offset{42}, leader_epoch{3}, "my-metadata"},
    {{"t2", partition_id{3}}, log_offset{9}, cafka::no_leader_epoch, ""},
    {{"t1", partition_id{1}}, log_offset{7}}};
  auto out = fetch_answer(offsets);
  REQUIRE(out.topics.size() == 2);
  CHECK(out.topics[0].partitions[0].committed_leader_epoch == 3);
  CHECK(out.topics[0].partitions[1].metadata == std::optional<std::string>{""});
  // OffsetFetchResponse_v3(throttle_time_ms=0, topics=[('t1', [(0, 42, 'my-metadata', 0),
  //   (1, 7, '', 0)]), ('t2', [(3, 9, '', 0)])], error_code=0)
  CHECK(encoded(3, out)
        == "0000000000000002000274310000000200000000000000000000002a000b6d792d6d65746164617461"
           "0000000000010000000000000007000000000002743200000001000000030000000000000009000000"
           "000000");
  // v5 adds committed_leader_epoch before the metadata (by schema)
  CHECK(encoded(5, out)
        == "0000000000000002000274310000000200000000000000000000002a00000003000b6d792d6d657461"
           "646174610000000000010000000000000007ffffffff000000000002743200000001000000030000000"
           "000000009ffffffff000000000000");
}

TEST_CASE("committed offsets keep their metadata and leader epoch between nodes",
          "[kafka][offset]") {
  cafka::offset_commit_request req{
    "g1", "m-1", member_epoch{4},
    {{{"t1", partition_id{0}}, log_offset{42}, leader_epoch{3}, "meta"}}};
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  REQUIRE_FALSE(sink(req));
  cafka::offset_commit_request back;
  caf::binary_deserializer source{nullptr, buf};
  REQUIRE_FALSE(source(back));
  REQUIRE(back.offsets.size() == 1);
  CHECK(back.offsets[0].offset == log_offset{42});
  CHECK(back.offsets[0].leader_epoch == leader_epoch{3});
  CHECK(back.offsets[0].metadata == "meta");
}
