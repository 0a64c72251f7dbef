// The group manager's writes to __consumer_offsets: at most one batch in flight, replies
// held until the write holding their change is done. Runs in the group manager actor.
#include "actors/group/group_manager_state.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka::manager_detail {

namespace {

// Bytes of the offset records waiting for the next write.
size_t queued_bytes(const group_manager_state& st) {
  size_t n = 0;
  for (auto& [k, v] : st.queued)
    n += k.size() + (v ? v->size() : 0) + record_overhead_bytes;
  return n;
}

} // namespace

bool dirty(manager_self self) {
  auto& st = self->state;
  return !st.queued.empty() || group::encode(st.group->snapshot()) != st.written_group;
}

void fail_all(manager_self self, const caf::error& err) {
  auto ws = std::move(self->state.waiters);
  self->state.waiters.clear();
  for (auto& w : ws)
    w.f(err);
}

void release_waiters(manager_self self) {
  auto& st = self->state;
  std::vector<waiter> ready;
  for (auto i = st.waiters.begin(); i != st.waiters.end();) {
    if (i->needs <= st.written) {
      ready.push_back(std::move(*i));
      i = st.waiters.erase(i);
    } else {
      ++i;
    }
  }
  for (auto& w : ready)
    w.f(caf::error{});
}

bool fits_or_restore(manager_self self, group::group_state& before) {
  auto& st = self->state;
  auto size = group::encode(st.group->snapshot()).size();
  if (size <= st.cfg.max_group_value_bytes
      || size <= group::encode(before.snapshot()).size())
    return true;
  spdlog::warn("group {}: refused a change that would make its record {} bytes (limit {})",
               st.cfg.group, size, st.cfg.max_group_value_bytes);
  *st.group = std::move(before);
  return false;
}


void flush(manager_self self) {
  auto& st = self->state;
  if (st.writing || st.failed || st.stop_requested || !dirty(self))
    return;
  batch_builder b;
  auto now = now_ms();
  for (auto& [k, v] : st.queued)
    b.append(now, k, v ? std::optional<std::string_view>{*v} : std::nullopt);
  st.queued.clear();
  auto value = group::encode(st.group->snapshot());
  if (value != st.written_group)
    b.append(now, group::group_key(st.cfg.group), value);
  st.written_group = value;
  st.writing = true;
  auto seq = ++st.issued;
  produce_request req{st.cfg.offsets_tp, -1, st.cfg.write_timeout_ms, b.finish()};
  self->request(st.cfg.broker, std::chrono::milliseconds{st.cfg.write_timeout_ms + 1000},
                produce_atom::value, std::move(req))
    .then(
      [=](produce_response&) {
        auto& st = self->state;
        st.writing = false;
        st.written = seq;
        release_waiters(self);
        if (st.stop_requested) {
          fail_all(self, make_error(errc::not_coordinator, "the group coordinator is moving"));
          self->quit();
          return;
        }
        flush(self);
      },
      [=](caf::error& err) {
        // Whether it was written is unknown, and the answers already given may rest on it:
        // stop; the coordinator reloads the partition (or another broker takes over).
        auto& st = self->state;
        spdlog::warn("group {}: writing to {} failed: {}; reloading", st.cfg.group,
                     to_string(st.cfg.offsets_tp), describe(err));
        st.failed = true;
        fail_all(self, make_error(errc::not_coordinator, "the group coordinator of '"
                                                           + st.cfg.group + "' is moving"));
        self->quit(caf::exit_reason::user_shutdown);
      });
}

void after_write(manager_self self, std::function<void(const caf::error&)> f) {
  auto& st = self->state;
  uint64_t needs = dirty(self) ? st.issued + 1 : st.issued;
  if (needs <= st.written) {
    f(caf::error{});
    return;
  }
  st.waiters.push_back({needs, std::move(f)});
  flush(self);
}

caf::error commit_room(const group_manager_state& st, size_t bytes) {
  // The group record may grow before the next write: joins up to max_group_value_bytes,
  // members' confirmations to twice that. Room is kept for the largest it can get.
  auto group_bytes = std::max(group::encode(st.group->snapshot()).size(),
                              2 * st.cfg.max_group_value_bytes);
  auto room = st.cfg.max_write_bytes
              - std::min(st.cfg.max_write_bytes, batch_overhead_bytes + group_bytes);
  if (bytes > room)
    return make_error(errc::message_too_large,
                      "a commit of " + std::to_string(bytes) + " bytes does not fit one write "
                        "of group '" + st.cfg.group + "' (" + std::to_string(room) + " bytes)");
  if (queued_bytes(st) + bytes > room)
    return make_error(errc::coordinator_load_in_progress,
                      "the next write of group '" + st.cfg.group + "' is full: retry");
  return {};
}

} // namespace cafka::manager_detail
