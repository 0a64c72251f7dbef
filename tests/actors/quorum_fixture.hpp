// The controller quorum in one process, for the actor tests of the controller: n members on
// disk-backed Raft storage with real timers, fake brokers, and blocking helpers that ask the
// members. Test code only; call from the test thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/controller/controller_member.hpp"
#include "runtime/chaos/fault_table.hpp"
#include "runtime/raft/disk_persistence.hpp"
#include "runtime/storage/posix_env.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/fake_broker.hpp"

namespace cafka::test {


struct quorum_fixture {
  temp_dir dir; // destroyed last
  test_config cfg;
  caf::actor_system sys{cfg};
  std::vector<node_id> ids;
  std::map<node_id, controller_member_actor> members;
  std::chrono::milliseconds session_timeout = std::chrono::hours{1};
  int64_t imbalance_check_ms = 50;  // leader-imbalance-check-interval-ms
  bool unclean = false;             // unclean-leader-election-enable
  broker_actor broker; // a registered broker, so topics can be placed
  std::vector<broker_actor> more_brokers;
  // The quorum's network: one table that every member's node_send consults.
  std::shared_ptr<fault_table> faults = std::make_shared<fault_table>();
  // Each member's node metrics and event log (kept when the member restarts).
  std::map<node_id, std::shared_ptr<metrics::node_metrics>> node_metrics;

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
    controller_config cc;
    cc.self = id;
    cc.members = ids;
    cc.storage = std::make_shared<raft::disk_persistence>(
      (dir.path() / ("raft-" + to_string(id))).string(),
      std::make_shared<storage::posix_env>());
    cc.faults = faults;
    cc.raft.election_timeout_ticks = 6;
    cc.raft.heartbeat_ticks = 1;
    cc.raft.seed = static_cast<uint64_t>(id.value) * 7919;
    cc.tick = std::chrono::milliseconds{20};
    cc.broker_session_timeout = session_timeout;
    cc.defaults.num_partitions = 2;
    cc.defaults.leader_imbalance_check_interval_ms = imbalance_check_ms;
    cc.defaults.unclean_leader_election_enable = unclean;
    auto& m = node_metrics[id];
    if (m == nullptr)
      m = std::make_shared<metrics::node_metrics>();
    cc.metrics = m;
    members[id] = spawn_controller_member(sys, cc);
    introduce();
  }

  // Every member learns every other member's handle (the node supervisor does this over the
  // network in a real cluster).
  void introduce() {
    for (auto& a : members)
      for (auto& b : members)
        if (a.first != b.first)
          local_send(sys, a.second, peer_atom::value, b.first,
                     caf::actor_cast<caf::strong_actor_ptr>(b.second));
  }

  void kill(node_id id) {
    caf::anon_send_exit(members[id], caf::exit_reason::kill);
    members.erase(id);
  }

  caf::expected<quorum_status> status(node_id id) {
    return ask<quorum_status>(sys, members[id], status_atom::value);
  }

  // The leader every member of `among` agrees on and that is one of them, or no_node.
  node_id agreed_leader(const std::vector<node_id>& among) {
    node_id leader = no_node;
    for (auto id : among) {
      auto s = status(id);
      if (!s || s->leader == no_node)
        return no_node;
      if (leader == no_node)
        leader = s->leader;
      else if (leader != s->leader)
        return no_node;
    }
    if (std::find(among.begin(), among.end(), leader) == among.end())
      return no_node;
    return leader;
  }

  node_id wait_leader(const std::vector<node_id>& among) {
    node_id leader = no_node;
    eventually([&] {
      leader = agreed_leader(among);
      return leader != no_node;
    }, std::chrono::seconds{15});
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
      return l != no_node
             && static_cast<bool>(ask<cluster_metadata>(sys, members[l], register_atom::value,
                                                        bm, b));
    }, std::chrono::seconds{15});
  }

  // The controller's metadata (through the agreed leader).
  caf::expected<cluster_metadata> metadata() {
    auto l = agreed_leader(live());
    if (l == no_node)
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
      if (l == no_node)
        return false;
      auto t = create(l, name);
      return t || errc_of(t.error()) == errc::topic_already_exists;
    }, std::chrono::seconds{15});
  }
};

} // namespace cafka::test
