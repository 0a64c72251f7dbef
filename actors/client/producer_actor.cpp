#include "actors/client/producer_actor.hpp"

#include <deque>

#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/client/cluster_link.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/protocol/murmur2.hpp"

namespace cafka {

namespace {

struct partition_queue {
  std::deque<ready_batch> waiting;  // drained, not yet sent (in-flight limit, no metadata)
  int32_t in_flight = 0;
  int64_t backoff_until = 0;        // ms: a retry waits for retry.backoff.ms; nothing is sent
};

struct producer_state {
  producer_config cfg;
  std::shared_ptr<record_accumulator> acc;
  cluster_link link;
  std::map<topic_partition, partition_queue> queues;
  int64_t timer_deadline = -1;   // when the scheduled linger wake fires (-1: none)
  size_t pending_records = 0;    // drained but not yet reported
  bool flushing = false;
  bool stopping = false;
  std::vector<caf::typed_response_promise<caf::ok_atom>> flush_waiters;
  static inline const char* name = "producer";
};

using producer_self = producer_actor::stateful_pointer<producer_state>;

bool retriable(const caf::error& err) {
  switch (errc_of(err)) {
    case errc::request_timed_out:
    case errc::not_leader_for_partition:
    case errc::broker_not_available:
    case errc::unknown_topic_or_partition: // metadata may lag a create
    case errc::shutting_down:
    case errc::broker_fenced:
    case errc::not_controller:
      return true;
    case errc::none:
      return err.category() != errc_category; // CAF-level (timeouts, lost peers)
    default:
      return false;
  }
}

void complete(producer_self self, ready_batch& rb, log_offset base, const caf::error& err) {
  auto& st = self->state;
  delivery_report rep;
  rep.tp = rb.tp;
  rep.error = err;
  for (size_t i = 0; i < rb.callbacks.size(); ++i) {
    rep.offset = err ? log_offset{-1} : base + static_cast<int64_t>(i);
    if (rb.callbacks[i])
      rb.callbacks[i](rep);
  }
  st.pending_records -= static_cast<size_t>(rb.record_count);
  st.acc->release(rb.bytes.size());
}

void send_ready(producer_self self, const topic_partition& tp);
void pump(producer_self self);

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

void on_batch_done(producer_self self, ready_batch rb, caf::expected<produce_response> res) {
  auto& st = self->state;
  auto tp = rb.tp;
  st.queues[tp].in_flight--;
  if (res) {
    complete(self, rb, res->base_offset, caf::error{});
  } else if (retriable(res.error()) && rb.attempts <= st.cfg.retries) {
    // Retry in order after a backoff, with fresh metadata.
    spdlog::debug("producer: retrying batch for {}: {}", to_string(tp), describe(res.error()));
    auto& q = st.queues[tp];
    q.waiting.push_front(std::move(rb));
    // Nothing goes to this partition until the backoff passed and metadata was refreshed.
    auto now = now_ms();
    if (q.backoff_until <= now) {
      q.backoff_until = now + st.cfg.retry_backoff_ms;
      self->delayed_send(self, std::chrono::milliseconds{st.cfg.retry_backoff_ms},
                         wake_atom::value);
      st.link.refresh_metadata(self, [](caf::error) {});
    }
    return;
  } else {
    complete(self, rb, log_offset{-1}, res.error());
  }
  send_ready(self, tp);
  check_flush(self);
}

void send_batch(producer_self self, ready_batch rb, broker_actor leader) {
  auto& st = self->state;
  auto tp = rb.tp;
  ++rb.attempts;
  produce_request req{tp, st.cfg.acks, static_cast<int32_t>(st.cfg.request_timeout_ms),
                      rb.bytes};
  if (st.cfg.acks == 0) {
    caf::anon_send(leader, produce_atom::value, std::move(req));
    complete(self, rb, log_offset{-1}, caf::error{});
    return;
  }
  st.queues[tp].in_flight++;
  auto shared = std::make_shared<ready_batch>(std::move(rb));
  self->request(leader, std::chrono::milliseconds{st.cfg.request_timeout_ms},
                produce_atom::value, std::move(req))
    .then([=](produce_response& resp) { on_batch_done(self, std::move(*shared), resp); },
          [=](caf::error& err) {
            if (errc_of(err) == errc::none)
              self->state.link.forget(leader.address());
            on_batch_done(self, std::move(*shared), std::move(err));
          });
}

// Sends waiting batches of tp while the in-flight limit allows.
void send_ready(producer_self self, const topic_partition& tp) {
  auto& st = self->state;
  auto& q = st.queues[tp];
  // While backing off, the backoff timer's wake sends them.
  while (!q.waiting.empty() && q.in_flight < st.cfg.max_in_flight
         && q.backoff_until <= now_ms()) {
    if (!st.link.has_metadata() || st.link.metadata().find_partition(tp) == nullptr) {
      // Unknown partition: refresh once; fail the batch if it still is unknown.
      st.link.refresh_metadata(self, [=](caf::error err) {
        auto& st = self->state;
        auto& q = st.queues[tp];
        if (!err && st.link.metadata().find_partition(tp) == nullptr)
          err = make_error(errc::unknown_topic_or_partition,
                           "topic partition " + to_string(tp) + " does not exist");
        if (err) {
          while (!q.waiting.empty()) {
            complete(self, q.waiting.front(), log_offset{-1}, err);
            q.waiting.pop_front();
          }
          check_flush(self);
          return;
        }
        send_ready(self, tp);
      });
      return;
    }
    auto rb = std::move(q.waiting.front());
    q.waiting.pop_front();
    q.in_flight++; // reserved while connecting
    auto shared = std::make_shared<ready_batch>(std::move(rb));
    st.link.with_leader(self, tp, [=](caf::expected<broker_actor> leader) {
      auto& st = self->state;
      st.queues[tp].in_flight--;
      if (!leader) {
        st.queues[tp].in_flight++;
        ++shared->attempts; // a failed leader lookup counts as an attempt (bounded retries)
        on_batch_done(self, std::move(*shared), std::move(leader.error()));
        return;
      }
      send_batch(self, std::move(*shared), *leader);
    });
  }
}

// Drains the accumulator and sends what is ready; schedules the next linger wake.
void pump(producer_self self) {
  auto& st = self->state;
  st.acc->take_wake();
  int64_t next = -1;
  auto now = now_ms();
  auto batches = st.acc->drain(now, st.flushing, next);
  std::set<topic_partition> touched;
  for (auto& rb : batches) {
    st.pending_records += static_cast<size_t>(rb.record_count);
    touched.insert(rb.tp);
    st.queues[rb.tp].waiting.push_back(std::move(rb));
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

int32_t partition_of(const producer_record& r, int32_t num_partitions,
                     record_accumulator& acc) {
  if (r.partition >= 0)
    return r.partition;
  if (r.key)
    return partition_for_key(*r.key, num_partitions);
  return acc.sticky_partition(r.topic, num_partitions);
}

producer_actor::behavior_type producer_behavior(producer_self self, producer_config cfg,
                                                std::shared_ptr<record_accumulator> acc) {
  auto& st = self->state;
  st.cfg = cfg;
  st.acc = std::move(acc);
  std::string host;
  uint16_t port = 0;
  auto first = cfg.bootstrap.substr(0, cfg.bootstrap.find(','));
  if (!parse_host_port(first, host, port))
    spdlog::error("producer: bootstrap '{}' is not host:port", cfg.bootstrap);
  st.link = cluster_link{host, port, std::chrono::milliseconds{cfg.request_timeout_ms}};
  return {
    [=](send_atom, producer_record& r) -> caf::result<delivery_report> {
      auto rp = self->make_response_promise<delivery_report>();
      auto deliver = [rp](const delivery_report& rep) mutable { rp.deliver(rep); };
      auto go = [=](caf::error err) mutable {
        auto& st = self->state;
        auto t = st.link.metadata().find_topic(r.topic);
        if (!err && t == nullptr)
          err = make_error(errc::unknown_topic_or_partition,
                           "topic '" + r.topic + "' does not exist");
        if (err) {
          rp.deliver(delivery_report{topic_partition{r.topic, partition_id{-1}},
                                     log_offset{-1}, err});
          return;
        }
        auto n = static_cast<int32_t>(t->partitions.size());
        topic_partition tp{r.topic, partition_id{partition_of(r, n, *st.acc)}};
        auto ts = r.timestamp_ms >= 0 ? r.timestamp_ms : now_ms();
        std::optional<std::string_view> k, v;
        if (r.key)
          k = *r.key;
        if (r.value)
          v = *r.value;
        st.acc->append(tp, ts, k, v, r.headers, deliver, false);
        pump(self);
      };
      if (self->state.link.metadata().find_topic(r.topic) != nullptr)
        go(caf::error{});
      else
        self->state.link.refresh_metadata(self, go);
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
      if (st.timer_deadline >= 0 && now_ms() >= st.timer_deadline)
        st.timer_deadline = -1;
      for (auto& kv : st.queues)
        if (!kv.second.waiting.empty())
          send_ready(self, kv.first);
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
      pump(self);
      return rp;
    },
  };
}

} // namespace

std::shared_ptr<record_accumulator> make_accumulator(const producer_config& cfg) {
  return std::make_shared<record_accumulator>(static_cast<size_t>(cfg.batch_size),
                                              cfg.linger_ms,
                                              static_cast<size_t>(cfg.buffer_memory));
}

producer_actor spawn_producer(caf::actor_system& sys, producer_config cfg,
                              std::shared_ptr<record_accumulator> acc) {
  return sys.spawn(producer_behavior, std::move(cfg), std::move(acc));
}

producer_actor spawn_producer(caf::actor_system& sys, producer_config cfg) {
  auto acc = make_accumulator(cfg);
  return spawn_producer(sys, std::move(cfg), std::move(acc));
}

} // namespace cafka
