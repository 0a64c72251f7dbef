#include "cafka/producer_actor.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "actors/client/producer_actor_state.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/ids_format.hpp"
#include "runtime/client/record_partitioner.hpp"
#include "runtime/client/report_collector.hpp"

namespace cafka::producer_detail {

namespace {

// Runs the callbacks of a batch: offset base + i per record, or -1 for all with acks=0 or
// an error.
void complete(producer_self self, ready_batch& rb, log_offset base, const caf::error& err) {
  auto& st = self->state;
  delivery_report rep;
  rep.tp = rb.tp;
  rep.error = err;
  for (size_t i = 0; i < rb.callbacks.size(); ++i) {
    rep.offset = err || base < log_offset{0} ? no_offset : base + static_cast<int64_t>(i);
    rep.opaque = rb.opaques[i];
    if (rb.callbacks[i])
      rb.callbacks[i](rep);
  }
  st.pending_records -= static_cast<size_t>(rb.record_count);
  st.acc->release(rb.bytes.size());
}

void send_ready(producer_self self, const topic_partition& tp);

// The actor clock (steady, the clock of delayed_send) in milliseconds.
int64_t steady_ms(producer_self self) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           self->clock().now().time_since_epoch())
    .count();
}

// Arms the backoff wake for the wall-clock time wall_at, unless one is pending no later.
void arm_backoff_wake(producer_self self, int64_t wall_at, int64_t wall_now) {
  auto& st = self->state;
  auto in = std::max<int64_t>(1, wall_at - wall_now);
  auto due = steady_ms(self) + in;
  if (st.backoff_wake_due >= 0 && st.backoff_wake_due <= due)
    return;
  st.backoff_wake_due = due;
  self->delayed_send(self, std::chrono::milliseconds{in}, wake_atom::value,
                     static_cast<uint64_t>(due));
}

// A partition whose queue backs off after a retry: the backoff wake sends its batches,
// including any drained meanwhile. Every retry verdict comes here (a zero backoff too).
void hold_for_backoff(producer_self self, const topic_partition& tp, int64_t now) {
  auto& st = self->state;
  st.backing_off.insert(tp);
  arm_backoff_wake(self, st.queue(tp).backoff_until(), now);
}

} // namespace

void check_flush(producer_self self) {
  auto& st = self->state;
  if (st.flush_waiters.empty() || st.pending_records > 0 || st.acc->open_records() > 0)
    return;
  for (auto& rp : st.flush_waiters)
    rp.deliver(caf::ok_atom::value);
  st.flush_waiters.clear();
  st.flushing = false;
  if (st.stopping)
    self->quit();
}

void fail_open(producer_self self, const caf::error& err) {
  auto& st = self->state;
  for (auto& rb : st.acc->abort_all(now_ms())) {
    st.pending_records += static_cast<size_t>(rb.record_count);
    complete(self, rb, no_offset, err);
  }
}

// -- batches ---------------------------------------------------------------------------------

