// Tests of the CreateTopics / DeleteTopics rules that need no cluster state: duplicates,
// refused configs and assignments in Kafka's order, -1 defaults, and the Kafka error of a
// controller's answer.

#include <catch2/catch.hpp>

#include <algorithm>
#include <climits>

#include <caf/sec.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/kafka/topic_admin_rules.hpp"

using namespace cafka;
using namespace cafka::kafka;
using Catch::Matchers::Contains;

namespace {

using creatable = create_topics_request::creatable_topic;

creatable new_topic(std::string name, int32_t partitions = -1, int16_t rf = -1) {
  creatable t;
  t.name = std::move(name);
  t.num_partitions = partitions;
  t.replication_factor = rf;
  return t;
}

} // namespace

TEST_CASE("duplicate_names lists each repeated name once", "[kafka][admin]") {
  CHECK(duplicate_names({}).empty());
  CHECK(duplicate_names({"a", "b", "c"}).empty());
  CHECK(duplicate_names({"a", "b", "a", "a", "c", "b"}) == std::set<std::string>{"a", "b"});
}

TEST_CASE("a plain new topic passes", "[kafka][admin]") {
  CHECK(check_new_topic(new_topic("t"), broker_defaults{}).ok());
  CHECK(check_new_topic(new_topic("t", 3, 1), broker_defaults{}).ok());
  // Names and upper bounds are the controller's to check.
  CHECK(check_new_topic(new_topic("a b", 100000, 1000), broker_defaults{}).ok());
}

TEST_CASE("counts below 1 other than -1 are refused", "[kafka][admin]") {
  auto n = GENERATE(0, -2, INT32_MIN);
  CAPTURE(n);
  auto p = check_new_topic(new_topic("t", n, 1), broker_defaults{});
  CHECK(p.code == error_code::invalid_partitions);
  CHECK(p.message == "Number of partitions must be larger than 0.");
  auto r = check_new_topic(new_topic("t", 1, static_cast<int16_t>(std::max(n, -32768))),
                           broker_defaults{});
  CHECK(r.code == error_code::invalid_replication_factor);
  CHECK(r.message == "Replication factor must be larger than 0.");
  // A config error comes after them.
  auto t = new_topic("t", n, 1);
  t.configs = {{"nope", std::string{"x"}}};
  CHECK(check_new_topic(t, broker_defaults{}).code == error_code::invalid_partitions);
}

TEST_CASE("valid configs are accepted as Kafka parses them", "[kafka][admin]") {
  auto t = new_topic("t", 1, 1);
  t.configs = {{"cleanup.policy", std::string{"compact, delete"}},
               {"retention.ms", std::string{" 3600000 "}},
               {"unclean.leader.election.enable", std::string{"FALSE"}},
               {"message.timestamp.type", std::string{"LogAppendTime"}}};
  CHECK(check_new_topic(t, broker_defaults{}).ok());
  auto req = resolve_new_topic(t, broker_defaults{});
  REQUIRE(req.configs.size() == 4);
  CHECK(req.configs[0] == topic_config_entry{"cleanup.policy", "compact,delete"});
  CHECK(req.configs[1] == topic_config_entry{"message.timestamp.type", "LogAppendTime"});
  CHECK(req.configs[2] == topic_config_entry{"retention.ms", "3600000"});
  CHECK(req.configs[3] == topic_config_entry{"unclean.leader.election.enable", "false"});
}

TEST_CASE("invalid configs are INVALID_CONFIG with Kafka's message", "[kafka][admin]") {
  auto t = new_topic("t", 1, 1);
  SECTION("a value out of range") {
    t.configs = {{"segment.bytes", std::string{"1073741824"}},
                 {"min.insync.replicas", std::string{"0"}}};
    auto e = check_new_topic(t, broker_defaults{});
    CHECK(e.code == error_code::invalid_config);
    CHECK(e.message == "Invalid value 0 for configuration min.insync.replicas: Value must be "
                       "at least 1");
  }
  SECTION("not a choice") {
    t.configs = {{"cleanup.policy", std::string{"compact,shred"}}};
    auto e = check_new_topic(t, broker_defaults{});
    CHECK(e.code == error_code::invalid_config);
    CHECK(e.message == "Invalid value compact,shred for configuration cleanup.policy: String "
                       "must be one of: compact, delete");
  }
  SECTION("a name given twice") {
    t.configs = {{"retention.ms", std::string{"1"}}, {"retention.ms", std::string{"2"}}};
    auto e = check_new_topic(t, broker_defaults{});
    CHECK(e.code == error_code::invalid_config);
    CHECK(e.message == "Duplicate config name: retention.ms");
  }
  SECTION("an unknown name") {
    t.configs = {{"retention.mss", std::string{"1"}}};
    auto e = check_new_topic(t, broker_defaults{});
    CHECK(e.code == error_code::invalid_config);
    CHECK(e.message == "Unknown topic config name: retention.mss");
  }
  SECTION("a broker config name is not a topic config") {
    t.configs = {{"log.retention.ms", std::string{"604800000"}}};
    CHECK(check_new_topic(t, broker_defaults{}).code == error_code::invalid_config);
  }
}

