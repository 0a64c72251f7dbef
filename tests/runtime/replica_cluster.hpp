// A few replica_hosts of one partition for the replica_fsm unit tests, with hand-delivered
// messages: the test decides when a follower's fetch reaches its leader and when the answer
// comes back, and sets the time. Test code only; single-threaded.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/runtime/replica_host.hpp"

namespace cafka::replica_test {

inline partition_metadata partition(int32_t leader, int32_t epoch, std::vector<int32_t> isr,
                                    int32_t partition_epoch = -1,
                                    std::vector<int32_t> replicas = {1, 2, 3}) {
  partition_metadata pm;
  pm.id = partition_id{0};
  pm.leader = node_id{leader};
  pm.epoch = leader_epoch{epoch};
  pm.partition_epoch = cafka::partition_epoch{partition_epoch >= 0 ? partition_epoch : epoch};
  for (auto r : replicas)
    pm.replicas.push_back(node_id{r});
  for (auto r : isr)
    pm.isr.push_back(node_id{r});
  return pm;
}

inline std::vector<node_id> ids(std::vector<int32_t> xs) {
  std::vector<node_id> out;
  for (auto x : xs)
    out.push_back(node_id{x});
  return out;
}

// The driver logged a line containing `text`.
inline bool logged(const host_output& out, const std::string& text) {
  return std::any_of(out.log.begin(), out.log.end(),
                     [&](const log_line& l) { return l.text.find(text) != std::string::npos; });
}

inline bool same_batches(const sim_log& a, const sim_log& b) {
  if (a.batches().size() != b.batches().size())
    return false;
  for (size_t i = 0; i < a.batches().size(); ++i)
    if (a.batches()[i].bytes != b.batches()[i].bytes)
      return false;
  return true;
}

struct replica_cluster {
  replica_fsm_config base;
  std::map<int32_t, std::shared_ptr<replica_disk>> disks;
  std::map<int32_t, std::unique_ptr<replica_host>> hosts;
  std::map<int32_t, host_output> out;  // what each host sent since the test last cleared it
  // Fetches a leader holds: its reply id -> (follower, the follower's fetch id).
  std::map<uint64_t, std::pair<int32_t, uint64_t>> routes;
  int64_t now = 1000;
  uint64_t next_id = 1;

  replica_cluster() {
    base.tp = topic_partition{"t", partition_id{0}};
    base.min_insync_replicas = 1;
    base.replica_lag_time_max_ms = 1000;
    base.replica_fetch_wait_max_ms = 100;
    base.fetch_timeout_slack_ms = 200;
    base.fetch_retry_backoff_ms = 50;
    base.isr_change_timeout_ms = 500;
  }

  // (Re)starts node `id` from its disk with view pm.
  replica_host& start(int32_t id, const partition_metadata& pm) {
    auto& d = disks[id];
    if (!d)
      d = std::make_shared<replica_disk>();
    auto cfg = base;
    cfg.self = node_id{id};
    hosts[id] = std::make_unique<replica_host>(cfg, d);
    hosts[id]->fsm().update_partition(pm, now);
    drive(id);
    return *hosts[id];
  }

  replica_fsm& fsm(int32_t id) { return hosts.at(id)->fsm(); }
  void drive(int32_t id) { hosts.at(id)->drive(now, out[id]); }

  void update(int32_t id, const partition_metadata& pm) {
    fsm(id).update_partition(pm, now);
    drive(id);
  }

  // Produces on `id`; returns the produce id (its reply shows up in out[id]).
  uint64_t produce(int32_t id, std::string batch, int16_t acks, int32_t timeout_ms = 5000) {
    auto pid = next_id++;
    hosts.at(id)->produce(pid, std::move(batch), acks, timeout_ms, now);
    drive(id);
    return pid;
  }

  // The reply to produce `pid` sent by `id`, if there is one yet.
  const produce_reply* reply(int32_t id, uint64_t pid) {
    for (auto& r : out[id].produce_replies)
      if (r.id == pid)
        return &r;
    return nullptr;
  }

  // Commits every ISR change `id` proposed, as the controller would (the partition epoch moves
  // on), and tells it.
  void confirm(int32_t id) {
    auto proposals = std::move(out[id].proposals);
    out[id].proposals.clear();
    for (auto& p : proposals) {
      auto pm = fsm(id).partition();
      pm.isr = p.req.isr;
      pm.partition_epoch = p.req.partition_epoch + 1;
      fsm(id).isr_change_committed(p.id, pm, now);
      drive(id);
    }
  }

  void tick(int32_t id) {
    fsm(id).tick(now);
    drive(id);
  }

  // Delivers every fetch `follower` sent to its leader `leader`. Returns how many.
  size_t send_fetches(int32_t follower, int32_t leader) {
    auto fetches = std::move(out[follower].fetches);
    out[follower].fetches.clear();
    for (auto& f : fetches) {
      auto rid = next_id++;
      routes[rid] = {follower, f.id};
      fsm(leader).follower_fetch(rid, f.req, now);
      drive(leader);
    }
    return fetches.size();
  }

  // Delivers every fetch answer `leader` sent. Returns how many.
  size_t send_answers(int32_t leader) {
    auto replies = std::move(out[leader].fetch_replies);
    out[leader].fetch_replies.clear();
    for (auto& r : replies) {
      auto route = routes.at(r.id);
      routes.erase(r.id);
      if (r.error)
        fsm(route.first).fetch_failed(route.second, r.error, now);
      else
        fsm(route.first).fetch_answered(route.second, std::move(r.resp), now);
      drive(route.first);
    }
    return replies.size();
  }

  // Fetch rounds between `leader` and `followers` until nothing moves (parked fetches stay).
  void settle(int32_t leader, const std::vector<int32_t>& followers) {
    for (int round = 0; round < 100; ++round) {
      size_t moved = 0;
      for (auto f : followers)
        moved += send_fetches(f, leader);
      moved += send_answers(leader);
      if (moved == 0)
        return;
    }
  }
};

} // namespace cafka::replica_test