namespace {

void on_batch_done(producer_self self, ready_batch rb, caf::expected<produce_response> res) {
  auto& st = self->state;
  auto tp = rb.tp;
  caf::error err = res ? caf::error{} : res.error();
  auto r = st.queue(tp).on_result(rb, err, now_ms());
  switch (r.kind) {
    case send_queue::verdict::done:
      complete(self, rb, res->base_offset, caf::error{});
      break;
    case send_queue::verdict::failed:
      complete(self, rb, no_offset, err);
      break;
    case send_queue::verdict::retry:
      // Retried in order after a backoff, with fresh metadata.
      spdlog::debug("producer: retrying batch for {}: {}", to_string(tp), describe(err));
      if (r.backoff_started)
        st.link.refresh_metadata(self, [](caf::error) {});
      hold_for_backoff(self, tp, now_ms());
      return;
  }
  send_ready(self, tp);
  pump(self);  // the partition's sender may take its held open batch now
}

void send_batch(producer_self self, ready_batch rb, broker_actor leader) {
  auto& st = self->state;
  auto tp = rb.tp;
  produce_request req{tp, st.cfg.acks, static_cast<int32_t>(st.cfg.request_timeout_ms),
                      rb.bytes};
  if (st.cfg.acks == 0) {
    caf::anon_send(leader, produce_atom::value, std::move(req));
    st.queue(tp).on_result(rb, caf::error{}, now_ms());
    complete(self, rb, no_offset, caf::error{});
    return;
  }
  auto shared = std::make_shared<ready_batch>(std::move(rb));
  auto id = st.next_request++;
  st.requests.emplace(id, producer_actor_state::in_flight{leader.address(), shared});
  self->request(leader, std::chrono::milliseconds{st.cfg.request_timeout_ms},
                produce_atom::value, std::move(req))
    .then(
      [=](produce_response& resp) {
        if (self->state.requests.erase(id) > 0)
          on_batch_done(self, std::move(*shared), resp);
      },
      [=](caf::error& err) {
        if (self->state.requests.erase(id) == 0)
          return; // already failed by the down message
        if (errc_of(err) == errc::none)
          self->state.link.forget(leader.address());
        on_batch_done(self, std::move(*shared), std::move(err));
      });
}

// A broker of the link went away (its node died or the connection broke; cluster_link
// monitors them): its unanswered requests fail now, as Kafka's network client fails them on
// a disconnect.
void on_broker_down(producer_self self, const caf::down_msg& dm) {
  auto& st = self->state;
  st.link.forget(dm.source);
  std::vector<std::shared_ptr<ready_batch>> lost;
  for (auto i = st.requests.begin(); i != st.requests.end();) {
    if (i->second.broker == dm.source) {
      lost.push_back(i->second.batch);
      i = st.requests.erase(i);
    } else {
      ++i;
    }
  }
  for (auto& b : lost)
    on_batch_done(self, std::move(*b),
                  make_error(errc::broker_not_available, "lost the connection to the leader"));
}

// Fails expired batches of tp, then sends its waiting batches while its queue allows.
void send_ready(producer_self self, const topic_partition& tp) {
  auto& st = self->state;
  auto& q = st.queue(tp);
  auto now = now_ms();
  for (auto& rb : q.expire(now))
    complete(self, rb, no_offset,
             make_error(errc::request_timed_out,
                        "delivery.timeout.ms (" + std::to_string(st.cfg.delivery_timeout_ms)
                          + " ms) passed for a batch of " + to_string(tp)));
  // While backing off, the backoff timer's wake sends them.
  while (q.ready(now)) {
    if (!st.link.has_metadata() || st.link.metadata().find_partition(tp) == nullptr) {
      // Unknown partition: refresh once; fail the batches if it still is unknown.
      st.link.refresh_metadata(self, [=](caf::error err) {
        auto& st = self->state;
        if (!err && st.link.metadata().find_partition(tp) == nullptr)
          err = make_error(errc::unknown_topic_or_partition,
                           "topic partition " + to_string(tp) + " does not exist");
        if (err) {
          for (auto& rb : st.queue(tp).take_waiting())
            complete(self, rb, no_offset, err);
          pump(self);  // an open batch held back for tp may go (and fail) now
          return;
        }
        send_ready(self, tp);
      });
      return;
    }
    auto shared = std::make_shared<ready_batch>(q.pop(now));
    st.link.with_leader(self, tp, [=](caf::expected<broker_actor> leader) {
      if (!leader) {
        // A failed leader lookup counts as an attempt (bounded retries).
        on_batch_done(self, std::move(*shared), std::move(leader.error()));
        return;
      }
      send_batch(self, std::move(*shared), *leader);
    });
    now = now_ms();
  }
  if (q.waiting() > 0 && q.backoff_until() > now)
    hold_for_backoff(self, tp, now);
}

// Sends the batches of partitions whose retry backoff has passed; the others stay held, and
// the backoff wake comes again when the first of them ends (now_ms() is the wall clock, the
// wake's delay the steady one: a wake may find a backoff a moment short of its end).
void send_backed_off(producer_self self, int64_t now) {
  auto& st = self->state;
  std::vector<topic_partition> due;
  int64_t next = -1;
  for (auto i = st.backing_off.begin(); i != st.backing_off.end();) {
    auto until = st.queue(*i).backoff_until();
    if (until > now) {
      if (next < 0 || until < next)
        next = until;
      ++i;
      continue;
    }
    due.push_back(*i);
    i = st.backing_off.erase(i);
  }
  for (auto& tp : due)
    send_ready(self, tp);
  if (next >= 0)
    arm_backoff_wake(self, next, now);
}

} // namespace