TEST_CASE("null config values are INVALID_REQUEST before anything else", "[kafka][admin]") {
  auto t = new_topic("t", 2, 1);
  t.configs = {{"retention.ms", std::nullopt}, {"nope", std::string{"x"}},
               {"flush.ms", std::nullopt}};
  t.assignments = {{0, {1}}};
  auto e = check_new_topic(t, broker_defaults{});
  CHECK(e.code == error_code::invalid_request);
  CHECK(e.message == "Null value not supported for topic configs: retention.ms,flush.ms");
}

TEST_CASE("manual replica assignments are refused", "[kafka][admin]") {
  auto t = new_topic("t");
  t.assignments = {{0, {1, 2}}, {1, {2, 1}}};
  t.configs = {{"nope", std::string{"x"}}};  // assignments are checked first
  SECTION("alone: INVALID_REPLICA_ASSIGNMENT") {
    auto e = check_new_topic(t, broker_defaults{});
    CHECK(e.code == error_code::invalid_replica_assignment);
    REQUIRE(e.message);
    CHECK_THAT(*e.message, Contains("manual replica assignments are not supported"));
  }
  SECTION("with a partition count or replication factor: INVALID_REQUEST") {
    t.num_partitions = GENERATE(-1, 2);
    t.replication_factor = t.num_partitions == -1 ? 2 : -1;
    auto e = check_new_topic(t, broker_defaults{});
    CHECK(e.code == error_code::invalid_request);
    REQUIRE(e.message);
    CHECK_THAT(*e.message, Contains("Both cannot be used at the same time"));
  }
}

TEST_CASE("resolve_new_topic replaces -1 by the cluster defaults only", "[kafka][admin]") {
  broker_defaults d;
  d.num_partitions = 6;
  d.default_replication_factor = 3;
  auto r = resolve_new_topic(new_topic("t"), d);
  CHECK(r.name == "t");
  CHECK(r.partitions == 6);
  CHECK(r.replication_factor == 3);
  r = resolve_new_topic(new_topic("t", 2, 1), d);
  CHECK(r.partitions == 2);
  CHECK(r.replication_factor == 1);
  // Other negatives stay, for the controller to refuse.
  r = resolve_new_topic(new_topic("t", -2, -3), d);
  CHECK(r.partitions == -2);
  CHECK(r.replication_factor == -3);
}

TEST_CASE("admin_error_of maps the controller's answers to Kafka's", "[kafka][admin]") {
  auto with = [](errc x) { return admin_error_of(make_error(x, "why")); };
  CHECK(with(errc::topic_already_exists).code == error_code::topic_already_exists);
  CHECK(with(errc::topic_already_exists).message == "why");
  CHECK(with(errc::invalid_partitions).code == error_code::invalid_partitions);
  CHECK(with(errc::invalid_replication_factor).code == error_code::invalid_replication_factor);
  CHECK(with(errc::invalid_topic).code == error_code::invalid_topic_exception);
  CHECK(with(errc::unknown_topic_or_partition).code == error_code::unknown_topic_or_partition);
  CHECK(with(errc::invalid_request).code == error_code::invalid_request);
  CHECK(with(errc::request_timed_out).code == error_code::request_timed_out);
  // The quorum or this broker cannot take it now: clients look for the controller again.
  for (auto x : {errc::not_controller, errc::broker_not_available, errc::shutting_down,
                 errc::broker_fenced, errc::stale_epoch}) {
    CAPTURE(to_string(x));
    CHECK(with(x).code == error_code::not_controller);
    CHECK(with(x).message == "why");
  }
  auto timeout = admin_error_of(caf::make_error(caf::sec::request_timeout));
  CHECK(timeout.code == error_code::request_timed_out);
  CHECK(timeout.message == "timed out waiting for the controller");
  auto gone = admin_error_of(caf::make_error(caf::sec::request_receiver_down));
  CHECK(gone.code == error_code::not_controller);
}
