// The controller's replication requests on a real quorum: alter_isr and its epoch checks,
// init_pid across controllers, preferred leader election, and unclean leader election on or
// off.
#include <catch2/catch.hpp>

#include "tests/actors/quorum_fixture.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

alter_isr_request isr_change(const std::string& topic, const partition_metadata& pm,
                             std::vector<node_id> isr) {
  return alter_isr_request{topic_partition{topic, pm.id}, pm.leader, pm.epoch,
                           pm.partition_epoch, std::move(isr)};
}

// One member (node 1, the controller), brokers 8 and 9, and topic `name` of one partition
// on both: that partition as created.
partition_metadata one_member_with_topic(quorum_fixture& q, const std::string& name) {
  q.start(1);
  REQUIRE(q.wait_leader(q.live()) == node_id{1});
  REQUIRE(q.add_broker(node_id{8}, 1));
  REQUIRE(q.add_broker(node_id{9}, 1));
  auto t = ask<topic_metadata>(q.sys, q.members[node_id{1}], create_topic_atom::value,
                               create_topic_request{name, 1, 2});
  REQUIRE(t);
  return t->partitions.at(0);
}

// A controlled shutdown of broker b (incarnation 1), through node 1.
void shut_down(quorum_fixture& q, node_id b) {
  REQUIRE(ask<caf::ok_atom>(q.sys, q.members[node_id{1}], shutdown_atom::value, b,
                            uint64_t{1}));
}

} // namespace

TEST_CASE_METHOD(quorum_fixture, "alter_isr commits an ISR change and rejects a stale epoch",
                 "[actors][quorum]") {
  start(3);
  auto leader = wait_leader(live());
  REQUIRE(leader != no_node);
  REQUIRE(add_broker(node_id{8}, 1));
  REQUIRE(add_broker(node_id{9}, 1));
  auto t = ask<topic_metadata>(sys, members[leader], create_topic_atom::value,
                               create_topic_request{"r", 1, 2});
  REQUIRE(t);
  auto pm = t->partitions.at(0);
  REQUIRE(pm.isr.size() == 2);
  auto follower = leader == node_id{1} ? node_id{2} : node_id{1};

  // Shrink to the leader alone, through a follower (which delegates to the controller).
  auto shrink = isr_change("r", pm, {pm.leader});
  auto res = ask<partition_metadata>(sys, members[follower], alter_isr_atom::value, shrink);
  REQUIRE(res);
  CHECK(res->isr == std::vector<node_id>{pm.leader});
  CHECK(res->partition_epoch == pm.partition_epoch + 1);
  CHECK(res->epoch == pm.epoch);
  CHECK(res->leader == pm.leader);

  // The same request again carries an old partition epoch.
  auto stale = ask<partition_metadata>(sys, members[leader], alter_isr_atom::value, shrink);
  REQUIRE_FALSE(stale);
  CHECK(errc_of(stale.error()) == errc::stale_epoch);
  // So does one with an old leader epoch.
  auto old_epoch = isr_change("r", *res, pm.replicas);
  old_epoch.epoch = old_epoch.epoch - 1;
  stale = ask<partition_metadata>(sys, members[leader], alter_isr_atom::value, old_epoch);
  REQUIRE_FALSE(stale);
  CHECK(errc_of(stale.error()) == errc::stale_epoch);
  // A malformed ISR is invalid_request.
  auto empty_isr = isr_change("r", *res, {});
  auto bad = ask<partition_metadata>(sys, members[leader], alter_isr_atom::value, empty_isr);
  REQUIRE_FALSE(bad);
  CHECK(errc_of(bad.error()) == errc::invalid_request);

  // Expand again from the current epochs; every member applies it.
  auto grown = ask<partition_metadata>(sys, members[leader], alter_isr_atom::value,
                                       isr_change("r", *res, pm.replicas));
  REQUIRE(grown);
  CHECK(grown->isr == pm.replicas);
  CHECK(grown->partition_epoch == pm.partition_epoch + 2);
  for (auto id : live())
    CHECK(eventually([&] {
      auto md = ask<cluster_metadata>(sys, members[id], metadata_atom::value);
      auto p = md ? md->find_partition(topic_partition{"r", partition_id{0}}) : nullptr;
      return p != nullptr && p->partition_epoch == grown->partition_epoch
             && p->isr == pm.replicas;
    }));
}

