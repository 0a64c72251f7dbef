// Per-topic configs: validation with Kafka's messages, the incremental and replacing
// operations, the effective config a replica runs with, and the metadata state machine's
// config and partition commands (placement of added partitions, snapshots, per-topic unclean
// election).
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_state.hpp"
#include "runtime/cluster/topic_config.hpp"

using namespace cafka;

namespace {

std::string error_text(const caf::error& err) {
  REQUIRE(err);
  return context_of(err);
}

metadata_state brokers(int n) {
  metadata_state st;
  for (int32_t id = 1; id <= n; ++id)
    REQUIRE_FALSE(st.apply(register_broker_cmd{broker_metadata{
                                                 node_id{id}, "127.0.0.1",
                                                 static_cast<uint16_t>(9100 + id), true, 1}})
                    .error);
  return st;
}

config_op set(std::string name, std::string value) {
  return {std::move(name), config_op_kind::set, std::move(value)};
}

} // namespace

TEST_CASE("topic config values are checked with Kafka's messages", "[cluster][config]") {
  CHECK(error_text(validate_topic_config("retention.mss", "1"))
        == "Unknown topic config name: retention.mss");
  CHECK(error_text(validate_topic_config("min.insync.replicas", "0"))
        == "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1");
  CHECK(error_text(validate_topic_config("min.insync.replicas", "two"))
        == "Invalid value two for configuration min.insync.replicas: Not a number of type INT");
  CHECK(error_text(validate_topic_config("segment.bytes", "4294967296"))
        == "Invalid value 4294967296 for configuration segment.bytes: Not a number of type "
           "INT");
  CHECK(error_text(validate_topic_config("retention.ms", "-2"))
        == "Invalid value -2 for configuration retention.ms: Value must be at least -1");
  CHECK(error_text(validate_topic_config("unclean.leader.election.enable", "yes"))
        == "Invalid value yes for configuration unclean.leader.election.enable: Expected "
           "value to be either true or false");
  CHECK(error_text(validate_topic_config("message.timestamp.type", "logappendtime"))
        == "Invalid value logappendtime for configuration message.timestamp.type: String "
           "must be one of: CreateTime, LogAppendTime");
  CHECK(error_text(validate_topic_config("min.cleanable.dirty.ratio", "1.5"))
        == "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be "
           "between 0 and 1");
  for (auto v : {"nan", "NAN", "inf", "-inf", ""})
    CHECK(errc_of(validate_topic_config("min.cleanable.dirty.ratio", v))
          == errc::invalid_config);
  CHECK_FALSE(validate_topic_config("compression.type", "zstd"));
  CHECK_FALSE(validate_topic_config("cleanup.policy", "compact,delete"));
  CHECK_FALSE(validate_topic_config("retention.bytes", "-1"));
  CHECK(errc_of(validate_topic_config("flush.ms", "x")) == errc::invalid_config);
}

TEST_CASE("the effective config is the overrides over the cluster defaults",
          "[cluster][config]") {
  broker_defaults d;
  d.min_insync_replicas = 2;
  d.log.retention_ms = 1000;
  auto c = effective_topic_config(d, "t", {{"cleanup.policy", "compact"},
                                           {"message.timestamp.type", "LogAppendTime"},
                                           {"min.insync.replicas", "3"},
                                           {"segment.bytes", "65536"}});
  CHECK(c.min_insync_replicas == 3);
  CHECK(c.log.segment_bytes == 65536);
  CHECK(c.log.retention_ms == 1000);
  CHECK(c.cleanup_compact);
  CHECK_FALSE(c.cleanup_delete);
  CHECK(c.message_timestamp_type == timestamp_type::log_append_time);
  auto plain = effective_topic_config(d, "t", {});
  CHECK(plain.min_insync_replicas == 2);
  CHECK(plain.cleanup_delete);
  CHECK_FALSE(plain.cleanup_compact);
  // __consumer_offsets is compacted and never loses records to retention.
  auto offsets = effective_topic_config(d, "__consumer_offsets", {});
  CHECK(offsets.cleanup_compact);
  CHECK_FALSE(offsets.cleanup_delete);
  CHECK(offsets.log.retention_ms == -1);
}

