#include "actors/broker/partition_replica.hpp"

#include <algorithm>
#include <chrono>

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/broker/replica_state.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/group/group_records.hpp"

namespace cafka {

void replica_state::save_epochs() {
  if (auto err = cfg.io.disk->replace_file(checkpoint_path(), epochs.serialize()))
    spdlog::error("partition {}: cannot write {}: {}", to_string(cfg.tp), checkpoint_path(),
                  describe(err));
}

void replica_state::note_epoch(leader_epoch epoch, log_offset start) {
  auto latest = epochs.latest();
  if (latest && latest->epoch >= epoch)
    return;
  epochs.assign(epoch, start);
  save_epochs();
}

void replica_state::save_producers() {
  if (auto err = save_producer_snapshot(cfg.dir, producers))
    spdlog::error("partition {}: cannot write the producer snapshot: {}", to_string(cfg.tp),
                  describe(err));
  last_producer_snapshot_ms = now_ms();
}

namespace {

// How often a replica snapshots its idempotence table (bounds the replay after a crash).
constexpr int64_t producer_snapshot_interval_ms = 30000;

void load_producers(replica_state& st) {
  auto rec = recover_producer_state(st.cfg.dir, *st.log);
  if (!rec) {
    spdlog::error("partition {}: cannot rebuild the idempotence table: {}", to_string(st.cfg.tp),
                  describe(rec.error()));
    return;
  }
  if (!rec->warning.empty())
    spdlog::warn("partition {}: {}", to_string(st.cfg.tp), rec->warning);
  st.producers = std::move(rec->state);
  st.last_producer_snapshot_ms = now_ms();
}

fetch_response make_fetch_response(replica_state& st, const topic_partition& tp) {
  fetch_response resp;
  resp.tp = tp;
  resp.high_watermark = st.hw;
  resp.log_start_offset = st.log->log_start_offset();
  return resp;
}

// Reads for a consumer fetch: only records below the high watermark are visible.
caf::expected<fetch_response> read_for(replica_state& st, const fetch_request& req) {
  auto resp = make_fetch_response(st, req.tp);
  auto limit = req.to_log_end ? st.log->log_end_offset() : st.hw;
  if (req.offset >= limit && req.offset <= st.log->log_end_offset())
    return resp;
  // The broker's fetch-max-bytes caps what a client may ask for.
  auto max_bytes = static_cast<size_t>(
    std::max(1, std::min(req.max_bytes, st.cfg.defaults.fetch_max_bytes)));
  auto r = st.log->read(req.offset, max_bytes, limit);
  if (!r)
    return std::move(r.error());
  resp.records = std::move(r->data);
  return resp;
}

// ListOffsets by timestamp: the first record with timestamp >= req.timestamp, if it is below
// the high watermark (Kafka, isolation READ_UNCOMMITTED); else offset -1 and timestamp -1.
caf::expected<list_offsets_response> list_by_timestamp(replica_state& st,
                                                       const list_offsets_request& req) {
  auto found = st.log->offset_for_timestamp(req.timestamp);
  if (!found)
    return std::move(found.error());
  list_offsets_response resp{req.tp, log_offset{-1}, -1};
  if (*found && (*found)->offset < st.hw) {
    resp.offset = (*found)->offset;
    resp.timestamp = (*found)->timestamp;
  }
  return resp;
}

void schedule_tick(replica_self self) {
  auto& d = self->state.cfg.defaults;
  int64_t every = std::min<int64_t>(1000, d.log_retention_check_interval_ms);
  if (d.log.flush_ms > 0)
    every = std::min<int64_t>(every, d.log.flush_ms);
  // ISR shrink checks run at least twice per replica-lag-time-max-ms.
  every = std::min<int64_t>(every, std::max<int64_t>(d.replica_lag_time_max_ms / 2, 5));
  self->delayed_send(self, std::chrono::milliseconds{std::max<int64_t>(every, 1)},
                     caf::tick_atom::value);
}

void load_epochs(replica_state& st) {
  auto bytes = st.cfg.io.disk->read_file(st.checkpoint_path());
  if (!bytes) {
    spdlog::warn("partition {}: ignoring {}: {}", to_string(st.cfg.tp), st.checkpoint_path(),
                 describe(bytes.error()));
  } else if (*bytes) {
    auto parsed = leader_epoch_cache::parse(**bytes);
    if (parsed)
      st.epochs = std::move(*parsed);
    else
      spdlog::warn("partition {}: ignoring {}: {}", to_string(st.cfg.tp), st.checkpoint_path(),
                   describe(parsed.error()));
  }
  // Epochs that start at or beyond the (possibly truncated) log end hold no records.
  st.epochs.truncate_from_end(st.log->log_end_offset());
}

} // namespace

void adopt_partition(replica_self self, const partition_metadata& pm) {
  auto& st = self->state;
  bool newer = pm.epoch > st.pm.epoch
               || (pm.epoch == st.pm.epoch && pm.partition_epoch > st.pm.partition_epoch);
  if (!newer)
    return;
  bool new_epoch = pm.epoch != st.pm.epoch;
  bool was_leading = st.leading();
  st.pm = pm;
  if (new_epoch)
    st.deposed = false;
  if (st.leading()) {
    if (!was_leading || new_epoch)
      become_leader(self);
    else
      st.tracker->set_isr(st.pm.isr);
  } else {
    if (was_leading)
      stop_leading(self, not_leader(st));
    // An ISR-only change (same epoch) leaves a running fetch loop alone.
    if (st.following() && (was_leading || new_epoch))
      become_follower(self);
  }
}

namespace {

// discard: the partition is being deleted (its directory is already gone from its path),
// so nothing is saved.
void close_log(replica_state& st, bool discard) {
  if (!st.log)
    return;
  if (discard) {
    st.log.reset();
    return;
  }
  st.save_producers();
  if (auto err = st.log->flush())
    spdlog::error("partition {}: flush failed: {}", to_string(st.cfg.tp), describe(err));
  st.log.reset();
}

} // namespace

caf::error not_leader(const replica_state& st) {
  return make_error(errc::not_leader_for_partition,
                    "broker " + std::to_string(st.cfg.self.value) + " does not lead "
                      + to_string(st.cfg.tp) + " (leader epoch " + to_string(st.pm.epoch)
                      + ")");
}

void wake_waiting(replica_self self) {
  auto& st = self->state;
  for (auto i = st.waiting.begin(); i != st.waiting.end();) {
    auto& w = i->second;
    auto r = read_for(st, w.req);
    if (!r) {
      w.rp.deliver(std::move(r.error()));
    } else if (static_cast<int32_t>(r->records.size()) >= std::max(1, w.req.min_bytes)) {
      w.rp.deliver(std::move(*r));
    } else {
      ++i;
      continue;
    }
    i = st.waiting.erase(i);
  }
}

namespace {

replica_actor::behavior_type replica_behavior(replica_self self, replica_config cfg) {
  self->state.cfg = std::move(cfg);
  auto& st = self->state;
  auto opened = partition_log::open(*st.cfg.io.disk, st.cfg.dir, st.cfg.defaults.log, now_ms());
  if (!opened) {
    spdlog::error("partition {}: cannot open log in {}: {}", to_string(st.cfg.tp), st.cfg.dir,
                  describe(opened.error()));
    self->quit(opened.error()); // the broker sees the down message and reports it
  } else {
    st.log = std::move(*opened);
    load_epochs(st);
    load_producers(st);
    st.last_retention_check_ms = now_ms();
    // Take up the role the metadata gives (from an empty view: any real one is newer).
    auto initial = st.cfg.pm;
    st.pm = partition_metadata{};
    st.pm.epoch = leader_epoch{-1};
    adopt_partition(self, initial);
    schedule_tick(self);
  }
  self->set_error_handler([=](caf::error& err) {
    spdlog::warn("partition {}: ignoring error message: {}", to_string(self->state.cfg.tp),
                 self->system().render(err));
  });
  // Supervision the other way round: a replica never outlives its broker.
  if (st.cfg.owner) {
    self->monitor(st.cfg.owner);
    self->set_down_handler([=](caf::down_msg& dm) {
      auto& st = self->state;
      if (dm.source == st.cfg.owner) {
        // A killed broker (the simulation's crash) leaves the files as SIGKILL would:
        // nothing flushed, no producer snapshot saved.
        if (dm.reason != caf::exit_reason::kill)
          close_log(st, false);
        self->quit(dm.reason);
      } else if (st.leader_broker && dm.source == st.leader_broker->address()) {
        st.leader_broker = nullptr; // the broker hands out a new handle when it has one
      }
    });
  }
  return {
    [=](produce_atom, produce_request& req) -> caf::result<produce_response> {
      return leader_produce(self, req);
    },
    [=](fetch_atom, fetch_request& req) -> caf::result<fetch_response> {
      auto& st = self->state;
      if (!st.leading())
        return not_leader(st);
      auto r = read_for(st, req);
      if (!r)
        return std::move(r.error());
      if (req.max_wait_ms <= 0
          || static_cast<int32_t>(r->records.size()) >= std::max(1, req.min_bytes))
        return std::move(*r);
      // Long poll: park the request until data is committed or max_wait_ms passes.
      auto id = st.next_wait_id++;
      auto rp = self->make_response_promise<fetch_response>();
      st.waiting.emplace(id, pending_fetch{req, rp});
      self->delayed_send(self, std::chrono::milliseconds{req.max_wait_ms}, expire_atom::value,
                         expire_consumer_fetch, id);
      return rp;
    },
    [=](replica_fetch_atom, replica_fetch_request& req)
      -> caf::result<replica_fetch_response> { return leader_replica_fetch(self, req); },
    [=](expire_atom, int32_t kind, uint64_t id) {
      auto& st = self->state;
      if (kind == expire_ack_kind)
        return expire_ack(self, id);
      if (kind == expire_follower_fetch_kind)
        return expire_follower_fetch(self, id);
      auto i = st.waiting.find(id);
      if (i == st.waiting.end())
        return;
      auto r = read_for(st, i->second.req);
      if (r)
        i->second.rp.deliver(std::move(*r));
      else
        i->second.rp.deliver(std::move(r.error()));
      st.waiting.erase(i);
    },
    [=](wake_atom, uint64_t generation) {
      if (generation == self->state.fetch_generation)
        follower_fetch(self);
    },
    [=](list_offsets_atom, list_offsets_request& req) -> caf::result<list_offsets_response> {
      auto& st = self->state;
      if (!st.leading())
        return not_leader(st);
      if (req.timestamp >= 0)
        return list_by_timestamp(st, req);
      auto off = req.timestamp == earliest_timestamp ? st.log->log_start_offset() : st.hw;
      return list_offsets_response{req.tp, off};
    },
    [=](caf::tick_atom) {
      auto& st = self->state;
      auto now = now_ms();
      if (auto err = st.log->maybe_flush(now)) {
        spdlog::error("partition {}: flush failed: {}", to_string(st.cfg.tp), describe(err));
        fail_replica(self, err);
        return;
      }
      // __consumer_offsets keeps every record: without log compaction, time or size
      // retention would drop committed offsets and group state.
      if (now - st.last_retention_check_ms >= st.cfg.defaults.log_retention_check_interval_ms
          && st.cfg.tp.topic != group::offsets_topic) {
        st.last_retention_check_ms = now;
        auto n = st.log->enforce_retention(now);
        if (!n)
          spdlog::error("partition {}: retention failed: {}", to_string(st.cfg.tp),
                        describe(n.error()));
        else if (*n > 0)
          spdlog::info("partition {}: retention deleted {} segment(s), log start is now {}",
                       to_string(st.cfg.tp), *n, st.log->log_start_offset().value);
        if (n && *n > 0) {
          st.epochs.truncate_from_start(st.log->log_start_offset());
          st.save_epochs();
          st.save_producers(); // never behind the log start
        }
      }
      st.producers.expire(now, default_producer_id_expiration_ms);
      if (now - st.last_producer_snapshot_ms >= producer_snapshot_interval_ms)
        st.save_producers();
      if (st.leading())
        leader_tick(self);
      schedule_tick(self);
    },
    [=](md_update_atom, partition_metadata& pm) { adopt_partition(self, pm); },
    [=](peer_atom, node_id id, caf::strong_actor_ptr& hdl) {
      auto& st = self->state;
      if (!hdl || id != st.pm.leader || st.leading())
        return;
      if (st.leader_broker != hdl) {
        st.leader_broker = hdl;
        st.leader_broker_id = id;
        self->monitor(hdl);
      }
      follower_fetch(self);
    },
    [=](stop_atom, bool deleted) -> caf::ok_atom {
      auto& st = self->state;
      for (auto& kv : st.waiting)
        kv.second.rp.deliver(make_error(errc::shutting_down, "partition replica stopped"));
      st.waiting.clear();
      stop_leading(self, make_error(errc::shutting_down, "partition replica stopped"));
      close_log(st, deleted);
      self->quit();
      return caf::ok_atom::value;
    },
  };
}

} // namespace

replica_actor spawn_partition_replica(caf::actor_system& sys, replica_config cfg) {
  return sys.spawn(replica_behavior, std::move(cfg));
}

} // namespace cafka