TEST_CASE_METHOD(quorum_fixture, "init_pid hands out distinct increasing producer ids",
                 "[actors][quorum]") {
  start(3);
  auto leader = wait_leader(live());
  REQUIRE(leader != no_node);
  auto follower = leader == node_id{1} ? node_id{2} : node_id{1};
  std::vector<producer_id> ids;
  for (auto via : {leader, follower, leader, follower}) {
    auto pid = ask<producer_id>(sys, members[via], init_pid_atom::value);
    REQUIRE(pid);
    ids.push_back(*pid);
  }
  for (size_t i = 1; i < ids.size(); ++i)
    CHECK(ids[i] > ids[i - 1]);
  CHECK(ids.front() >= producer_id{0});

  // A new controller continues after the last id the old one handed out.
  kill(leader);
  REQUIRE(wait_leader(live()) != no_node);
  producer_id next = no_producer_id;
  REQUIRE(eventually([&] {
    auto l = agreed_leader(live());
    if (l == no_node)
      return false;
    auto pid = ask<producer_id>(sys, members[l], init_pid_atom::value);
    if (pid)
      next = *pid;
    return static_cast<bool>(pid);
  }, 15s));
  CHECK(next > ids.back());
}

TEST_CASE_METHOD(quorum_fixture,
                 "preferred leader election moves leadership back to a re-registered broker",
                 "[actors][quorum]") {
  auto start_pm = one_member_with_topic(*this, "pref");
  auto preferred = start_pm.replicas.at(0);
  auto other = start_pm.replicas.at(1);
  REQUIRE(start_pm.leader == preferred);

  // The preferred broker shuts down: the other replica leads, the ISR is just the other.
  shut_down(*this, preferred);
  auto moved = partition("pref", 0);
  REQUIRE(moved);
  REQUIRE(moved->leader == other);
  REQUIRE(moved->isr == std::vector<node_id>{other});

  // It comes back (a new process) and the leader lets it into the ISR once caught up.
  REQUIRE(add_broker(preferred, 2));
  auto back = partition("pref", 0);
  REQUIRE(back);
  CHECK(back->leader == other);
  auto grown = ask<partition_metadata>(sys, members[node_id{1}], alter_isr_atom::value,
                                       isr_change("pref", *back, {other, preferred}));
  REQUIRE(grown);
  CHECK(grown->isr == start_pm.replicas);

  // The next imbalance check gives the leadership back, with new epochs.
  CHECK(eventually([&] {
    auto p = partition("pref", 0);
    return p && p->leader == preferred;
  }));
  auto now = partition("pref", 0);
  REQUIRE(now);
  CHECK(now->epoch == grown->epoch + 1);
  CHECK(now->partition_epoch == grown->partition_epoch + 1);
  CHECK(now->isr == start_pm.replicas);
}

TEST_CASE_METHOD(quorum_fixture,
                 "with unclean election enabled a fence elects an out-of-sync replica",
                 "[actors][quorum]") {
  unclean = true;
  auto pm = one_member_with_topic(*this, "u");
  auto other = pm.replicas.at(1);
  auto shrunk = ask<partition_metadata>(sys, members[node_id{1}], alter_isr_atom::value,
                                        isr_change("u", pm, {pm.leader}));
  REQUIRE(shrunk);
  shut_down(*this, pm.leader);
  auto now = partition("u", 0);
  REQUIRE(now);
  CHECK(now->leader == other);
  CHECK(now->isr == std::vector<node_id>{other});
  CHECK(now->epoch == shrunk->epoch + 1);
  CHECK(now->partition_epoch == shrunk->partition_epoch + 1);
}

TEST_CASE_METHOD(quorum_fixture,
                 "with unclean election disabled the partition goes offline instead",
                 "[actors][quorum]") {
  auto pm = one_member_with_topic(*this, "c");
  REQUIRE(ask<partition_metadata>(sys, members[node_id{1}], alter_isr_atom::value,
                                  isr_change("c", pm, {pm.leader})));
  shut_down(*this, pm.leader);
  auto now = partition("c", 0);
  REQUIRE(now);
  CHECK(now->leader == no_node);
  CHECK(now->isr == std::vector<node_id>{pm.leader});
}
