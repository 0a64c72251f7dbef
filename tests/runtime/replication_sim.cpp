// The simulated world of replication_sim.hpp: time, faults, the network and the replicas'
// drivers.
#include "tests/runtime/replication_sim.hpp"

#include <iostream>

namespace cafka::replica_test {

namespace {

const char* level_name(log_level l) {
  switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
  }
  return "?";
}

} // namespace

replication_sim::replication_sim(repl_sim_options o) : o_(o), rng_(o.seed * 104729 + 7) {
  for (int32_t id = 1; id <= 3; ++id)
    nodes_[id].id = id;
  for (int32_t id = 1; id <= 3; ++id) {
    broker_metadata b;
    b.id = node_id{id};
    b.host = "node-" + std::to_string(id);
    b.port = static_cast<uint16_t>(9000 + id);
    b.incarnation = 1;
    controller_apply(register_broker_cmd{b, false, "sim"});
  }
  controller_apply(create_topic_cmd{create_topic_request{"t", 1, 3}});
  for (int32_t id = 1; id <= 3; ++id)
    restart(id);
  producers_.resize(3);
  producers_[0].id = producer_id{1};
  producers_[1].id = producer_id{2};
  producers_[2].id = no_producer_id;  // plain, acks=1
}

replica_fsm_config replication_sim::config_for(int32_t id) const {
  replica_fsm_config cfg;
  cfg.tp = topic_partition{"t", partition_id{0}};
  cfg.self = node_id{id};
  cfg.min_insync_replicas = o_.seed % 4 == 0 ? 1 : 2;
  cfg.replica_lag_time_max_ms = 200;
  cfg.replica_fetch_wait_max_ms = 30;
  cfg.replica_fetch_max_bytes = 64 + static_cast<int32_t>(o_.seed % 5) * 200;
  cfg.fetch_timeout_slack_ms = 60;
  cfg.fetch_retry_backoff_ms = 10;
  cfg.isr_change_timeout_ms = 100;
  return cfg;
}

std::string replication_sim::run() {
  auto end = o_.fault_ms + o_.heal_ms;
  for (now_ = 0; now_ < end && failure_.empty(); ++now_) {
    if (now_ == o_.fault_ms)
      heal();
    step();
    if (now_ > o_.fault_ms + 100 && failure_.empty() && converged()) {
      check_final();
      return failure_;
    }
  }
  if (failure_.empty()) {
    std::string state;
    for (auto& [id, n] : nodes_)
      if (n.host)
        state += " node " + std::to_string(id) + ": leads " + std::to_string(
                   n.host->fsm().leading()) + ", end " + to_string(n.host->fsm().log_end())
                 + ", hw " + to_string(n.host->fsm().high_watermark()) + ";";
    size_t open = 0;
    for (auto& p : producers_)
      open += p.batches.size();
    failure_ = "stuck: the replicas did not converge within " + std::to_string(o_.heal_ms)
               + " ms of healing (" + std::to_string(open) + " batches unacknowledged;"
               + state + " leader " + to_string(current().leader) + ")";
  }
  return failure_;
}

void replication_sim::step() {
  std::uniform_real_distribution<double> u(0, 1);
  if (now_ < o_.fault_ms && u(rng_) < 0.012)
    inject_fault();
  if (now_ % 100 == 0)
    sweep();
  client_step();
  deliver_due();
  std::vector<int32_t> reachable;
  for (auto i = reachable_at_.begin(); i != reachable_at_.end();) {
    if (i->first > now_ || paused(nodes_.at(i->second))) {
      ++i;
      continue;
    }
    reachable.push_back(i->second);
    i = reachable_at_.erase(i);
  }
  for (auto id : reachable) {
    auto& n = nodes_.at(id);
    if (up(n)) {
      n.host->fsm().leader_reachable(now_);
      drive(n);
    }
  }
  if (now_ >= next_controller_tick_) {
    controller_tick();
    next_controller_tick_ = now_ + 10;
  }
  for (auto& [id, n] : nodes_) {
    if (!up(n) || paused(n))
      continue;
    if (now_ >= n.next_heartbeat) {
      send(id, controller, m_heartbeat{n.incarnation});
      n.next_heartbeat = now_ + 30;
    }
    auto deadline = n.host->fsm().next_deadline();
    if (now_ >= n.next_tick || (deadline && *deadline <= now_)) {
      if (now_ >= n.next_tick) {
        n.next_tick = now_ + 50;
        if (o_.seed % 3 == 2)
          n.host->checkpoint_high_watermark();  // the actor's timer
      }
      n.host->fsm().tick(now_);
      drive(n);
    }
  }
}

