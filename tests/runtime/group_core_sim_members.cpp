// The simulation's members and observer (group_core_sim.hpp): KIP-848 clients that join,
// heartbeat, read what they own from the committed offset, commit, leave, crash and restart,
// and drop their partitions when their session may have ended. The ownership check runs
// whenever a member takes a partition.
#include "tests/runtime/group_core_sim_world.hpp"

#include <algorithm>

#include "runtime/base/errc.hpp"

namespace cafka::group::test {

namespace {

constexpr const char* group_name = "g";

} // namespace

void group_sim::lose_everything(member& m) {
  m.classic_stage = member::stage::join;
  m.owned.clear();
  m.position.clear();
  m.epoch = join_epoch;  // joins again under its member id
  m.hb_req = 0;
  m.data_req = 0;
  m.last_ok.reset();
  m.next_hb = now_ms_;
}

void group_sim::crash(member& m) {
  ++stats_.member_crashes;
  m.alive = false;
  m.owned.clear();
  m.position.clear();
  m.hb_req = 0;
  m.data_req = 0;
  auto& c = *coord_;
  auto w = c.watched.find(m.id);
  if (c.ph != coordinator::phase::serving || w == c.watched.end())
    return;
  // The coordinator's monitor fires some time later.
  c.watched.erase(w);
  auto gen = c.gen;
  auto id = m.id;
  at(now_ms_ + uniform(0, faults.max_delay_ms + 5), [=] {
    auto& c = *coord_;
    if (c.gen != gen || c.ph != coordinator::phase::serving)
      return;
    c.core->member_gone(id, now());
    drain(std::nullopt);
  });
}

void group_sim::leave(member& m) {
  // It stops reading first, then says so and exits without waiting for the answer.
  if (m.classic) {
    send_classic(m, classic_op::leave);
    crash(m);
    --stats_.member_crashes;
    return;
  }
  auto epoch = m.instance.empty() ? leave_epoch : static_leave_epoch;
  group_heartbeat_request req{group_name, m.id, epoch, m.instance, std::string{}, m.topics, {}};
  pending p;
  p.member = m.slot;
  p.req = ++m.next_req;
  p.kind = sim_kind::heartbeat;
  crash(m);
  --stats_.member_crashes;
  send(to_coordinator(m.slot), [=] {
    arrive(p, [=](group_core& c, reply_id id) { c.heartbeat(id, req, now()); });
  });
}

void group_sim::member_step(member& m) {
  if (!m.alive) {
    if (chance(faults.member_restart)) {
      // A new process: a new member id (a static member keeps its instance id).
      m.alive = true;
      m.id = new_member_id(m);
      lose_everything(m);
    }
    return;
  }
  // Its own session: no heartbeat it sent in the last session_ms was answered, so the
  // coordinator may have removed it and handed its partitions out.
  if (m.last_ok && now_ms_ >= *m.last_ok + m.session) {
    ++stats_.self_expiries;
    lose_everything(m);
  }
  if (chance(faults.member_crash))
    return crash(m);
  if (chance(faults.member_leave))
    return leave(m);
  if (m.hb_req != 0 && now_ms_ - m.hb_sent >= request_timeout_ms)
    m.hb_req = 0;  // gives up on it; the next request says the same
  if (m.classic)
    classic_step(m);
  else if (m.hb_req == 0 && now_ms_ >= m.next_hb)
    send_heartbeat(m);
  if (m.data_req != 0 && now_ms_ - m.data_sent >= request_timeout_ms)
    m.data_req = 0;
  if (m.data_req == 0)
    send_data(m);
}

void group_sim::send_heartbeat(member& m) {
  m.hb_req = ++m.next_req;
  m.hb_sent = now_ms_;
  m.next_hb = now_ms_ + heartbeat_ms;
  group_heartbeat_request req{group_name, m.id,
                              m.epoch,    m.instance,
                              std::string{}, m.topics,
                              {m.owned.begin(), m.owned.end()}};
  pending p;
  p.member = m.slot;
  p.req = m.hb_req;
  p.kind = sim_kind::heartbeat;
  send(to_coordinator(m.slot), [=] {
    arrive(p, [=](group_core& c, reply_id id) { c.heartbeat(id, req, now()); });
  });
}

void group_sim::send_data(member& m) {
  std::vector<topic_partition> unknown;
  for (auto& tp : m.owned)
    if (m.position.count(tp) == 0)
      unknown.push_back(tp);
  pending p;
  p.member = m.slot;
  if (!unknown.empty()) {
    // Reading starts at the committed offset.
    p.kind = sim_kind::fetch;
    p.fetch_tps = unknown;
    offset_fetch_request req{group_name, unknown};
    p.req = m.data_req = ++m.next_req;
    m.data_sent = now_ms_;
    send(to_coordinator(m.slot), [=] {
      arrive(p, [=](group_core& c, reply_id id) { c.offset_fetch(id, req); });
    });
    return;
  }
  if (m.position.empty() || !chance(0.05))
    return;
  // It read some records of some partitions: commit where it is now.
  offset_commit_request req{group_name, m.id, m.epoch, {}};
  auto ts = ++wall_ms_;
  for (auto& [tp, pos] : m.position) {
    if (!req.offsets.empty() && chance(0.5))
      continue;
    pos += uniform(1, 3);
    req.offsets.push_back({tp, pos});
    p.commit_offsets.emplace_back(tp, pos);
    p.commit_records.emplace_back(
      offset_key(group_name, tp),
      encode(offset_record{pos, ts, no_member_epoch, no_leader_epoch, {}}));
  }
  p.kind = sim_kind::commit;
  if (debug_) {
    std::string what;
    for (auto& [tp, pos] : p.commit_offsets)
      what += " " + to_string(tp) + "=" + to_string(pos);
    trace(m.id + " commits" + what);
  }
  p.req = m.data_req = ++m.next_req;
  m.data_sent = now_ms_;
  send(to_coordinator(m.slot), [=] {
    arrive(p, [=](group_core& c, reply_id id) { c.commit(id, req, ts); });
  });
}

void group_sim::on_heartbeat_reply(member& m, uint64_t req, const reply_value& v) {
  if (!m.alive || m.hb_req != req)
    return;  // an answer to a request it gave up on
  m.hb_req = 0;
  if (now_ms_ >= m.hb_sent + m.session)
    return;  // too late: the coordinator may have removed it since
  if (auto err = std::get_if<caf::error>(&v)) {
    switch (errc_of(*err)) {
      case errc::unknown_member_id:
      case errc::fenced_member_epoch:
        return lose_everything(m);
      case errc::fenced_instance_id:  // its previous incarnation is not gone yet
      case errc::not_coordinator:
      case errc::coordinator_load_in_progress:
        return;
      default:
        fail("member " + m.id + " got an unexpected error: " + describe(*err));
    }
  }
  auto& resp = std::get<group_heartbeat_response>(v);
  if (resp.member_id != m.id)
    fail("member " + m.id + " was answered as " + resp.member_id);
  m.epoch = resp.member_epoch;
  m.last_ok = m.hb_sent;
  take(m, resp.assignment);
}

void group_sim::take(member& m, const std::vector<topic_partition>& assignment) {
  std::set<topic_partition> next{assignment.begin(), assignment.end()};
  for (auto& tp : m.owned)
    if (next.count(tp) == 0)
      m.position.erase(tp);
  for (auto& tp : next) {
    if (m.owned.count(tp) != 0)
      continue;
    // An assignment never hands out a partition another member still reads.
    for (auto& o : members_)
      if (o.get() != &m && o->alive && o->owned.count(tp) != 0)
        fail(to_string(tp) + " given to " + m.id + " while " + o->id + " owns it");
    ++stats_.moved;
  }
  m.owned = std::move(next);
}

void group_sim::on_fetch_reply(member& m, uint64_t req, const reply_value& v) {
  if (!m.alive || m.data_req != req)
    return;
  m.data_req = 0;
  auto offsets = std::get_if<std::vector<partition_offset>>(&v);
  if (offsets == nullptr)
    return;  // retried
  for (auto& po : *offsets)
    if (m.owned.count(po.tp) != 0 && m.position.count(po.tp) == 0)
      m.position[po.tp] = std::max(po.offset, log_offset{0});
}

void group_sim::observe() {
  pending p;
  p.kind = sim_kind::fetch;
  send(to_coordinator(-1), [=] {
    arrive(p, [=](group_core& c, reply_id id) { c.offset_fetch(id, {group_name, {}}); });
  });
}

} // namespace cafka::group::test