TEST_CASE("config operations set, remove, append and subtract as Kafka's",
          "[cluster][config]") {
  std::vector<topic_config_entry> now{{"retention.ms", "1000"}};
  SECTION("incremental changes keep the other overrides") {
    auto out = apply_config_ops("t", now,
                                {set("min.insync.replicas", "2"),
                                 {"cleanup.policy", config_op_kind::append, "compact"}},
                                false);
    REQUIRE(out);
    CHECK(*out == std::vector<topic_config_entry>{{"cleanup.policy", "delete,compact"},
                                                  {"min.insync.replicas", "2"},
                                                  {"retention.ms", "1000"}});
    auto back = apply_config_ops("t", *out,
                                 {{"cleanup.policy", config_op_kind::subtract, "delete"},
                                  {"retention.ms", config_op_kind::remove, ""}},
                                 false);
    REQUIRE(back);
    CHECK(*back == std::vector<topic_config_entry>{{"cleanup.policy", "compact"},
                                                   {"min.insync.replicas", "2"}});
  }
  SECTION("replace makes the overrides exactly the set ones") {
    auto out = apply_config_ops("t", now, {set("segment.bytes", "2048")}, true);
    REQUIRE(out);
    CHECK(*out == std::vector<topic_config_entry>{{"segment.bytes", "2048"}});
  }
  SECTION("refusals") {
    auto dup = apply_config_ops("t", now, {set("flush.ms", "1"), set("flush.ms", "2")}, false);
    CHECK(errc_of(dup.error()) == errc::invalid_request);
    CHECK(context_of(dup.error()) == "Error due to duplicate config keys");
    auto append = apply_config_ops(
      "t", now, {{"min.insync.replicas", config_op_kind::append, "2"}}, false);
    CHECK(context_of(append.error())
          == "Config value append is not allowed for config key: min.insync.replicas");
    auto empty = apply_config_ops(
      "t", {}, {{"cleanup.policy", config_op_kind::subtract, "delete"}}, false);
    CHECK(context_of(empty.error())
          == "Invalid value  for configuration cleanup.policy: Empty list is not allowed");
    auto bad = apply_config_ops("t", now, {set("retention.ms", "soon")}, false);
    CHECK(errc_of(bad.error()) == errc::invalid_config);
    auto unknown = apply_config_ops("t", now, {set("log.retention.ms", "1")}, false);
    CHECK(context_of(unknown.error()) == "Unknown topic config name: log.retention.ms");
  }
}

TEST_CASE("the metadata state keeps topic configs through commands and snapshots",
          "[cluster][config]") {
  auto st = brokers(3);
  auto created = st.apply(create_topic_cmd{create_topic_request{
    "t", 1, 3, {{"min.insync.replicas", "3"}, {"cleanup.policy", "compact"}}}});
  REQUIRE_FALSE(created.error);
  // Sorted by name.
  CHECK(created.topic.configs == std::vector<topic_config_entry>{{"cleanup.policy", "compact"},
                                                                 {"min.insync.replicas", "3"}});
  auto v = st.current().version;
  REQUIRE_FALSE(st.apply(alter_topic_configs_cmd{{"t", {set("min.insync.replicas", "2")}}})
                  .error);
  CHECK(st.current().version == v + 1);
  CHECK(find_config(st.current().find_topic("t")->configs, "min.insync.replicas") == "2");
  // validate_only and a change to the same values leave the version alone.
  REQUIRE_FALSE(
    st.apply(alter_topic_configs_cmd{{"t", {set("min.insync.replicas", "1")}, false, true}})
      .error);
  REQUIRE_FALSE(st.apply(alter_topic_configs_cmd{{"t", {set("min.insync.replicas", "2")}}})
                  .error);
  CHECK(st.current().version == v + 1);
  auto bad = st.apply(alter_topic_configs_cmd{{"t", {set("min.insync.replicas", "0")}}});
  CHECK(errc_of(bad.error) == errc::invalid_config);
  auto unknown = st.apply(alter_topic_configs_cmd{{"nope", {set("flush.ms", "1")}}});
  CHECK(errc_of(unknown.error) == errc::unknown_topic_or_partition);
  auto refused = st.apply(create_topic_cmd{create_topic_request{"u", 1, 1, {{"x", "1"}}}});
  CHECK(errc_of(refused.error) == errc::invalid_config);
  CHECK(st.current().find_topic("u") == nullptr);

  metadata_state back;
  REQUIRE_FALSE(back.from_bytes(st.to_bytes()));
  CHECK(back.current().find_topic("t")->configs == st.current().find_topic("t")->configs);
  CHECK(back.to_bytes() == st.to_bytes());
}

