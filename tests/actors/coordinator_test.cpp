// The coordinator quorum in one process: 1, 3 and 5 members on disk-backed Raft storage, real
// timers. Leader death, minority partitions (through the fault table every quorum message
// passes), healing, a full restart from disk, and the controller's replication requests
// (alter_isr, init_pid, unclean and preferred leader election).
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <optional>

#include "actors/coordinator/coordinator.hpp"
#include "runtime/chaos/fault_table.hpp"
#include "runtime/raft/disk_persistence.hpp"
#include "runtime/storage/posix_env.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/fake_broker.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

struct quorum_fixture {
  temp_dir dir; // destroyed last
  test_config cfg;
  caf::actor_system sys{cfg};
  std::vector<node_id> ids;
  std::map<node_id, coordinator_actor> members;
  std::chrono::milliseconds session_timeout = std::chrono::hours{1};
  int64_t imbalance_check_ms = 50;  // leader-imbalance-check-interval-ms
  bool unclean = false;             // unclean-leader-election-enable
  broker_actor broker; // a registered broker, so topics can be placed
  std::vector<broker_actor> more_brokers;
  // The quorum's network: one table that every member's node_send consults.
  std::shared_ptr<fault_table> faults = std::make_shared<fault_table>();

  ~quorum_fixture() {
    for (auto& kv : members)
      caf::anon_send_exit(kv.second, caf::exit_reason::user_shutdown);
    if (broker)
      caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
    for (auto& b : more_brokers)
      caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
  }

  void start(int n) {
    ids.clear();
    for (int i = 1; i <= n; ++i)
      ids.push_back(node_id{i});
    for (auto id : ids)
      start_member(id);
  }

  void start_member(node_id id) {
    coordinator_config cc;
    cc.self = id;
    cc.members = ids;
    cc.storage = std::make_shared<raft::disk_persistence>(
      (dir.path() / ("raft-" + std::to_string(id.value))).string(),
      std::make_shared<storage::posix_env>());
    cc.faults = faults;
    cc.raft.election_timeout_ticks = 6;
    cc.raft.heartbeat_ticks = 1;
    cc.raft.seed = static_cast<uint64_t>(id.value) * 7919;
    cc.tick = 20ms;
    cc.broker_session_timeout = session_timeout;
    cc.defaults.num_partitions = 2;
    cc.defaults.leader_imbalance_check_interval_ms = imbalance_check_ms;
    cc.defaults.unclean_leader_election_enable = unclean;
    members[id] = spawn_coordinator(sys, cc);
    introduce();
  }

  // Every member learns every other member's handle (the node supervisor does this over the
  // network in a real cluster).
  void introduce() {
    for (auto& a : members)
      for (auto& b : members)
        if (a.first != b.first)
          caf::anon_send(a.second, peer_atom::value, b.first,
                         caf::actor_cast<caf::strong_actor_ptr>(b.second));
  }

  void kill(node_id id) {
    caf::anon_send_exit(members[id], caf::exit_reason::kill);
    members.erase(id);
  }

  caf::expected<quorum_status> status(node_id id) {
    return ask<quorum_status>(sys, members[id], status_atom::value);
  }

  // The leader every member of `among` agrees on and that is one of them, or node_id{-1}.
  node_id agreed_leader(const std::vector<node_id>& among) {
    node_id leader{-1};
    for (auto id : among) {
      auto s = status(id);
      if (!s || s->leader == node_id{-1})
        return node_id{-1};
      if (leader == node_id{-1})
        leader = s->leader;
      else if (leader != s->leader)
        return node_id{-1};
    }
    if (std::find(among.begin(), among.end(), leader) == among.end())
      return node_id{-1};
    return leader;
  }

  node_id wait_leader(const std::vector<node_id>& among) {
    node_id leader{-1};
    eventually([&] {
      leader = agreed_leader(among);
      return leader != node_id{-1};
    }, 15s);
    return leader;
  }

  std::vector<node_id> live() const {
    std::vector<node_id> out;
    for (auto& kv : members)
      out.push_back(kv.first);
    return out;
  }

  // Registers one broker with the quorum (through any member), retrying while it elects.
  bool register_broker(broker_actor b, node_id id, uint64_t incarnation) {
    broker = b;
    return join(b, id, incarnation);
  }

  // Registers one more fake broker (first time, or again with a new incarnation).
  bool add_broker(node_id id, uint64_t incarnation) {
    more_brokers.push_back(fake_broker(sys));
    return join(more_brokers.back(), id, incarnation);
  }

