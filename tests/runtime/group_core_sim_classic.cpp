// The simulation's classic members (group_core_sim.hpp): Kafka clients of the JoinGroup
// protocol, eager or cooperative, all static (a restart takes the place of the incarnation
// before). They join, sync, heartbeat, join again when told to, commit and leave.
#include "tests/runtime/group_core_sim_world.hpp"

#include "runtime/kafka/kafka_error.hpp"

namespace cafka::group::test {

namespace {

constexpr const char* group_name = "g";

} // namespace

void group_sim::classic_step(member& m) {
  if (m.hb_req != 0)
    return;
  switch (m.classic_stage) {
    case member::stage::join:
      if (now_ms_ >= m.next_hb)
        send_classic(m, classic_op::join);
      return;
    case member::stage::sync:
      return send_classic(m, classic_op::sync);
    case member::stage::stable:
      if (now_ms_ >= m.next_hb)
        send_classic(m, classic_op::heartbeat);
      return;
  }
}

void group_sim::send_classic(member& m, classic_op op) {
  classic_group_request req;
  req.op = static_cast<uint8_t>(op);
  req.group = group_name;
  req.member_id = m.id;
  req.instance_id = m.instance;
  req.generation = m.epoch;
  req.client_id = "classic";
  if (op == classic_op::join) {
    req.member_id_required = true;
    req.protocol_type = consumer_protocol_type;
    req.protocols = {{assignor_, {}}};
    req.topics = m.topics;
    if (!m.eager)
      req.owned = {m.owned.begin(), m.owned.end()};
    req.session_timeout_ms = m.session;
    req.rebalance_timeout_ms = m.session;
  }
  pending p;
  p.member = m.slot;
  p.kind = sim_kind::classic;
  p.op = op;
  p.req = ++m.next_req;
  if (op != classic_op::leave) {
    m.hb_req = p.req;
    m.hb_sent = now_ms_;
    m.next_hb = now_ms_ + heartbeat_ms;
  }
  send(to_coordinator(m.slot), [=] {
    arrive(p, [=](group_core& c, reply_id id) { c.classic(id, req, now()); });
  });
}

void group_sim::on_classic_reply(member& m, uint64_t req, classic_op op, const reply_value& v) {
  using kafka::error_code;
  if (!m.alive || m.hb_req != req)
    return;
  m.hb_req = 0;
  if (now_ms_ >= m.hb_sent + m.session)
    return;  // too late
  auto r = std::get_if<classic_group_response>(&v);
  if (r == nullptr)
    return;  // the coordinator moves or loads: again at the next interval
  auto code = static_cast<error_code>(r->error_code);
  switch (code) {
    case error_code::none:
      break;
    case error_code::member_id_required:
      m.id = r->member_id;
      m.next_hb = now_ms_;
      return;
    case error_code::rebalance_in_progress:
      // Join again; an eager member gives up everything first.
      m.classic_stage = member::stage::join;
      m.next_hb = now_ms_;
      if (m.eager) {
        m.owned.clear();
        m.position.clear();
      }
      return;
    case error_code::illegal_generation:
      return lose_everything(m);
    case error_code::unknown_member_id:
    case error_code::fenced_instance_id:
      lose_everything(m);
      m.id.clear();
      return;
    default:
      fail("classic member " + m.id + " got error code " + std::to_string(r->error_code));
  }
  m.last_ok = m.hb_sent;
  if (op == classic_op::join) {
    m.id = r->member_id;
    m.epoch = r->generation;
    m.classic_stage = member::stage::sync;
  } else if (op == classic_op::sync) {
    m.classic_stage = member::stage::stable;
    take(m, r->assignment);
  }
}

} // namespace cafka::group::test
