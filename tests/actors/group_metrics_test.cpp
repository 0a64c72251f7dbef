// A group manager's series in its node's metrics: members, generation and state follow the
// group, each generation bump counts a rebalance and logs a "rebalance" event, and a deleted
// group's series are gone.
#include <catch2/catch.hpp>

#include "actors/group/group_manager.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/fake_broker.hpp"
#include "tests/actors/metrics_probe.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

struct manager_fixture {
  test_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<metrics::node_metrics> metrics = std::make_shared<metrics::node_metrics>();
  broker_actor broker = fake_broker(sys, true);
  group_manager_actor manager;

  manager_fixture() {
    group_manager_config mc;
    mc.core.group = "g1";
    mc.offsets_tp = topic_partition{"__consumer_offsets", partition_id{0}};
    mc.coordinator = node_id{1};
    mc.broker = broker;
    topic_metadata t;
    t.name = "t";
    t.partitions.resize(2);
    t.partitions[1].id = partition_id{1};
    mc.md.topics.push_back(std::move(t));
    mc.metrics = metrics;
    manager = spawn_group_manager(sys, std::move(mc));
  }

  ~manager_fixture() {
    caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
  }

  // A heartbeat from `member`, a scoped actor that stays alive (the manager monitors it).
  caf::expected<group_heartbeat_response> heartbeat(caf::scoped_actor& member,
                                                    group_heartbeat_request req) {
    req.group = "g1";
    caf::expected<group_heartbeat_response> out = make_error(errc::request_timed_out);
    member->request(manager, request_timeout, group_heartbeat_atom::value, std::move(req))
      .receive([&](group_heartbeat_response& r) { out = std::move(r); },
               [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  caf::expected<group_description> describe() {
    return ask<group_description>(sys, manager, describe_group_atom::value, std::string{"g1"});
  }

  std::optional<double> value(const std::string& name, std::vector<std::string> labels = {"g1"}) {
    return metric_value(metrics->registry, name, labels);
  }
};

group_heartbeat_request join(std::string member_id) {
  group_heartbeat_request req;
  req.member_id = std::move(member_id);
  req.member_epoch = join_epoch;
  req.topics = {"t"};
  return req;
}

} // namespace

TEST_CASE_METHOD(manager_fixture,
                 "a group's members, generation and state show in the node's metrics, each "
                 "rebalance counted and logged",
                 "[actors][group][metrics]") {
  // A new group: generation 0, no members.
  CHECK(eventually([&] { return value("cafka_group_generation") == 0.0; }));
  CHECK(value("cafka_group_members") == 0.0);
  CHECK(value("cafka_group_state", {"g1", "Empty"}) == 1.0);
  CHECK(value("cafka_group_rebalances_total") == 0.0);
  caf::scoped_actor a{sys};
  auto ra = heartbeat(a, join("member-a"));
  REQUIRE(ra);
  auto d = describe();
  REQUIRE(d);
  CHECK(value("cafka_group_generation") == static_cast<double>(d->group_epoch.value));
  CHECK(value("cafka_group_members") == 1.0);
  CHECK(value("cafka_group_rebalances_total") == static_cast<double>(d->group_epoch.value));
  CHECK(event_texts(metrics->events, "rebalance")
        == std::vector<std::string>{"group g1: generation " + to_string(d->group_epoch)
                                    + ", 1 members"});
  caf::scoped_actor b{sys};
  REQUIRE(heartbeat(b, join("member-b")));
  d = describe();
  REQUIRE(d);
  CHECK(value("cafka_group_generation") == static_cast<double>(d->group_epoch.value));
  CHECK(value("cafka_group_members") == 2.0);
  CHECK(value("cafka_group_rebalances_total") == static_cast<double>(d->group_epoch.value));
  auto events = event_texts(metrics->events, "rebalance");
  REQUIRE(events.size() == 2);
  CHECK(events.back()
        == "group g1: generation " + to_string(d->group_epoch) + ", 2 members");
  // The state series is the one state the group is in.
  CHECK(value("cafka_group_state", {"g1", d->state}) == 1.0);
  CHECK_FALSE(value("cafka_group_state", {"g1", "Empty"}));
}

TEST_CASE_METHOD(manager_fixture, "a deleted group's series leave the node's metrics",
                 "[actors][group][metrics]") {
  {
    caf::scoped_actor a{sys};
    auto r = heartbeat(a, join("member-a"));
    REQUIRE(r);
    auto leave = join("member-a");
    leave.member_epoch = leave_epoch;
    REQUIRE(heartbeat(a, leave));
  }
  CHECK(value("cafka_group_members") == 0.0);
  CHECK(value("cafka_group_state", {"g1", "Empty"}) == 1.0);
  group_admin_request del;
  del.op = static_cast<uint8_t>(group_admin_op::delete_group);
  del.group = "g1";
  auto res = ask<group_admin_response>(sys, manager, group_admin_atom::value, del);
  REQUIRE(res);
  CHECK_FALSE(value("cafka_group_members"));
  CHECK_FALSE(value("cafka_group_generation"));
  CHECK_FALSE(value("cafka_group_rebalances_total"));
  CHECK_FALSE(value("cafka_group_state", {"g1", "Empty"}));
}