  bool join(broker_actor b, node_id id, uint64_t incarnation) {
    broker_metadata bm{id, "127.0.0.1", static_cast<uint16_t>(9100 + id.value), true,
                       incarnation};
    return eventually([&] {
      auto l = agreed_leader(live());
      return l != node_id{-1}
             && static_cast<bool>(ask<cluster_metadata>(sys, members[l], register_atom::value,
                                                        bm, b));
    }, 15s);
  }

  // The controller's metadata (through the agreed leader).
  caf::expected<cluster_metadata> metadata() {
    auto l = agreed_leader(live());
    if (l == node_id{-1})
      return make_error(errc::not_controller, "no agreed leader");
    return ask<cluster_metadata>(sys, members[l], metadata_atom::value);
  }

  // The partition in the controller's metadata, if it can be read.
  std::optional<partition_metadata> partition(const std::string& topic, int32_t p) {
    auto md = metadata();
    if (!md)
      return std::nullopt;
    auto pm = md->find_partition(topic_partition{topic, partition_id{p}});
    if (pm == nullptr)
      return std::nullopt;
    return *pm;
  }

  caf::expected<topic_metadata> create(node_id via, const std::string& name) {
    return ask<topic_metadata>(sys, members[via], create_topic_atom::value,
                               create_topic_request{name, 1, 1});
  }

  bool has_topics(node_id id, const std::vector<std::string>& names) {
    auto s = status(id);
    if (!s)
      return false;
    auto md = ask<cluster_metadata>(sys, members[id], metadata_atom::value);
    if (!md)
      return false;
    for (auto& n : names)
      if (md->find_topic(n) == nullptr)
        return false;
    return true;
  }

  // Creates a topic, retrying on not_controller while an election settles.
  bool create_eventually(const std::string& name) {
    return eventually([&] {
      auto l = agreed_leader(live());
      if (l == node_id{-1})
        return false;
      auto t = create(l, name);
      return t || errc_of(t.error()) == errc::topic_already_exists;
    }, 15s);
  }
};

} // namespace

TEST_CASE_METHOD(quorum_fixture, "a quorum of 3 elects one controller and commits topics",
                 "[actors][quorum]") {
  start(3);
  auto leader = wait_leader(live());
  REQUIRE(leader != node_id{-1});
  REQUIRE(register_broker(fake_broker(sys), node_id{9}, 1));
  REQUIRE(create(leader, "a"));
  // A follower forwards controller requests to the leader.
  auto follower = leader == node_id{1} ? node_id{2} : node_id{1};
  REQUIRE(create(follower, "b"));
  auto dup = create(follower, "b");
  REQUIRE_FALSE(dup);
  CHECK(errc_of(dup.error()) == errc::topic_already_exists);
  for (auto id : live())
    CHECK(eventually([&] {
      auto s = status(id);
      return s && s->applied_index >= status(leader)->commit_index;
    }));
}

TEST_CASE_METHOD(quorum_fixture, "killing the leader elects a new one and keeps committed topics",
                 "[actors][quorum]") {
  start(3);
  auto first = wait_leader(live());
  REQUIRE(first != node_id{-1});
  REQUIRE(register_broker(fake_broker(sys), node_id{9}, 1));
  REQUIRE(create(first, "kept"));
  kill(first);
  auto second = wait_leader(live());
  REQUIRE(second != node_id{-1});
  CHECK(second != first);
  CHECK(eventually([&] { return has_topics(second, {"kept"}); }));

  REQUIRE(create_eventually("after"));
  CHECK(has_topics(second, {"kept", "after"}));
}

