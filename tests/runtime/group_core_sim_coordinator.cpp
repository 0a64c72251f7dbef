// The simulation's partition and coordinator (group_core_sim.hpp): the driver of the group
// core and of the load, the partition's writes and leader changes, and the checks on every
// reply and every load.
#include "tests/runtime/group_core_sim_world.hpp"

#include <algorithm>
#include <cstdlib>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka::group::test {

namespace {

constexpr const char* group_name = "g";

const char* kind_name(sim_kind k) {
  switch (k) {
    case sim_kind::heartbeat:
      return "heartbeat";
    case sim_kind::commit:
      return "commit";
    case sim_kind::fetch:
      return "offset fetch";
    case sim_kind::classic:
      return "classic";
  }
  return "?";
}

std::string names(const std::set<topic_partition>& tps) {
  std::string out;
  for (auto& tp : tps)
    out += (out.empty() ? "" : ",") + to_string(tp);
  return "{" + out + "}";
}

} // namespace

// -- the partition ---------------------------------------------------------------------------

fetch_response group_sim::read_partition(log_offset from) {
  fetch_response resp;
  resp.tp = {offsets_topic, partition_id{0}};
  resp.high_watermark = hw_;
  resp.log_start_offset = log_offset{0};
  int32_t batches = uniform(1, 3);  // reads end anywhere: the load reads again
  for (auto& b : log_)
    if (b.end() > from && batches-- > 0)
      resp.records += b.bytes;
  return resp;
}

bool group_sim::committed_record(const keyed_record& r) const {
  for (auto& b : log_) {
    if (b.end() > hw_)
      break;
    if (std::find(b.records.begin(), b.records.end(), r) != b.records.end())
      return true;
  }
  return false;
}

void group_sim::leader_change() {
  ++leader_generation_;
  trace("leader change");
  // The new leader has some prefix of the tail (whole batches); the rest is cut off.
  auto first_tail = std::find_if(log_.begin(), log_.end(),
                                 [&](const stored_batch& b) { return b.base >= hw_; });
  auto tail = static_cast<int32_t>(std::distance(first_tail, log_.end()));
  log_.erase(first_tail + uniform(0, tail), log_.end());
  replicate_tail();
}

void group_sim::replicate_tail() {
  if (log_.empty() || log_.back().end() <= hw_)
    return;
  auto generation = leader_generation_;
  auto end = log_.back().end();
  at(now_ms_ + uniform(0, 100), [=] {
    if (leader_generation_ == generation)
      hw_ = std::max(hw_, std::min(end, log_.back().end()));
  });
}

void group_sim::on_write(const group_write& w) {
  auto& c = *coord_;
  ++c.emitted;
  ++stats_.writes;
  if (w.seq != write_seq{c.emitted})
    fail("write " + to_string(w.seq) + " handed out as the "
         + std::to_string(c.emitted) + "th");
  if (w.records.empty())
    fail("an empty write");
  for (auto& [k, v] : w.records)
    if (v && k == group_key(group_name))
      c.last_group_value = *v;
  c.queued_commits = false;
  auto gen = c.gen;
  auto seq = w.seq;
  bool appended = !chance(faults.write_lost);
  if (debug_) {
    std::string what;
    for (auto& [k, v] : w.records) {
      auto key = decode_key(k);
      if (key && key->kind == key_kind::offset && v)
        what += " " + to_string(key->tp) + "=" + to_string(decode_offset(*v)->offset);
      else
        what += key && key->kind == key_kind::group ? " group" : " tombstone";
    }
    trace("write " + to_string(seq) + (appended ? "" : " (lost)") + ":" + what);
  }
  if (appended) {
    stored_batch b;
    b.base = log_.empty() ? log_offset{0} : log_.back().end();
    b.records = w.records;
    b.bytes = encode_batch(w, wall_ms_);
    set_base_offset(b.bytes.data(), b.base);
    log_.push_back(std::move(b));
  }
  if (!appended || chance(faults.write_unacked)) {
    at(now_ms_ + write_timeout_ms, [=] {
      if (coord_->gen != gen)
        return;
      ++stats_.writes_failed;
      trace("write " + to_string(seq) + " failed");
      if (appended)
        replicate_tail();  // it reaches the ISR some time later
      coord_->core->write_failed(seq, make_error(errc::request_timed_out, "simulated"));
      drain(std::nullopt);
    });
    return;
  }
  auto end = log_.back().end();
  at(now_ms_ + uniform(0, faults.max_ack_ms), [=] {
    if (coord_->gen != gen)
      return;
    hw_ = std::max(hw_, end);
    trace("write " + to_string(seq) + " acknowledged");
    ++coord_->acked;
    coord_->core->write_done(seq);
    drain(std::nullopt);
  });
}