void pump(producer_self self) {
  auto& st = self->state;
  st.acc->take_wake();
  if (st.config_error) {
    fail_open(self, st.config_error);
    check_flush(self);
    return;
  }
  if (st.cfg.enable_idempotence && st.pid != pid_phase::ready) {
    // Records wait in the accumulator until the producer id is known.
    if (st.pid == pid_phase::failed && st.acc->open_records() > 0)
      start_pid(self);
    check_flush(self);
    return;
  }
  int64_t next = -1;
  auto now = now_ms();
  record_accumulator::stamp_fn stamp;
  if (st.cfg.enable_idempotence)
    stamp = [self](const topic_partition& tp, int32_t records) {
      return self->state.queue(tp).next_stamp(records);
    };
  // A partition whose sender has max_in_flight requests out keeps its open batch filling.
  auto may_drain = [self](const topic_partition& tp) {
    return self->state.queue(tp).takes_more();
  };
  auto batches = st.acc->drain(now, st.flushing, next, stamp, may_drain);
  std::set<topic_partition> touched;
  for (auto& rb : batches) {
    st.pending_records += static_cast<size_t>(rb.record_count);
    touched.insert(rb.tp);
    st.queue(rb.tp).push(std::move(rb));
  }
  for (auto& tp : touched)
    send_ready(self, tp);
  if (next >= 0 && (st.timer_deadline < 0 || next < st.timer_deadline)) {
    st.timer_deadline = next;
    self->delayed_send(self, std::chrono::milliseconds{std::max<int64_t>(0, next - now)},
                       wake_atom::value);
  }
  check_flush(self);
}

// -- records from actors ---------------------------------------------------------------------