TEST_CASE_METHOD(quorum_fixture,
                 "a minority partition cannot commit, the majority can, healing converges",
                 "[actors][quorum]") {
  start(5);
  auto leader = wait_leader(live());
  REQUIRE(leader != node_id{-1});
  REQUIRE(register_broker(fake_broker(sys), node_id{9}, 1));
  REQUIRE(create(leader, "before"));
  // Cut the leader and one follower off from the other three.
  auto other = leader == node_id{1} ? node_id{2} : node_id{1};
  std::set<node_id> minority{leader, other};
  std::set<node_id> majority;
  for (auto id : ids)
    if (minority.count(id) == 0)
      majority.insert(id);
  faults->partition(minority, majority);
  std::vector<node_id> maj{majority.begin(), majority.end()};
  auto new_leader = wait_leader(maj);
  REQUIRE(new_leader != node_id{-1});
  CHECK(majority.count(new_leader) == 1);
  REQUIRE(eventually([&] {
    auto t = create(new_leader, "majority");
    return t || errc_of(t.error()) == errc::topic_already_exists;
  }, 15s));
  // The old leader cannot commit: its request fails (not_controller once check-quorum
  // deposes it, or the request times out).
  auto lost = ask<topic_metadata>(sys, members[leader], create_topic_atom::value,
                                  create_topic_request{"minority", 1, 1});
  CHECK_FALSE(lost);
  faults->heal();
  for (auto id : ids)
    CHECK(eventually([&] { return has_topics(id, {"before", "majority"}); }, 15s));
  for (auto id : ids) {
    auto md = ask<cluster_metadata>(sys, members[id], metadata_atom::value);
    REQUIRE(md);
    CHECK(md->find_topic("minority") == nullptr);
  }
}

TEST_CASE_METHOD(quorum_fixture, "a full restart from disk keeps every topic",
                 "[actors][quorum]") {
  start(3);
  REQUIRE(register_broker(fake_broker(sys), node_id{9}, 1));
  REQUIRE(create_eventually("one"));
  REQUIRE(create_eventually("two"));
  for (auto id : ids)
    kill(id);
  for (auto id : ids)
    start_member(id);
  REQUIRE(wait_leader(live()) != node_id{-1});
  for (auto id : ids)
    CHECK(eventually([&] { return has_topics(id, {"one", "two"}); }, 15s));
}

