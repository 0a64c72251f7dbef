// The model controller and the producers of replication_sim.hpp.
#include "tests/runtime/replication_sim.hpp"

#include <iostream>

#include "runtime/base/errc.hpp"

namespace cafka::replica_test {

namespace {

constexpr int64_t session_timeout_ms = 150;
constexpr int64_t produce_timeout_ms = 300;
constexpr int64_t client_backoff_ms = 20;
constexpr size_t max_in_flight = 5;  // the idempotence window (producer_batch_window)

} // namespace

const partition_metadata& replication_sim::current() const {
  static const partition_metadata none{};
  auto p = md_.current().find_partition(topic_partition{"t", partition_id{0}});
  return p != nullptr ? *p : none;
}

apply_result replication_sim::controller_apply(const metadata_command& cmd) {
  auto before = current();
  auto res = md_.apply(cmd);
  auto& after = current();
  if (after.replicas.empty())
    return res;
  if (before.replicas.empty() || after.epoch != before.epoch) {
    auto [it, fresh] = epoch_leader_.emplace(after.epoch, address_of(after.leader));
    if (!fresh && it->second != address_of(after.leader))
      violation("the controller gave leader epoch " + to_string(after.epoch) + " to two leaders");
    if (!before.replicas.empty())
      ++stats_.leader_changes;
  }
  if (before.replicas.empty() || after.partition_epoch != before.partition_epoch) {
    if (o_.verbose) {
      std::string isr;
      for (auto r : after.isr)
        isr += " " + to_string(r);
      std::cout << now_ << " controller: leader " << to_string(after.leader) << " epoch "
                << to_string(after.epoch) << " partition epoch " << after.partition_epoch
                << " ISR" << isr << "\n";
    }
    push_view();
  }
  return res;
}

void replication_sim::push_view() {
  for (int32_t id = 1; id <= 3; ++id)
    send(controller, id, m_view{current()});
}

void replication_sim::controller_tick() {
  for (auto& b : md_.current().brokers)
    if (b.alive && now_ - last_heard_[address_of(b.id)] > session_timeout_ms)
      controller_apply(fence_broker_cmd{b.id, b.incarnation, false, false});
}

void replication_sim::controller_receive(int32_t from, sim_message& msg) {
  if (auto m = std::get_if<m_heartbeat>(&msg)) {
    auto b = md_.current().find_broker(node_id{from});
    if (b == nullptr)
      return;
    last_heard_[from] = now_;
    if (b->incarnation != m->incarnation) {
      auto fresh = *b;
      fresh.incarnation = m->incarnation;
      controller_apply(register_broker_cmd{fresh, false, {}});
    } else if (!b->alive) {
      controller_apply(unfence_broker_cmd{node_id{from}, m->incarnation, false});
    }
    send(controller, from, m_view{current()});  // repairs a lost push
    return;
  }
  if (auto m = std::get_if<m_alter_isr>(&msg)) {
    auto res = controller_apply(alter_isr_cmd{m->req});
    m_alter_isr_answer answer{m->proposal, res.partition};
    if (res.error)
      answer.result = res.error;
    else
      ++stats_.isr_changes;
    send(controller, from, std::move(answer));
  }
}

void replication_sim::client_step() {
  if (now_ >= client_refresh_at_) {
    client_leader_ = current().leader;
    client_refresh_at_ = now_ + 50;
  }
  std::uniform_real_distribution<double> u(0, 1);
  bool writing = now_ < o_.fault_ms + 200;
  for (auto& p : producers_) {
    bool idempotent = p.id != no_producer_id;
    size_t limit = idempotent ? max_in_flight : 3;
    if (writing && p.batches.size() < limit && u(rng_) < 0.04) {
      in_flight b;
      b.tag = "p" + to_string(p.id) + "-" + std::to_string(p.created++);
      b.records = 1 + static_cast<int>(u(rng_) * 3);
      b.seq = p.next_seq;
      p.next_seq += b.records;
      b.batch = make_batch(p.id, idempotent ? p.epoch : no_producer_epoch,
                           idempotent ? b.seq : -1, b.records, b.tag);
      b.resend_at = now_;
      p.batches.push_back(std::move(b));
      ++stats_.produced;
    }
    for (auto& b : p.batches)
      if (!b.acked && now_ >= b.resend_at)
        send_batch(p, b);
  }
}

void replication_sim::send_batch(producer& p, in_flight& b) {
  if (client_leader_ == no_node) {
    b.req = 0;
    b.resend_at = now_ + client_backoff_ms;
    return;
  }
  b.req = next_req_++;
  b.resend_at = now_ + produce_timeout_ms + 100;
  size_t index = static_cast<size_t>(&p - producers_.data());
  requests_[b.req] = {index, b.tag};
  send(client, address_of(client_leader_),
       m_produce{b.req, b.batch, static_cast<int16_t>(p.id != no_producer_id ? -1 : 1),
                 static_cast<int32_t>(produce_timeout_ms)});
}

// The leader forgot the producer (its batches were truncated away): as the real client does,
// the unacknowledged batches go again in a new epoch from sequence 0 (producer_state.hpp).
void replication_sim::new_producer_epoch(producer& p) {
  ++p.epoch;
  p.next_seq = 0;
  for (auto& b : p.batches) {
    if (b.acked)
      continue;
    b.seq = p.next_seq;
    p.next_seq += b.records;
    b.batch = make_batch(p.id, p.epoch, b.seq, b.records, b.tag);
    b.req = 0;
    b.resend_at = now_ + client_backoff_ms;
  }
}

void replication_sim::client_receive(sim_message& msg) {
  auto m = std::get_if<m_produce_answer>(&msg);
  if (m == nullptr)
    return;
  auto r = requests_.find(m->req);
  if (r == requests_.end())
    return;  // a duplicated answer
  auto [index, tag] = r->second;
  requests_.erase(r);
  auto& p = producers_[index];
  auto b = std::find_if(p.batches.begin(), p.batches.end(),
                        [&](const in_flight& x) { return x.tag == tag; });
  if (m->result) {
    if (p.id != no_producer_id) {
      check_acked(tag, *m->result);
      ++stats_.acked;
    }
    if (b != p.batches.end())
      b->acked = true;
    while (!p.batches.empty() && p.batches.front().acked)
      p.batches.erase(p.batches.begin());
    return;
  }
  if (o_.verbose)
    std::cout << now_ << " client: " << tag << ": " << describe(m->result.error()) << "\n";
  if (b == p.batches.end() || b->acked || b->req != m->req)
    return;  // an older attempt's failure: the newer one is on its way
  if (errc_of(m->result.error()) == errc::unknown_producer_id && b == p.batches.begin()) {
    new_producer_epoch(p);
    return;
  }
  b->req = 0;
  b->resend_at = now_ + client_backoff_ms;
  client_refresh_at_ = now_;
}

bool replication_sim::converged() const {
  for (auto& p : producers_)
    if (!p.batches.empty())
      return false;
  auto& pm = current();
  if (pm.leader == no_node || pm.isr.size() != 3)
    return false;
  auto& leader = nodes_.at(address_of(pm.leader));
  if (!leader.host || !leader.host->fsm().leading())
    return false;
  for (auto& [id, n] : nodes_) {
    if (!n.host || paused(n))
      return false;
    auto& fsm = n.host->fsm();
    if (fsm.high_watermark() != fsm.log_end()
        || fsm.log_end() != leader.host->fsm().log_end())
      return false;
    if (n.disk->log.batches().size() != leader.disk->log.batches().size())
      return false;
  }
  return true;
}

} // namespace cafka::replica_test