void replication_sim::inject_fault() {
  std::uniform_int_distribution<int> pick(0, 10);
  std::uniform_int_distribution<int32_t> replica(1, 3);
  std::uniform_real_distribution<double> u(0, 1);
  std::string what;
  switch (pick(rng_)) {
    case 0: {  // a random split, one way or both
      std::vector<int32_t> all{controller, 1, 2, 3, client};
      std::set<int32_t> a;
      for (auto x : all)
        if (u(rng_) < 0.5)
          a.insert(x);
      bool both = u(rng_) < 0.5;
      for (auto x : a)
        for (auto y : all)
          if (a.count(y) == 0) {
            blocked_.insert({x, y});
            if (both)
              blocked_.insert({y, x});
          }
      what = "partition";
      break;
    }
    case 1:
      blocked_.clear();
      what = "heal partitions";
      break;
    case 2:
      crash(replica(rng_));
      what = "crash";
      break;
    case 3:
    case 4:
      for (auto& [id, n] : nodes_)
        if (!up(n)) {
          restart(id);
          what = "restart " + std::to_string(id);
          break;
        }
      break;
    case 5: {  // the leader crashes; the controller may notice at once (CAF's down message)
      auto l = current().leader;
      if (l != no_node && up(nodes_.at(address_of(l)))) {
        crash(address_of(l));
        if (u(rng_) < 0.5)
          controller_apply(fence_broker_cmd{l, 0, false, false});
        what = "crash leader " + to_string(l);
      }
      break;
    }
    case 6: {
      // Mostly short delays; sometimes long ones, so that answers come after timeouts.
      static const int32_t delays[] = {1, 2, 5, 15, 40, 150};
      drop_rate_ = std::uniform_real_distribution<double>(0, 0.2)(rng_);
      dup_rate_ = std::uniform_real_distribution<double>(0, 0.05)(rng_);
      max_delay_ = delays[std::uniform_int_distribution<int>(0, 5)(rng_)];
      what = "network";
      break;
    }
    case 7: {  // a hung process: it misses its lease and wakes up with an old view
      auto& n = nodes_.at(replica(rng_));
      n.paused_until = now_ + std::uniform_int_distribution<int64_t>(50, 400)(rng_);
      what = "pause " + std::to_string(n.id);
      break;
    }
    case 8: {
      auto& n = nodes_.at(replica(rng_));
      if (up(n))
        n.host->fail_writes = 1 + static_cast<int>(u(rng_) * 2);
      what = "failing writes on " + std::to_string(n.id);
      break;
    }
    case 9:
      controller_apply(elect_preferred_cmd{});
      what = "elect preferred";
      break;
    case 10: {
      auto x = replica(rng_);
      for (int32_t y : {controller, 1, 2, 3, client})
        if (y != x) {
          blocked_.insert({x, y});
          blocked_.insert({y, x});
        }
      what = "isolate " + std::to_string(x);
      break;
    }
  }
  if (o_.verbose && !what.empty())
    std::cout << now_ << " fault: " << what << "\n";
}

void replication_sim::heal() {
  blocked_.clear();
  drop_rate_ = 0;
  dup_rate_ = 0;
  max_delay_ = 1;
  for (auto& [id, n] : nodes_) {
    n.paused_until = 0;
    if (up(n))
      n.host->fail_writes = 0;
    else
      restart(id);
  }
}

void replication_sim::send(int32_t from, int32_t to, sim_message msg) {
  std::uniform_real_distribution<double> u(0, 1);
  if (blocked_.count({from, to}) > 0 || u(rng_) < drop_rate_)
    return;
  std::uniform_int_distribution<int32_t> delay(1, std::max(1, max_delay_));
  if (u(rng_) < dup_rate_)
    queue_.emplace(std::make_pair(now_ + delay(rng_), seq_++), envelope{from, to, msg});
  queue_.emplace(std::make_pair(now_ + delay(rng_), seq_++), envelope{from, to, std::move(msg)});
}

void replication_sim::deliver_due() {
  while (!queue_.empty() && queue_.begin()->first.first <= now_ && failure_.empty()) {
    auto env = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    auto i = nodes_.find(env.to);
    if (i != nodes_.end() && paused(i->second)) {
      // A hung process reads its socket when it wakes up.
      queue_.emplace(std::make_pair(i->second.paused_until, seq_++), std::move(env));
      continue;
    }
    ++stats_.delivered;
    deliver(env);
  }
}

