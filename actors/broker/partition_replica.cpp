#include "actors/broker/partition_replica.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"
#include "runtime/storage/file_handle.hpp"
#include "runtime/storage/partition_log.hpp"

namespace cafka {

namespace {

struct pending_fetch {
  fetch_request req;
  caf::typed_response_promise<fetch_response> rp;
};

struct replica_state {
  replica_config cfg;
  std::unique_ptr<partition_log> log;
  std::map<uint64_t, pending_fetch> waiting;  // long polls, by id
  uint64_t next_wait_id = 0;
  int64_t last_retention_check_ms = 0;
  leader_epoch_cache epochs;  // persisted as <dir>/leader-epoch-checkpoint
  static inline const char* name = "partition_replica";

  std::string checkpoint_path() const { return cfg.dir + "/" + epoch_checkpoint_file; }

  // Persists the epoch history (atomic replace); failures are logged, not fatal: the
  // history only speeds up divergence checks.
  void save_epochs() {
    if (auto err = atomic_replace_file(checkpoint_path(), epochs.serialize()))
      spdlog::error("partition {}: cannot write {}: {}", to_string(cfg.tp), checkpoint_path(),
                    describe(err));
  }

  // The high watermark: every record below it may be served. With a single replica (this
  // issue) it is the log end; replication will lower it to what the ISR has.
  log_offset high_watermark() const { return log->log_end_offset(); }
};

using replica_self = replica_actor::stateful_pointer<replica_state>;

fetch_response make_fetch_response(replica_state& st, const topic_partition& tp) {
  fetch_response resp;
  resp.tp = tp;
  resp.high_watermark = st.high_watermark();
  resp.log_start_offset = st.log->log_start_offset();
  return resp;
}

// Reads for a fetch; returns an error for offsets outside [log start, log end].
caf::expected<fetch_response> read_for(replica_state& st, const fetch_request& req) {
  auto resp = make_fetch_response(st, req.tp);
  if (req.offset == st.high_watermark())
    return resp;
  // The broker's fetch-max-bytes caps what a client may ask for.
  auto max_bytes = static_cast<size_t>(
    std::max(1, std::min(req.max_bytes, st.cfg.defaults.fetch_max_bytes)));
  auto r = st.log->read(req.offset, max_bytes, st.high_watermark());
  if (!r)
    return std::move(r.error());
  resp.records = std::move(r->data);
  return resp;
}

// Answers every waiting fetch that now has min_bytes available.
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

void schedule_tick(replica_self self) {
  auto& d = self->state.cfg.defaults;
  int64_t every = std::min<int64_t>(1000, d.log_retention_check_interval_ms);
  if (d.log.flush_ms > 0)
    every = std::min<int64_t>(every, d.log.flush_ms);
  self->delayed_send(self, std::chrono::milliseconds{std::max<int64_t>(every, 1)},
                     caf::tick_atom::value);
}

} // namespace

namespace {

replica_actor::behavior_type replica_behavior(replica_self self, replica_config cfg) {
  self->state.cfg = std::move(cfg);
  auto& st = self->state;
  auto opened = partition_log::open(st.cfg.dir, st.cfg.defaults.log, now_ms());
  if (!opened) {
    spdlog::error("partition {}: cannot open log in {}: {}", to_string(st.cfg.tp), st.cfg.dir,
                  describe(opened.error()));
    self->quit(opened.error()); // the broker sees the down message and reports it
  } else {
    st.log = std::move(*opened);
    // The leader-epoch history; a missing or unreadable checkpoint starts an empty history.
    std::ifstream in{st.checkpoint_path()};
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      auto parsed = leader_epoch_cache::parse(ss.str());
      if (parsed)
        st.epochs = std::move(*parsed);
      else
        spdlog::warn("partition {}: ignoring {}: {}", to_string(st.cfg.tp),
                     st.checkpoint_path(), describe(parsed.error()));
    }
    // Epochs that start at or beyond the (possibly truncated) log end hold no records.
    st.epochs.truncate_from_end(st.log->log_end_offset());
    st.last_retention_check_ms = now_ms();
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
      if (dm.source != st.cfg.owner)
        return;
      if (st.log) {
        if (auto err = st.log->flush())
          spdlog::error("partition {}: flush failed: {}", to_string(st.cfg.tp), describe(err));
        st.log.reset();
      }
      self->quit(dm.reason);
    });
  }
  return {
    [=](produce_atom, produce_request& req) -> caf::result<produce_response> {
      auto& st = self->state;
      auto max = static_cast<size_t>(st.cfg.defaults.message_max_bytes);
      if (req.batch.size() > max)
        return make_error(errc::message_too_large,
                          "record batch of " + std::to_string(req.batch.size())
                            + " bytes exceeds message.max.bytes (" + std::to_string(max) + ")");
      if (auto err = validate_batch(req.batch))
        return err;
      set_partition_leader_epoch(req.batch.data(), st.cfg.epoch);
      // First write of a new leader epoch: record where it starts (KIP-101).
      auto latest = st.epochs.latest();
      if (!latest || latest->epoch < st.cfg.epoch) {
        st.epochs.assign(st.cfg.epoch, st.log->log_end_offset());
        st.save_epochs();
      }
      auto base = st.log->append(req.batch, now_ms());
      if (!base) {
        spdlog::error("partition {}: append failed: {}", to_string(st.cfg.tp),
                      describe(base.error()));
        return std::move(base.error());
      }
      if (auto err = st.log->maybe_flush(now_ms()))
        spdlog::error("partition {}: flush failed: {}", to_string(st.cfg.tp), describe(err));
      if (!st.waiting.empty())
        wake_waiting(self);
      return produce_response{req.tp, *base, st.log->log_start_offset()};
    },
    [=](fetch_atom, fetch_request& req) -> caf::result<fetch_response> {
      auto& st = self->state;
      auto r = read_for(st, req);
      if (!r)
        return std::move(r.error());
      if (req.max_wait_ms <= 0
          || static_cast<int32_t>(r->records.size()) >= std::max(1, req.min_bytes))
        return std::move(*r);
      // Long poll: park the request until data arrives or max_wait_ms passes.
      auto id = st.next_wait_id++;
      auto rp = self->make_response_promise<fetch_response>();
      st.waiting.emplace(id, pending_fetch{req, rp});
      self->delayed_send(self, std::chrono::milliseconds{req.max_wait_ms}, expire_atom::value,
                         id);
      return rp;
    },
    [=](expire_atom, uint64_t id) {
      auto& st = self->state;
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
    [=](list_offsets_atom, list_offsets_request& req) -> list_offsets_response {
      auto& st = self->state;
      auto off = req.timestamp == earliest_timestamp ? st.log->log_start_offset()
                                                     : st.high_watermark();
      return {req.tp, off};
    },
    [=](caf::tick_atom) {
      auto& st = self->state;
      auto now = now_ms();
      if (auto err = st.log->maybe_flush(now))
        spdlog::error("partition {}: flush failed: {}", to_string(st.cfg.tp), describe(err));
      if (now - st.last_retention_check_ms >= st.cfg.defaults.log_retention_check_interval_ms) {
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
        }
      }
      schedule_tick(self);
    },
    [=](md_update_atom, partition_metadata& pm) {
      // Requires: epochs only grow (the controller bumps them on every leader change).
      if (pm.epoch > self->state.cfg.epoch)
        self->state.cfg.epoch = pm.epoch;
    },
    [=](replica_fetch_atom, replica_fetch_request&) -> caf::result<replica_fetch_response> {
      return make_error(errc::invalid_request, "replica fetch: not implemented yet");
    },
    [=](peer_atom, node_id, caf::strong_actor_ptr&) {},
    [=](stop_atom, bool delete_data) -> caf::ok_atom {
      auto& st = self->state;
      for (auto& kv : st.waiting)
        kv.second.rp.deliver(make_error(errc::shutting_down, "partition replica stopped"));
      st.waiting.clear();
      if (auto err = st.log->flush())
        spdlog::error("partition {}: flush on stop failed: {}", to_string(st.cfg.tp),
                      describe(err));
      st.log.reset();
      if (delete_data) {
        std::error_code ec;
        std::filesystem::remove_all(st.cfg.dir, ec);
        if (ec)
          spdlog::error("partition {}: cannot delete {}: {}", to_string(st.cfg.tp),
                        st.cfg.dir, ec.message());
      }
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