// -- the coordinator ---------------------------------------------------------------------------

void group_sim::start_load() {
  auto gen = coord_->gen + 1;
  coord_ = std::make_unique<coordinator>();
  auto& c = *coord_;
  c.gen = gen;
  c.ph = coordinator::phase::loading;
  c.load.emplace(leader_epoch{static_cast<int32_t>(leader_generation_)}, 0);
  at(now_ms_ + 1, [=] { load_read(gen); });
}

void group_sim::load_read(uint64_t gen) {
  auto& c = *coord_;
  if (c.gen != gen || c.ph != coordinator::phase::loading)
    return;
  auto step = c.load->on_read(read_partition(c.load->position()));
  auto warnings = c.load->take_warnings();
  if (!warnings.empty())
    fail("the load skipped a record: " + warnings.front());
  switch (step) {
    case load_step::read:
      return at(now_ms_ + 1, [=] { load_read(gen); });
    case load_step::retry_later:
      return at(now_ms_ + 10, [=] { load_read(gen); });
    case load_step::serve:
      return serve(c.load->take_groups());
    case load_step::wait_managers:
      fail("a load with no managers to wait for waits");
  }
}

void group_sim::serve(std::map<std::string, loaded_group> groups) {
  auto& c = *coord_;
  auto lg = std::move(groups[group_name]);
  // After a failover every acknowledged commit is there (I4).
  for (auto& [tp, offset] : acked_) {
    auto i = lg.offsets.find(tp);
    if (i == lg.offsets.end() || i->second.offset < offset) {
      std::string trail;
      if (debug_)
        for (auto& b : log_)
          for (auto& [k, v] : b.records)
            if (k == offset_key(group_name, tp))
              trail += " [batch " + to_string(b.base)
                       + (b.end() <= hw_ ? " committed] " : "] ")
                       + to_string(decode_offset(*v)->offset);
      fail("the load lost the acknowledged commit " + to_string(offset) + " of "
           + to_string(tp) + trail);
    }
    ++stats_.loaded_offsets;
  }
  ++stats_.loads;
  trace("a new core serves");
  core_config cc;
  cc.group = group_name;
  cc.group_cfg.session_timeout = std::chrono::milliseconds{session_ms};
  cc.group_cfg.assignor = assignor_;
  cc.heartbeat_interval_ms = heartbeat_ms;
  c.last_group_value = lg.state ? encode(*lg.state)
                                : encode(group_state{group_name, cc.group_cfg}.snapshot());
  c.core = std::make_unique<group_core>(cc, std::move(lg),
                                        topic_sizes{topics_.begin(), topics_.end()}, now());
  c.ph = coordinator::phase::serving;
  drain(std::nullopt);
}

void group_sim::core_ended(bool failed) {
  auto& c = *coord_;
  if (!c.pendings.empty())
    fail("a " + std::string{failed ? "failed" : "stopped"} + " core still owes "
         + std::to_string(c.pendings.size()) + " replies");
  auto moved = c.moving;
  c.core.reset();
  c.ph = coordinator::phase::down;
  if (moved)
    leader_change();
  auto gen = ++c.gen;
  at(now_ms_ + uniform(1, 30), [=] {
    if (coord_->gen == gen)
      start_load();
  });
}