void replication_sim::deliver(envelope& env) {
  if (env.to == controller) {
    controller_receive(env.from, env.msg);
  } else if (env.to == client) {
    client_receive(env.msg);
  } else {
    auto& n = nodes_.at(env.to);
    if (up(n))
      on_replica_message(n, env.from, env.msg);
  }
}

void replication_sim::on_replica_message(node& n, int32_t from, sim_message& msg) {
  auto& fsm = n.host->fsm();
  if (auto m = std::get_if<m_fetch>(&msg)) {
    auto id = n.next_id++;
    n.fetch_routes[id] = {from, m->fetch_id};
    fsm.follower_fetch(id, m->req, now_);
  } else if (auto m = std::get_if<m_fetch_answer>(&msg)) {
    if (m->err)
      fsm.fetch_failed(m->fetch_id, m->err, now_);
    else
      fsm.fetch_answered(m->fetch_id, m->resp, now_);
  } else if (auto m = std::get_if<m_produce>(&msg)) {
    auto id = n.next_id++;
    n.produce_routes[id] = m->req;
    n.host->produce(id, m->batch, m->acks, m->timeout_ms, now_);
  } else if (auto m = std::get_if<m_alter_isr_answer>(&msg)) {
    if (m->result)
      fsm.isr_change_committed(m->proposal, *m->result, now_);
    else
      fsm.isr_change_failed(m->proposal, m->result.error(), now_);
  } else if (auto m = std::get_if<m_view>(&msg)) {
    fsm.update_partition(m->pm, now_);
  }
  drive(n);
}

// The driver's side of replica_fsm.hpp's order is replica_host::drive; this routes what it
// sent.
void replication_sim::drive(node& n) {
  host_output out;
  n.host->drive(now_, out);
  if (o_.seed % 3 == 1)
    n.host->checkpoint_high_watermark();  // the newest a checkpoint can be
  for (auto& r : out.produce_replies) {
    auto i = n.produce_routes.find(r.id);
    if (i == n.produce_routes.end())
      continue;
    send(n.id, client, m_produce_answer{i->second, std::move(r.result)});
    n.produce_routes.erase(i);
  }
  for (auto& r : out.fetch_replies) {
    auto i = n.fetch_routes.find(r.id);
    if (i == n.fetch_routes.end())
      continue;
    send(n.id, i->second.first, m_fetch_answer{i->second.second, r.error, std::move(r.resp)});
    n.fetch_routes.erase(i);
  }
  std::uniform_real_distribution<double> u(0, 1);
  for (auto& f : out.fetches) {
    if (u(rng_) < 0.03) {
      // The driver has no handle on the leader's broker yet; it gets one a little later.
      n.host->fsm().fetch_unsent(f.id);
      reachable_at_.push_back({now_ + std::uniform_int_distribution<int64_t>(1, 80)(rng_),
                               n.id});
      continue;
    }
    send(n.id, address_of(f.leader), m_fetch{f.id, std::move(f.req)});
  }
  for (auto& p : out.proposals)
    send(n.id, controller, m_alter_isr{p.id, std::move(p.req)});
  for (auto w : out.writes)
    if (w == log_write::kind::truncate)
      ++stats_.truncations;
  for (auto& l : out.log) {
    if (l.text.find("no longer leads") != std::string::npos)
      ++stats_.deposed;
    if (o_.verbose)
      std::cout << now_ << " node " << n.id << " " << level_name(l.level) << ": " << l.text
                << "\n";
  }
  check(n);
}

void replication_sim::crash(int32_t id) {
  auto& n = nodes_.at(id);
  if (!up(n))
    return;
  n.host.reset();
  n.fetch_routes.clear();
  n.produce_routes.clear();
  ++stats_.crashes;
}

void replication_sim::restart(int32_t id) {
  auto& n = nodes_.at(id);
  n.host = std::make_unique<replica_host>(config_for(id), n.disk);
  ++n.incarnation;
  n.paused_until = 0;
  n.next_tick = now_;
  n.next_heartbeat = now_;
  n.last_hw = log_offset{0};
  n.was_leading = false;
  // A broker learns its partitions from the controller when it registers.
  n.host->fsm().update_partition(current(), now_);
  drive(n);
}

} // namespace cafka::replica_test