TEST_CASE("added partitions continue the topic's placement", "[cluster][config]") {
  auto st = brokers(3);
  REQUIRE_FALSE(st.apply(create_topic_cmd{create_topic_request{"t", 3, 2}}).error);
  auto before = *st.current().find_topic("t");
  auto grown = st.apply(create_partitions_cmd{{"t", 6, false}});
  REQUIRE_FALSE(grown.error);
  REQUIRE(grown.topic.partitions.size() == 6);
  for (size_t p = 0; p < 3; ++p)  // the old partitions are untouched
    CHECK(grown.topic.partitions[p].replicas == before.partitions[p].replicas);
  for (size_t p = 3; p < 6; ++p) {
    auto& pm = grown.topic.partitions[p];
    CHECK(pm.id == partition_id{static_cast<int32_t>(p)});
    CHECK(pm.replicas.size() == 2);
    CHECK(pm.leader == pm.replicas.front());
    CHECK(pm.isr == pm.replicas);
    // Round-robin: partition p has the replicas partition p - 3 has.
    CHECK(pm.replicas == before.partitions[p - 3].replicas);
  }
  auto shrink = st.apply(create_partitions_cmd{{"t", 4, false}});
  CHECK(errc_of(shrink.error) == errc::invalid_partitions);
  CHECK(context_of(shrink.error)
        == "Topic currently has 6 partitions, which is higher than the requested 4.");
  CHECK(errc_of(st.apply(create_partitions_cmd{{"nope", 4, false}}).error)
        == errc::unknown_topic_or_partition);
  auto v = st.current().version;
  REQUIRE_FALSE(st.apply(create_partitions_cmd{{"t", 9, true}}).error);  // validate only
  CHECK(st.current().find_topic("t")->partitions.size() == 6);
  CHECK(st.current().version == v);
  // Fewer live brokers than the topic's replication factor.
  REQUIRE_FALSE(st.apply(fence_broker_cmd{node_id{2}}).error);
  REQUIRE_FALSE(st.apply(fence_broker_cmd{node_id{3}}).error);
  CHECK(errc_of(st.apply(create_partitions_cmd{{"t", 7, false}}).error)
        == errc::invalid_replication_factor);
}

TEST_CASE("a topic's unclean.leader.election.enable overrides the cluster's",
          "[cluster][config]") {
  // One topic on two brokers whose ISR shrank to its leader; the leader is fenced. Returns
  // the partition's leader afterwards.
  auto after_fence = [](std::vector<topic_config_entry> configs, bool cluster_unclean) {
    auto st = brokers(2);
    REQUIRE_FALSE(st.apply(create_topic_cmd{create_topic_request{"t", 1, 2, configs}}).error);
    topic_partition tp{"t", partition_id{0}};
    auto pm = *st.current().find_partition(tp);
    REQUIRE_FALSE(st.apply(alter_isr_cmd{alter_isr_request{tp, pm.leader, pm.epoch,
                                                           pm.partition_epoch, {pm.leader}}})
                    .error);
    REQUIRE_FALSE(st.apply(fence_broker_cmd{pm.leader, 0, false, cluster_unclean}).error);
    return std::make_pair(st.current().find_partition(tp)->leader, pm.replicas[1]);
  };
  auto on = std::vector<topic_config_entry>{{"unclean.leader.election.enable", "true"}};
  auto off = std::vector<topic_config_entry>{{"unclean.leader.election.enable", "false"}};
  auto [l1, follower1] = after_fence(on, false);
  CHECK(l1 == follower1);  // the topic allows it although the cluster does not
  auto [l2, follower2] = after_fence(off, true);
  CHECK(l2 == no_node);    // the topic forbids it although the cluster allows it
  auto [l3, follower3] = after_fence({}, true);
  CHECK(l3 == follower3);  // no override: the cluster's
  auto [l4, follower4] = after_fence({}, false);
  CHECK(l4 == no_node);
}