void group_sim::crash_coordinator() {
  auto& c = *coord_;
  if (c.ph == coordinator::phase::down)
    return;
  // The broker dies with its core or load: no reply and no write's end is ever reported.
  trace("coordinator crash");
  c.core.reset();
  c.load.reset();
  c.pendings.clear();
  c.ph = coordinator::phase::down;
  leader_change();
  auto gen = ++c.gen;
  at(now_ms_ + uniform(5, 60), [=] {
    if (coord_->gen == gen)
      start_load();
  });
}

void group_sim::move_coordinator() {
  auto& c = *coord_;
  if (c.ph == coordinator::phase::loading) {
    crash_coordinator();
    return;
  }
  if (c.ph != coordinator::phase::serving || c.moving)
    return;
  c.moving = true;
  trace("coordinator moves");
  c.core->stop();
  drain(std::nullopt);
}

void group_sim::arrive(pending p, std::function<void(group_core&, reply_id)> input) {
  auto& c = *coord_;
  if (c.ph != coordinator::phase::serving) {
    auto err = c.ph == coordinator::phase::loading
                 ? make_error(errc::coordinator_load_in_progress, "loading")
                 : make_error(errc::not_coordinator, "no coordinator");
    deliver(p, core_reply{reply_id{0}, err});
    return;
  }
  if (p.kind == sim_kind::fetch)
    for (auto& [tp, offset] : acked_)
      if (p.fetch_tps.empty()
          || std::find(p.fetch_tps.begin(), p.fetch_tps.end(), tp) != p.fetch_tps.end())
        p.acked_floor.emplace(tp, offset);
  reply_id id{++c.next_reply};
  c.pendings.emplace(id, std::move(p));
  input(*c.core, id);
  drain(id);
}

void group_sim::drain(std::optional<reply_id> fresh) {
  auto& c = *coord_;
  auto out = c.core->take_output();
  for (auto& id : out.unwatch)
    c.watched.erase(id);
  for (auto& w : out.watch) {
    auto p = c.pendings.find(w.from);
    if (p == c.pendings.end())
      fail("the core watches the sender of a request it does not have");
    c.watched[w.member_id] = p->second.member;
  }
  if (out.write)
    on_write(*out.write);
  if (fresh) {
    // What the reply to this request may not go out before: the write holding the state it
    // reflects (the next one if that state is not in a write yet).
    auto& p = c.pendings.at(*fresh);
    bool refused = std::any_of(out.replies.begin(), out.replies.end(), [&](const core_reply& r) {
      return r.id == *fresh && std::holds_alternative<caf::error>(r.value);
    });
    if (p.kind == sim_kind::commit && !refused && !out.write)
      c.queued_commits = true;
    bool dirty = c.queued_commits || encode(c.core->state().snapshot()) != c.last_group_value;
    p.required = c.emitted + (dirty ? 1 : 0);
  }
  for (auto& id : out.nudge) {
    auto w = c.watched.find(id);
    if (w == c.watched.end())
      continue;
    auto slot = w->second;
    send(to_member(slot), [=] {
      auto& m = *members_[static_cast<size_t>(slot)];
      if (m.alive && m.id == id)
        m.next_hb = now_ms_;
    });
  }
  for (auto& r : out.replies) {
    auto i = c.pendings.find(r.id);
    if (i == c.pendings.end())
      fail("a reply to a request the core does not owe (or a second one)");
    auto p = std::move(i->second);
    c.pendings.erase(i);
    if (debug_) {
      std::string what;
      if (auto err = std::get_if<caf::error>(&r.value))
        what = " " + cafka::describe(*err);
      else if (auto offsets = std::get_if<std::vector<partition_offset>>(&r.value))
        for (auto& po : *offsets)
          what += " " + to_string(po.tp) + "=" + to_string(po.offset);
      else if (auto hb = std::get_if<group_heartbeat_response>(&r.value))
        what = " " + hb->member_id + " epoch " + to_string(hb->member_epoch) + " "
               + names({hb->assignment.begin(), hb->assignment.end()});
      trace(std::string{"reply "} + kind_name(p.kind) + " to "
            + (p.member < 0 ? std::string{"observer"} : "m" + std::to_string(p.member)) + what);
    }
    check_reply(p, r);
    deliver(p, r);
  }
  if (out.finished)
    core_ended(out.failed);
}