TEST_CASE_METHOD(quorum_fixture, "the controller fences a broker whose lease lapses",
                 "[actors][quorum]") {
  session_timeout = 600ms;
  start(3);
  auto leader = wait_leader(live());
  REQUIRE(leader != node_id{-1});
  auto b = fake_broker(sys);
  broker_metadata bm{node_id{7}, "127.0.0.1", 9107, true, 42};
  auto md = ask<cluster_metadata>(sys, members[leader], register_atom::value, bm, b);
  REQUIRE(md);
  REQUIRE(md->find_broker(node_id{7}) != nullptr);
  CHECK(md->find_broker(node_id{7})->alive);
  // No heartbeats: the lease (600 ms by default) lapses and the broker is fenced.
  CHECK(eventually([&] {
    auto m = ask<cluster_metadata>(sys, members[leader], metadata_atom::value);
    return m && m->find_broker(node_id{7}) && !m->find_broker(node_id{7})->alive;
  }));
  // A heartbeat of the same incarnation unfences it.
  caf::anon_send(members[leader], heartbeat_atom::value, node_id{7}, uint64_t{42}, uint64_t{0},
                 b);
  CHECK(eventually([&] {
    auto m = ask<cluster_metadata>(sys, members[leader], metadata_atom::value);
    return m && m->find_broker(node_id{7}) && m->find_broker(node_id{7})->alive;
  }));
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(quorum_fixture,
                 "a new controller fences at once a broker that died while it was following",
                 "[actors][quorum]") {
  // Leases of an hour: only the down message a follower saw can get a broker fenced in time.
  start(3);
  auto first = wait_leader(live());
  REQUIRE(first != node_id{-1});
  REQUIRE(add_broker(node_id{7}, 42));
  auto doomed = more_brokers.back();
  REQUIRE(add_broker(node_id{8}, 43));
  auto healthy = more_brokers.back();
  // Every member hears both brokers' heartbeats once it knows them (as in a real cluster).
  auto heartbeats = [&] {
    for (auto& kv : members) {
      caf::anon_send(kv.second, heartbeat_atom::value, node_id{7}, uint64_t{42}, uint64_t{0},
                     doomed);
      caf::anon_send(kv.second, heartbeat_atom::value, node_id{8}, uint64_t{43}, uint64_t{0},
                     healthy);
    }
  };
  auto registered = metadata();
  REQUIRE(registered);
  REQUIRE(eventually([&] {
    for (auto& kv : members) {
      auto st = status(kv.first);
      if (!st || st->metadata_version < registered->version)
        return false;
    }
    return true;
  }));
  heartbeats();
  // The controller and broker 7 die together, as when they share a node.
  kill(first);
  caf::anon_send_exit(doomed, caf::exit_reason::kill);
  REQUIRE(eventually([&] {
    auto md = metadata();
    return md && md->find_broker(node_id{7}) && !md->find_broker(node_id{7})->alive;
  }));
  auto md = metadata();
  REQUIRE(md);
  REQUIRE(md->find_broker(node_id{8}) != nullptr);
  CHECK(md->find_broker(node_id{8})->alive);
}

namespace {

alter_isr_request isr_change(const std::string& topic, const partition_metadata& pm,
                             std::vector<node_id> isr) {
  return alter_isr_request{topic_partition{topic, pm.id}, pm.leader, pm.epoch,
                           pm.partition_epoch, std::move(isr)};
}

} // namespace

TEST_CASE_METHOD(quorum_fixture, "alter_isr commits an ISR change and rejects a stale epoch",
                 "[actors][quorum]") {
  start(3);
  auto leader = wait_leader(live());
  REQUIRE(leader != node_id{-1});
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
  REQUIRE(leader != node_id{-1});
  auto follower = leader == node_id{1} ? node_id{2} : node_id{1};
  std::vector<int64_t> ids;
  for (auto via : {leader, follower, leader, follower}) {
    auto pid = ask<int64_t>(sys, members[via], init_pid_atom::value);
    REQUIRE(pid);
    ids.push_back(*pid);
  }
  for (size_t i = 1; i < ids.size(); ++i)
    CHECK(ids[i] > ids[i - 1]);
  CHECK(ids.front() >= 0);

  // A new controller continues after the last id the old one handed out.
  kill(leader);
  REQUIRE(wait_leader(live()) != node_id{-1});
  int64_t next = -1;
  REQUIRE(eventually([&] {
    auto l = agreed_leader(live());
    if (l == node_id{-1})
      return false;
    auto pid = ask<int64_t>(sys, members[l], init_pid_atom::value);
    if (pid)
      next = *pid;
    return static_cast<bool>(pid);
  }, 15s));
  CHECK(next > ids.back());
}

TEST_CASE_METHOD(quorum_fixture,
                 "preferred leader election moves leadership back to a re-registered broker",
                 "[actors][quorum]") {
  start(1);
  REQUIRE(wait_leader(live()) == node_id{1});
  REQUIRE(add_broker(node_id{8}, 1));
  REQUIRE(add_broker(node_id{9}, 1));
  auto t = ask<topic_metadata>(sys, members[node_id{1}], create_topic_atom::value,
                               create_topic_request{"pref", 1, 2});
  REQUIRE(t);
  auto start_pm = t->partitions.at(0);
  auto preferred = start_pm.replicas.at(0);
  auto other = start_pm.replicas.at(1);
  REQUIRE(start_pm.leader == preferred);

  // The preferred broker shuts down: the other replica leads, the ISR is just the other.
  REQUIRE(ask<caf::ok_atom>(sys, members[node_id{1}], shutdown_atom::value, preferred,
                            uint64_t{1}));
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
  start(1);
  REQUIRE(wait_leader(live()) == node_id{1});
  REQUIRE(add_broker(node_id{8}, 1));
  REQUIRE(add_broker(node_id{9}, 1));
  auto t = ask<topic_metadata>(sys, members[node_id{1}], create_topic_atom::value,
                               create_topic_request{"u", 1, 2});
  REQUIRE(t);
  auto pm = t->partitions.at(0);
  auto other = pm.replicas.at(1);
  auto shrunk = ask<partition_metadata>(sys, members[node_id{1}], alter_isr_atom::value,
                                        isr_change("u", pm, {pm.leader}));
  REQUIRE(shrunk);
  REQUIRE(ask<caf::ok_atom>(sys, members[node_id{1}], shutdown_atom::value, pm.leader,
                            uint64_t{1}));
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
  start(1);
  REQUIRE(wait_leader(live()) == node_id{1});
  REQUIRE(add_broker(node_id{8}, 1));
  REQUIRE(add_broker(node_id{9}, 1));
  auto t = ask<topic_metadata>(sys, members[node_id{1}], create_topic_atom::value,
                               create_topic_request{"c", 1, 2});
  REQUIRE(t);
  auto pm = t->partitions.at(0);
  REQUIRE(ask<partition_metadata>(sys, members[node_id{1}], alter_isr_atom::value,
                                  isr_change("c", pm, {pm.leader})));
  REQUIRE(ask<caf::ok_atom>(sys, members[node_id{1}], shutdown_atom::value, pm.leader,
                            uint64_t{1}));
  auto now = partition("c", 0);
  REQUIRE(now);
  CHECK(now->leader == no_leader);
  CHECK(now->isr == std::vector<node_id>{pm.leader});
}
