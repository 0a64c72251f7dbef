// The producer actor's state and the steps its parts share (producer_actor.cpp: batches and
// records; producer_init_pid.cpp: the producer id of an idempotent producer). Internal to
// actors/client; every function runs in the producer actor.
#pragma once

#include <cassert>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "actors/client/cluster_link.hpp"
#include "cafka/producer_actor.hpp"
#include "runtime/client/send_queue.hpp"

namespace cafka::producer_detail {

// Where an idempotent producer is in getting its producer id (init_pid_atom).
enum class pid_phase { none, requesting, backing_off, ready, failed };

struct producer_actor_state {
  producer_config cfg;
  caf::error config_error;       // validate(cfg): every record fails with it
  std::shared_ptr<record_accumulator> acc;
  cluster_link link;
  std::map<topic_partition, send_queue> queues;
  int64_t timer_deadline = -1;   // when the scheduled linger wake fires (-1: none)
  // Partitions backing off after a retry: the backoff wake sends their batches (it visits
  // only these, so a wake costs nothing per partition the producer knows).
  std::set<topic_partition> backing_off;
  int64_t backoff_wake_due = -1;  // steady ms of the pending backoff wake (-1: none)
  size_t pending_records = 0;    // drained but not yet reported
  bool flushing = false;
  bool stopping = false;
  std::vector<caf::typed_response_promise<caf::ok_atom>> flush_waiters;
  // Idempotent producer: nothing is drained before the producer id is known.
  cafka::producer_id producer_id = no_producer_id;
  pid_phase pid = pid_phase::none;
  int64_t pid_deadline = 0;      // init_pid is retried until then (delivery.timeout.ms)
  int64_t pid_retry_at = 0;      // backing_off: the next attempt
  // Produce requests awaiting an answer, by id, with the broker they went to: when that
  // broker's node goes away (down message), they fail at once instead of at their timeout.
  struct in_flight {
    caf::actor_addr broker;
    std::shared_ptr<ready_batch> batch;
  };
  std::map<uint64_t, in_flight> requests;
  uint64_t next_request = 0;
  static inline const char* name = "producer";

  send_queue& queue(const topic_partition& tp) {
    auto i = queues.find(tp);
    if (i == queues.end()) {
      // Requires (idempotent): the producer id is known (queues start at the first drain).
      assert(!cfg.enable_idempotence || producer_id != no_producer_id);
      send_queue_config qc;
      qc.idempotent = cfg.enable_idempotence;
      qc.producer_id = producer_id;
      qc.max_in_flight = cfg.max_in_flight;
      qc.retries = cfg.retries;
      qc.retry_backoff_ms = cfg.retry_backoff_ms;
      qc.delivery_timeout_ms = cfg.delivery_timeout_ms;
      i = queues.emplace(tp, send_queue{qc}).first;
    }
    return i->second;
  }
};

using producer_self = producer_actor::stateful_pointer<producer_actor_state>;

// Fails every record still in the accumulator (no producer id, invalid config).
void fail_open(producer_self self, const caf::error& err);

// Answers the flush waiters once every record is reported; quits if stopping.
void check_flush(producer_self self);

// Drains the accumulator and sends what is ready; schedules the next linger wake.
void pump(producer_self self);

// Starts getting a producer id: init_pid is retried until delivery.timeout.ms from now.
void start_pid(producer_self self);

// On a wake: asks for the producer id again once a backoff has passed, or wakes the actor
// again when it will have.
void retry_pid_if_due(producer_self self, int64_t now);

} // namespace cafka::producer_detail
