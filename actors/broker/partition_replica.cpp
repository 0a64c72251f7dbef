// The partition replica actor's handlers: consumer reads (fetch, long polls, list offsets)
// below the high watermark, opening and closing its log, and the inputs it feeds to its
// replica_fsm (replica_driver.cpp does what the fsm says; replica_tick.cpp the log's upkeep).
#include "actors/broker/partition_replica.hpp"

#include <algorithm>
#include <chrono>

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/broker/replica_metrics.hpp"
#include "actors/broker/replica_state.hpp"
#include "actors/node/authorization.hpp"
#include "actors/node/same_proxy.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/replication/consumer_reads.hpp"
#include "runtime/replication/hw_checkpoint.hpp"

namespace cafka {

namespace {

producer_state load_producers(replica_state& st) {
  auto rec = recover_producer_state(*st.cfg.io.disk, st.cfg.dir, *st.log,
                                    fsm_config(st.cfg).max_producer_ids);
  if (!rec) {
    spdlog::error("partition {}: cannot rebuild the idempotence table: {}", to_string(st.cfg.tp),
                  describe(rec.error()));
    return {};
  }
  if (!rec->warning.empty())
    spdlog::warn("partition {}: {}", to_string(st.cfg.tp), rec->warning);
  st.last_producer_snapshot_ms = now_ms();
  return std::move(rec->state);
}

// The checkpointed high watermark; none if the file is missing or unreadable (one warning).
std::optional<log_offset> load_high_watermark(replica_state& st) {
  st.last_hw_checkpoint_ms = now_ms();
  auto hw = load_hw_checkpoint(*st.cfg.io.disk, st.cfg.dir);
  if (!hw) {
    spdlog::warn("partition {}: ignoring {}/{}: {}", to_string(st.cfg.tp), st.cfg.dir,
                 hw_checkpoint_file, describe(hw.error()));
    return std::nullopt;
  }
  st.saved_hw = *hw;
  return *hw;
}

fetch_response make_fetch_response(replica_state& st, const topic_partition& tp) {
  fetch_response resp;
  resp.tp = tp;
  resp.high_watermark = st.fsm->high_watermark();
  resp.log_start_offset = st.log->log_start_offset();
  return resp;
}

// The most a fetch reads: what it asks for, within the broker's fetch-max-bytes.
int32_t capped_max_bytes(const replica_state& st, const fetch_request& req) {
  return std::max(1, std::min(req.max_bytes, st.cfg.defaults.fetch_max_bytes));
}

// Reads for a fetch, up to its read_end (consumer_reads.hpp).
caf::expected<fetch_response> read_for(replica_state& st, const fetch_request& req) {
  auto resp = make_fetch_response(st, req.tp);
  auto limit = read_end(req, st.fsm->high_watermark(), st.log->log_end_offset());
  if (req.offset >= limit && req.offset <= st.log->log_end_offset())
    return resp;
  auto r = st.log->read(req.offset, static_cast<size_t>(capped_max_bytes(st, req)), limit);
  if (!r)
    return std::move(r.error());
  resp.records = std::move(r->data);
  return resp;
}

// ListOffsets by timestamp: the first record with timestamp >= req.timestamp, if consumers
// may see it (consumer_reads.hpp); else no_offset and timestamp -1.
caf::expected<list_offsets_response> list_by_timestamp(replica_state& st,
                                                       const list_offsets_request& req) {
  auto found = st.log->offset_for_timestamp(req.timestamp);
  if (!found)
    return std::move(found.error());
  list_offsets_response resp{req.tp, no_offset, -1};
  if (*found && visible_to_consumers((*found)->offset, st.fsm->high_watermark())) {
    resp.offset = (*found)->offset;
    resp.timestamp = (*found)->timestamp;
  }
  return resp;
}

// discard: the partition is being deleted (its directory is already gone from its path),
// so nothing is saved.
void close_log(replica_state& st, bool discard) {
  stop_cleaning(st);  // removes a pass's unfinished output
  if (!st.log || !st.fsm)
    return;
  if (discard) {
    st.log.reset();
    return;
  }
  st.save_producers();
  // The log's fsynced point never passes a batch whose epoch the file may lack.
  if (st.epochs_unsynced && st.save_epochs(true))
    spdlog::warn("partition {}: log not synced at stop (open checks it)", to_string(st.cfg.tp));
  else if (auto err = st.log->flush())
    spdlog::error("partition {}: flush failed: {}", to_string(st.cfg.tp), describe(err));
  else
    st.save_high_watermark();  // after the flush: the log below it is on disk
  st.log.reset();
}

} // namespace

void wake_waiting(replica_self self) {
  auto& st = self->state;
  for (auto i = st.waiting.begin(); i != st.waiting.end();) {
    auto& w = i->second;
    auto r = read_for(st, w.req);
    if (!r) {
      w.rp.deliver(std::move(r.error()));
    } else if (fetch_answers_now(w.req, r->records.size())) {
      w.rp.deliver(counted_for_consumer(st, w.req, std::move(*r)));
    } else {
      ++i;
      continue;
    }
    i = st.waiting.erase(i);
  }
}

namespace {

// Opens the log and hands it, with its epoch history and idempotence table, to a new fsm,
// which takes up the role the metadata gives. False if the log cannot be opened.
bool open_replica(replica_self self) {
  auto& st = self->state;
  // The log is settled (its new recovery point recorded) only once the epoch history is
  // durable for what it checked: a point recorded first would hide a lost entry for good.
  auto opened = partition_log::open(*st.cfg.io.disk, st.cfg.dir, st.cfg.topic->log, now_ms(),
                                    false);
  if (!opened) {
    spdlog::error("partition {}: cannot open log in {}: {}", to_string(st.cfg.tp), st.cfg.dir,
                  describe(opened.error()));
    self->quit(opened.error()); // the broker sees the down message and reports it
    return false;
  }
  st.log = std::move(*opened);
  bool file_found = false;
  bool changed = false;
  auto epochs = recover_epochs(st, file_found, changed);
  if (!epochs) {
    spdlog::error("partition {}: cannot read its epoch history in {}: {}",
                  to_string(st.cfg.tp), st.cfg.dir, describe(epochs.error()));
    st.log.reset();
    self->quit(epochs.error());
    return false;
  }
  auto producers = load_producers(st);
  auto hw = load_high_watermark(st);
  st.fsm = std::make_unique<replica_fsm>(fsm_config(st.cfg), st.log->log_start_offset(),
                                         st.log->log_end_offset(), std::move(*epochs),
                                         std::move(producers), hw);
  st.last_retention_check_ms = now_ms();
  // An empty log needs no snapshot; any other gets one at the first interval (the table was
  // rebuilt up to its end, perhaps beyond the snapshot on disk).
  if (st.log->log_end_offset() == st.log->log_start_offset())
    st.snapshot_log_end = st.log->log_end_offset();
  // A new log (no record ever written) has high watermark 0 with or without a checkpoint:
  // creating thousands of partitions writes and syncs no checkpoint for them.
  if (!hw && st.log->log_end_offset() == log_offset{0})
    st.saved_hw = log_offset{0};
  st.epochs_unsynced = file_found && st.log->opened_unflushed();
  caf::error err;
  if (changed || (st.epochs_unsynced && st.log->has_flush_policy()))
    err = st.save_epochs(true);
  if (!err)
    err = st.log->settle();
  if (err) {
    spdlog::error("partition {}: cannot save its epochs or settle its log in {}: {}",
                  to_string(st.cfg.tp), st.cfg.dir, describe(err));
    st.fsm.reset();
    st.log.reset();
    self->quit(err);
    return false;
  }
  st.series = st.cfg.io.metrics->partition(st.cfg.tp.topic, st.cfg.tp.partition.value);
  st.fsm->update_partition(st.cfg.pm, mono_ms(self));
  drive(self);
  update_partition_series(st, true);
  return true;
}

// The broker's guards hold here too (a replica can be reached without its broker, and a
// broker's delegation keeps the sender): only this process writes internal topics and
// fetches to the log end.
bool local_sender(replica_self self) {
  return identify(self->current_sender()).kind == sender_kind::local;
}

caf::result<produce_response> on_produce(replica_self self, produce_request& req) {
  auto& st = self->state;
  if (st.cfg.tp.topic == group::offsets_topic && !local_sender(self))
    return make_error(errc::invalid_request,
                      "topic '" + st.cfg.tp.topic + "' is internal: only brokers write it");
  auto id = st.next_id++;
  auto rp = self->make_response_promise<produce_response>();
  auto batch = describe_batch(req.batch, st.fsm->config(), now_ms());
  auto append_time = st.fsm->config().log_append_time ? batch.header.max_timestamp : -1;
  st.produces.emplace(id, pending_produce{rp, std::move(req.batch), append_time});
  st.fsm->produce(id, batch, req.acks, req.timeout_ms, mono_ms(self));
  drive(self);
  return rp;
}

caf::result<fetch_response> on_fetch(replica_self self, fetch_request& req) {
  auto& st = self->state;
  if (req.to_log_end && !local_sender(self))
    return make_error(errc::invalid_request, "fetch to the log end is for brokers only");
  if (!st.fsm->leading())
    return st.fsm->not_leader();
  if (req.max_bytes <= 0 && req.max_wait_ms <= 0) {  // the offsets only
    if (req.offset < st.log->log_start_offset() || req.offset > st.log->log_end_offset())
      return make_error(errc::offset_out_of_range,
                        "fetch of " + to_string(st.cfg.tp) + " at "
                          + std::to_string(req.offset.value) + ": outside the log");
    return make_fetch_response(st, req.tp);
  }
  // What read_for returns at most: min_bytes is clamped to it (consumer_reads.hpp).
  req.max_bytes = capped_max_bytes(st, req);
  auto r = read_for(st, req);
  if (!r)
    return std::move(r.error());
  if (fetch_answers_now(req, r->records.size()))
    return counted_for_consumer(st, req, std::move(*r));
  if (park_or_refuse(st.waiting.size(), st.cfg.limits.max_parked_fetches_per_partition)
      == park_verdict::refuse) {
    // Every parked poll is read again on each high watermark advance: the cap bounds that.
    if (st.park_refusals++ % 1000 == 0)
      spdlog::warn("partition {}: {} fetches parked (max-parked-fetches-per-partition): not "
                   "parking another, {} refused so far",
                   to_string(st.cfg.tp), st.waiting.size(), st.park_refusals);
    r->park_refused = true;
    return counted_for_consumer(st, req, std::move(*r));
  }
  // Long poll: park the request until data is committed or max_wait_ms passes.
  auto id = st.next_id++;
  auto rp = self->make_response_promise<fetch_response>();
  st.waiting.emplace(id, pending_fetch{req, rp});
  self->delayed_send(self, std::chrono::milliseconds{req.max_wait_ms}, expire_atom::value, id);
  return rp;
}

// Only the follower itself (or this process) may fetch as the follower: its fetches keep it
// in the ISR and move the high watermark.
caf::result<replica_fetch_response> on_replica_fetch(replica_self self,
                                                     replica_fetch_request& req) {
  auto& st = self->state;
  auto who = identify(self->current_sender());
  if (!may_act_as_node(who, req.follower))
    return refuse(st.refusals, st.owner(), "replica_fetch", who,
                  "it may not fetch as follower " + to_string(req.follower));
  auto id = st.next_id++;
  auto rp = self->make_response_promise<replica_fetch_response>();
  st.follower_fetches.emplace(id, rp);
  st.fsm->follower_fetch(id, req, mono_ms(self));
  drive(self);
  return rp;
}

// A consumer's long poll ran out of time: answered with what is there.
void expire_waiting(replica_self self, uint64_t id) {
  auto& st = self->state;
  auto i = st.waiting.find(id);
  if (i == st.waiting.end())
    return;
  auto r = read_for(st, i->second.req);
  if (r)
    i->second.rp.deliver(counted_for_consumer(st, i->second.req, std::move(*r)));
  else
    i->second.rp.deliver(std::move(r.error()));
  st.waiting.erase(i);
}

caf::result<list_offsets_response> on_list_offsets(replica_self self,
                                                   list_offsets_request& req) {
  auto& st = self->state;
  if (!st.fsm->leading())
    return st.fsm->not_leader();
  if (req.timestamp >= 0)
    return list_by_timestamp(st, req);
  auto off = req.timestamp == earliest_timestamp ? st.log->log_start_offset()
                                                 : st.fsm->high_watermark();
  return list_offsets_response{req.tp, off};
}

// The broker hands a follower its leader's broker.
void on_peer(replica_self self, node_id id, caf::strong_actor_ptr& hdl) {
  auto& st = self->state;
  if (!hdl || id != st.fsm->partition().leader || st.fsm->leading())
    return;
  if (!same_proxy(st.leader_broker, hdl)) {
    // A new handle (the connection came back): a fetch sent through the old one may never be
    // answered, whether or not the old one's down message came first (on_down tells the
    // proxies apart).
    if (st.leader_broker)
      st.fsm->leader_lost(mono_ms(self));
    st.leader_broker = hdl;
    st.leader_broker_id = id;
    self->monitor(hdl);
  }
  st.fsm->leader_reachable(mono_ms(self));
  drive(self);
}

void on_stop(replica_self self, bool deleted) {
  auto& st = self->state;
  st.fsm->stop(make_error(errc::shutting_down, "partition replica stopped"));
  drive(self);
  close_log(st, deleted);
  self->quit();
}

void on_down(replica_self self, caf::down_msg& dm) {
  auto& st = self->state;
  if (dm.source == st.cfg.owner) {
    // A killed broker (the simulation's crash) leaves the files as SIGKILL would: nothing
    // flushed, no producer snapshot saved.
    if (dm.reason != caf::exit_reason::kill)
      close_log(st, false);
    self->quit(dm.reason);
  } else if (st.leader_broker && same_proxy(dm.source, st.leader_broker)) {
    // The leader's broker or the connection to it is gone, and with it the fetch in flight.
    // The broker hands out a new handle when it has one.
    st.leader_broker = nullptr;
    st.leader_broker_id = no_node;
    if (st.fsm) {
      st.fsm->leader_lost(mono_ms(self));
      drive(self);
    }
  }
}

// Messages only the broker (or another actor of this process) sends; refused (counted and
// logged) from anyone else.
bool from_local(replica_self self, const char* what) {
  return !require_local(self, self->state.refusals, self->state.owner(), what,
                        "only this process sends it");
}

// The replica's own timers: only its delayed_send(self, ...) may deliver them.
bool own(replica_self self, const char* what) {
  return own_timer(self, self->state.refusals, self->state.owner(), what);
}

replica_timers_actor::behavior_type replica_behavior(replica_self self, replica_config cfg) {
  self->state.cfg = std::move(cfg);
  if (open_replica(self))
    schedule_tick(self);
  self->set_error_handler([=](caf::error& err) {
    spdlog::warn("partition {}: ignoring error message: {}", to_string(self->state.cfg.tp),
                 self->system().render(err));
  });
  // Supervision the other way round: a replica never outlives its broker.
  if (self->state.cfg.owner) {
    self->monitor(self->state.cfg.owner);
    self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  }
  return {
    [=](produce_atom, produce_request& req) { return on_produce(self, req); },
    [=](fetch_atom, fetch_request& req) { return on_fetch(self, req); },
    [=](replica_fetch_atom, replica_fetch_request& req) { return on_replica_fetch(self, req); },
    [=](expire_atom, uint64_t id) {
      if (own(self, "expire"))
        expire_waiting(self, id);
    },
    [=](wake_atom, uint64_t at) {
      if (!own(self, "wake"))
        return;
      auto& st = self->state;
      st.wakeups.erase(static_cast<int64_t>(at));
      st.fsm->tick(mono_ms(self));
      drive(self);
    },
    [=](resume_fetch_atom) {
      if (own(self, "resume_fetch"))
        resume_fetch(self);
    },
    [=](list_offsets_atom, list_offsets_request& req) { return on_list_offsets(self, req); },
    [=](clean_atom) {
      if (own(self, "clean"))
        clean_step(self);
    },
    [=](caf::tick_atom, uint64_t at) {
      if (own(self, "tick"))
        on_tick(self, at);
    },
    [=](md_update_atom, partition_metadata& pm) {
      if (from_local(self, "md_update"))
        on_partition_update(self, pm);
    },
    [=](md_update_atom, topic_config& topic) {
      if (!from_local(self, "md_update"))
        return;
      auto& st = self->state;
      auto& was = *st.cfg.topic;
      if (was.cleanup_compact != topic.cleanup_compact
          || was.delete_retention_ms != topic.delete_retention_ms
          || was.min_cleanable_dirty_ratio != topic.min_cleanable_dirty_ratio)
        stop_cleaning(st);  // a pass under way would use the old settings
      st.cfg.topic = topic;
      if (!st.log || !st.fsm)
        return;
      st.log->set_config(topic.log);
      // The log now fsyncs as it is written: never past an entry that is not durable.
      if (st.epochs_unsynced && st.log->has_flush_policy())
        if (auto err = st.save_epochs(true)) {
          fail_replica(self, err);
          return;
        }
      st.fsm->set_topic_config(topic);
      drive(self);
      schedule_tick(self);  // flush.ms or compaction may want it sooner
    },
    [=](peer_atom, node_id id, caf::strong_actor_ptr& hdl) {
      if (from_local(self, "peer"))
        on_peer(self, id, hdl);
    },
    [=](stop_atom, bool deleted) -> caf::result<caf::ok_atom> {
      if (auto err = require_local(self, self->state.refusals, self->state.owner(), "stop",
                                   "only this process may stop a replica"))
        return err;
      on_stop(self, deleted);
      return caf::ok_atom::value;
    },
  };
}

} // namespace

replica_actor spawn_partition_replica(caf::actor_system& sys, replica_config cfg) {
  if (!cfg.topic)
    cfg.topic = effective_topic_config(cfg.defaults, cfg.tp.topic, {});
  return sys.spawn(replica_behavior, std::move(cfg));
}

} // namespace cafka
