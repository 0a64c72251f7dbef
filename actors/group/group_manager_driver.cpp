// The group manager's driver loop: does what the group core's output says, in the order
// runtime/group/group_core.hpp gives (monitors, the write, nudges, replies, the end). Runs in
// the group manager actor.
#include "actors/group/group_manager_state.hpp"

#include <type_traits>

#include <spdlog/spdlog.h>

#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"

namespace cafka::manager_detail {

namespace {

void forget_member(manager_self self, const std::string& member_id) {
  auto& st = self->state;
  auto i = st.member_actors.find(member_id);
  if (i == st.member_actors.end())
    return;
  st.by_addr.erase(i->second.address());
  self->demonitor(i->second.address());
  st.member_actors.erase(i);
}

void watch_member(manager_self self, const group::member_watch& w) {
  auto& st = self->state;
  auto p = st.pending.find(w.from);
  if (p == st.pending.end() || !p->second.sender)
    return;
  auto sender = p->second.sender;
  auto i = st.member_actors.find(w.member_id);
  if (i != st.member_actors.end() && i->second == sender)
    return;
  forget_member(self, w.member_id);
  st.member_actors.emplace(w.member_id, sender);
  st.by_addr[sender.address()] = w.member_id;
  self->monitor(sender);
}

void send_write(manager_self self, const group::group_write& w) {
  auto& st = self->state;
  auto seq = w.seq;
  produce_request req{st.cfg.offsets_tp, -1, st.cfg.write_timeout_ms,
                      group::encode_batch(w, now_ms())};
  self->request(st.cfg.broker, std::chrono::milliseconds{st.cfg.write_timeout_ms + 1000},
                produce_atom::value, std::move(req))
    .then(
      [=](produce_response&) {
        self->state.core->write_done(seq);
        drive(self);
      },
      [=](caf::error& err) {
        self->state.core->write_failed(seq, err);
        drive(self);
      });
}

// A description names where a monitored member's actor runs, and this coordinator.
void complete(manager_self self, group_description& d) {
  auto& st = self->state;
  d.coordinator = st.cfg.coordinator;
  for (auto& m : d.members) {
    auto a = st.member_actors.find(m.member_id);
    if (a != st.member_actors.end())
      m.client = caf::to_string(a->second.node());
  }
}

// The core's value for a promise of T.
template <class T>
struct core_value {
  using type = T;
};
template <>
struct core_value<caf::ok_atom> {
  using type = group::commit_done;
};

template <class T>
void deliver(manager_self self, caf::typed_response_promise<T>& rp, group::reply_value& v) {
  if (auto err = std::get_if<caf::error>(&v)) {
    rp.deliver(std::move(*err));
    return;
  }
  auto x = std::get_if<typename core_value<T>::type>(&v);
  if (x == nullptr) {
    // The core answers each request with its own kind: this is a bug, not an input.
    spdlog::error("group {}: a reply of the wrong kind", self->state.cfg.core.group);
    rp.deliver(make_error(errc::invalid_request, "internal error: a reply of the wrong kind"));
    return;
  }
  if constexpr (std::is_same_v<T, caf::ok_atom>) {
    rp.deliver(caf::ok_atom::value);
  } else {
    if constexpr (std::is_same_v<T, group_description>)
      complete(self, *x);
    rp.deliver(std::move(*x));
  }
}

void deliver(manager_self self, group::core_reply& r) {
  auto& st = self->state;
  auto i = st.pending.find(r.id);
  if (i == st.pending.end())
    return;
  auto p = std::move(i->second);
  st.pending.erase(i);
  std::visit([&](auto& rp) { deliver(self, rp, r.value); }, p.promise);
}

// The group's series after a drive: its generation (a bump counts a rebalance and logs a
// "rebalance" event; the first drive only takes the group as loaded), members and state.
void publish_group(manager_self self) {
  auto& st = self->state;
  if (st.cfg.metrics == nullptr || st.core->mode() != group::core_mode::serving)
    return;
  auto& m = *st.cfg.metrics;
  auto& g = st.core->state();
  auto generation = g.group_epoch();
  if (!st.shown_generation || *st.shown_generation != generation) {
    auto members = g.members().size();
    if (!st.shown_generation) {
      st.series = m.group(st.cfg.core.group);
    } else if (generation > *st.shown_generation) {
      st.series.rebalances.inc(static_cast<uint64_t>(generation - *st.shown_generation));
      m.events.append("rebalance", "group " + st.cfg.core.group + ": generation "
                                     + to_string(generation) + ", "
                                     + std::to_string(members) + " members");
    }
    st.series.generation.set(generation.value);
    st.series.members.set(static_cast<double>(members));
    st.shown_generation = generation;
  }
  std::string state = g.state_name();
  if (state != st.shown_state) {
    m.set_group_state(st.cfg.core.group, state);
    st.shown_state = std::move(state);
  }
}

} // namespace

void drive(manager_self self) {
  auto& st = self->state;
  for (auto out = st.core->take_output(); !out.empty(); out = st.core->take_output()) {
    for (auto& n : out.notes) {
      if (n.warning)
        spdlog::warn("{}", n.text);
      else
        spdlog::info("{}", n.text);
    }
    for (auto& id : out.unwatch)
      forget_member(self, id);
    for (auto& w : out.watch)
      watch_member(self, w);
    if (out.write)
      send_write(self, *out.write);
    for (auto& id : out.nudge) {
      auto i = st.member_actors.find(id);
      if (i != st.member_actors.end())
        caf::anon_send(i->second, heartbeat_atom::value);
    }
    // The metrics show the group as the replies do, before they go out. A finished group
    // leaves them first: a delete's answer lets the coordinator start a fresh group of the
    // same name at once.
    if (!out.finished)
      publish_group(self);
    else if (st.cfg.metrics != nullptr)
      st.cfg.metrics->remove_group(st.cfg.core.group);
    for (auto& r : out.replies)
      deliver(self, r);
    if (out.finished) {
      if (out.failed)
        self->quit(caf::exit_reason::user_shutdown);
      else
        self->quit();
      return;
    }
  }
  publish_group(self);
}

} // namespace cafka::manager_detail