void group_sim::check_reply(const pending& p, const core_reply& r) {
  ++stats_.replies;
  auto& c = *coord_;
  if (std::holds_alternative<caf::error>(r.value))
    return;  // a refusal may go out at once
  if (c.acked < p.required)
    fail(std::string{"a "} + kind_name(p.kind) + " reply went out before write "
         + std::to_string(p.required) + " holding its change was acknowledged (acknowledged: "
         + std::to_string(c.acked) + ")");
  if (auto hb = std::get_if<group_heartbeat_response>(&r.value)) {
    if (hb->member_epoch < join_epoch)
      return;  // a leave
    ++stats_.heartbeats_ok;
    check_epoch(hb->member_id, hb->member_epoch, hb->assignment);
  } else if (auto cr = std::get_if<classic_group_response>(&r.value)) {
    if (p.op == classic_op::sync && cr->error_code == 0) {
      ++stats_.classic_syncs;
      check_epoch(cr->member_id, cr->generation, cr->assignment);
    }
  } else if (std::holds_alternative<commit_done>(r.value)) {
    ++stats_.commits_acked;
    for (auto& rec : p.commit_records)
      if (!committed_record(rec))
        fail("a commit was acknowledged before its record was on the ISR");
    for (auto& [tp, offset] : p.commit_offsets)
      acked_[tp] = std::max(acked_[tp], offset);
  } else if (auto offsets = std::get_if<std::vector<partition_offset>>(&r.value)) {
    ++stats_.fetches_ok;
    std::map<topic_partition, log_offset> answer;
    for (auto& po : *offsets)
      answer[po.tp] = po.offset;
    for (auto& [tp, floor] : p.acked_floor) {
      auto i = answer.find(tp);
      if (i == answer.end() || i->second < floor)
        fail("I4: a fetch shows " + (i == answer.end() ? "nothing" : to_string(i->second))
             + " for " + to_string(tp) + ", whose commit of " + to_string(floor)
             + " was acknowledged before the fetch came");
    }
    for (auto& po : *offsets) {
      auto shown = shown_.find(po.tp);
      if (shown != shown_.end() && po.offset < shown->second)
        fail("I4: the committed offset of " + to_string(po.tp) + " went back from "
             + to_string(shown->second) + " to " + to_string(po.offset));
      if (po.offset >= log_offset{0})
        shown_[po.tp] = std::max(shown_[po.tp], po.offset);
    }
    if (p.member < 0)
      last_observed_ = now_ms_;
  } else {
    fail("a reply of another kind than its request's");
  }
}

void group_sim::check_epoch(const std::string& member_id, member_epoch epoch,
                            const std::vector<topic_partition>& assignment) {
  std::set<topic_partition> given{assignment.begin(), assignment.end()};
  auto i = epochs_.find(member_id);
  if (i != epochs_.end()) {
    auto& [last, before] = i->second;
    if (epoch < last)
      fail("member " + member_id + " got epoch " + to_string(epoch) + " after epoch "
           + to_string(last));
    if (epoch == last)
      for (auto& tp : before)
        if (given.count(tp) == 0)
          fail("member " + member_id + " lost " + to_string(tp) + " within epoch "
               + to_string(epoch) + ": " + names(before) + " then " + names(given));
  }
  epochs_[member_id] = {epoch, std::move(given)};
}

void group_sim::deliver(const pending& p, const core_reply& r) {
  if (p.member < 0)
    return;  // the observer reads its answers in check_reply
  auto slot = p.member;
  auto req = p.req;
  auto kind = p.kind;
  auto op = p.op;
  auto value = r.value;
  send(to_member(slot), [=] {
    auto& m = *members_[static_cast<size_t>(slot)];
    if (kind == sim_kind::classic)
      on_classic_reply(m, req, op, value);
    else if (kind == sim_kind::heartbeat)
      on_heartbeat_reply(m, req, value);
    else if (kind == sim_kind::fetch)
      on_fetch_reply(m, req, value);
    else if (m.alive && m.data_req == req)
      m.data_req = 0;
  });
}

} // namespace cafka::group::test