namespace {

// Appends records of actor users to the accumulator (never waiting for buffer.memory). A record
// fails at once if its topic is unknown (err: the metadata refresh for it failed), its
// partition does not exist, or the producer is stopping. Record i reports to reports->set(i).
void append_records(producer_self self, const std::vector<producer_record>& rs,
                    const std::shared_ptr<report_collector>& reports, const caf::error& err) {
  auto& st = self->state;
  for (size_t i = 0; i < rs.size(); ++i) {
    auto& r = rs[i];
    auto fail = [&](partition_id partition, caf::error e) {
      reports->set(i, delivery_report{topic_partition{r.topic, partition},
                                      no_offset, std::move(e), r.opaque});
    };
    auto t = st.link.metadata().find_topic(r.topic);
    if (t == nullptr) {
      fail(no_partition, err ? err
                                 : make_error(errc::unknown_topic_or_partition,
                                              "topic '" + r.topic + "' does not exist"));
      continue;
    }
    auto p = partition_of(r, static_cast<int32_t>(t->partitions.size()), *st.acc);
    if (!p) {
      fail(r.partition.value_or(no_partition), std::move(p.error()));
      continue;
    }
    auto res = st.acc->append(topic_partition{r.topic, *p}, r, now_ms(),
                              [reports, i](const delivery_report& rep) { reports->set(i, rep); },
                              std::nullopt);
    if (res.status == append_status::closed)
      fail(*p, make_error(errc::client_closed, "send after the producer was stopped"));
  }
}

// Sends records of actor users; done gets one report per record, in the records' order, once
// every record has one. The metadata is refreshed first if it lacks one of their topics.
void send_records(producer_self self, std::vector<producer_record> rs,
                  report_collector::done_fn done) {
  auto& st = self->state;
  auto reports = std::make_shared<report_collector>(rs.size(), std::move(done));
  if (st.config_error) {
    for (size_t i = 0; i < rs.size(); ++i)
      reports->set(i, delivery_report{
                        topic_partition{rs[i].topic, rs[i].partition.value_or(no_partition)},
                        no_offset, st.config_error, rs[i].opaque});
    return;
  }
  auto known = std::all_of(rs.begin(), rs.end(), [&](const producer_record& r) {
    return st.link.metadata().find_topic(r.topic) != nullptr;
  });
  auto go = [self, rs = std::move(rs), reports](caf::error err) {
    append_records(self, rs, reports, err);
    pump(self);
  };
  if (known)
    go(caf::error{});
  else
    st.link.refresh_metadata(self, std::move(go));
}

producer_actor::behavior_type producer_behavior(producer_self self, producer_config cfg,
                                                std::shared_ptr<record_accumulator> acc) {
  auto& st = self->state;
  st.cfg = cfg;
  st.config_error = validate(cfg);
  if (st.config_error)
    spdlog::error("producer: {}", describe(st.config_error));
  st.acc = std::move(acc);
  auto servers = parse_bootstrap(cfg.bootstrap);
  if (!servers)
    spdlog::error("producer: {}", describe(servers.error()));
  st.link = cluster_link{servers ? std::move(*servers) : std::vector<host_port>{},
                         std::chrono::milliseconds{cfg.request_timeout_ms}};
  // Keyless records go to partitions with a leader (the facade reads it from the accumulator).
  st.link.on_metadata([acc = st.acc](const cluster_metadata& md) {
    acc->set_available(available_partitions(md));
  });
  if (cfg.enable_idempotence && !st.config_error)
    start_pid(self); // early, so that the first batch need not wait for it
  self->set_down_handler([=](caf::down_msg& dm) { on_broker_down(self, dm); });
  return {
    [=](send_atom, producer_record& r) -> caf::result<delivery_report> {
      auto rp = self->make_response_promise<delivery_report>();
      std::vector<producer_record> rs;
      rs.push_back(std::move(r));
      send_records(self, std::move(rs), [rp](std::vector<delivery_report>& reps) mutable {
        rp.deliver(std::move(reps[0]));
      });
      return rp;
    },
    [=](send_atom, std::vector<producer_record>& rs)
      -> caf::result<std::vector<delivery_report>> {
      auto rp = self->make_response_promise<std::vector<delivery_report>>();
      send_records(self, std::move(rs), [rp](std::vector<delivery_report>& reps) mutable {
        rp.deliver(std::move(reps));
      });
      return rp;
    },
    [=](partitions_atom, std::string& topic) -> caf::result<int32_t> {
      auto rp = self->make_response_promise<int32_t>();
      self->state.link.refresh_metadata(self, [=](caf::error err) mutable {
        if (err) {
          rp.deliver(std::move(err));
          return;
        }
        auto t = self->state.link.metadata().find_topic(topic);
        if (t == nullptr)
          rp.deliver(make_error(errc::unknown_topic_or_partition,
                                "topic '" + topic + "' does not exist"));
        else
          rp.deliver(static_cast<int32_t>(t->partitions.size()));
      });
      return rp;
    },
    [=](wake_atom) {
      auto& st = self->state;
      auto now = now_ms();
      if (st.timer_deadline >= 0 && now >= st.timer_deadline)
        st.timer_deadline = -1;
      retry_pid_if_due(self, now);
      pump(self);
    },
    [=](wake_atom, uint64_t due) {
      auto& st = self->state;
      if (static_cast<int64_t>(due) != st.backoff_wake_due)
        return;  // an earlier backoff wake replaced it
      st.backoff_wake_due = -1;
      send_backed_off(self, now_ms());
      pump(self);
    },
    [=](caf::flush_atom) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto rp = self->make_response_promise<caf::ok_atom>();
      st.flush_waiters.push_back(rp);
      st.flushing = true;
      pump(self);
      return rp;
    },
    [=](stop_atom) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto rp = self->make_response_promise<caf::ok_atom>();
      st.flush_waiters.push_back(rp);
      st.flushing = true;
      st.stopping = true; // quits once every record is reported (check_flush)
      st.acc->close();    // later sends fail with client_closed
      pump(self);
      return rp;
    },
  };
}

} // namespace

} // namespace cafka::producer_detail

namespace cafka {

std::shared_ptr<record_accumulator> make_accumulator(const producer_config& cfg) {
  return std::make_shared<record_accumulator>(static_cast<size_t>(cfg.batch_size),
                                              cfg.linger_ms,
                                              static_cast<size_t>(cfg.buffer_memory),
                                              cfg.compression_type);
}

producer_actor spawn_producer(caf::actor_system& sys, producer_config cfg,
                              std::shared_ptr<record_accumulator> acc) {
  return sys.spawn(producer_detail::producer_behavior, std::move(cfg), std::move(acc));
}

producer_actor spawn_producer(caf::actor_system& sys, producer_config cfg) {
  auto acc = make_accumulator(cfg);
  return spawn_producer(sys, std::move(cfg), std::move(acc));
}

} // namespace cafka
