// The producer id of an idempotent producer (Kafka's InitProducerId): asked of a bootstrap
// broker before the first batch is drained, retried with backoff until delivery.timeout.ms.
// Runs in the producer actor (producer_actor.cpp drives it).
#include <spdlog/spdlog.h>

#include "actors/client/producer_actor_state.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"

namespace cafka::producer_detail {

namespace {

void request_pid(producer_self self);

// Backs off and asks again if err is retriable and the deadline allows; else fails the
// records that wait for the producer id.
void pid_failed(producer_self self, const caf::error& err) {
  auto& st = self->state;
  auto now = now_ms();
  if (retriable_produce_error(err) && now + st.cfg.retry_backoff_ms < st.pid_deadline) {
    spdlog::debug("producer: init_pid failed, retrying: {}", describe(err));
    st.pid = pid_phase::backing_off;
    st.pid_retry_at = now + st.cfg.retry_backoff_ms;
    self->delayed_send(self, std::chrono::milliseconds{st.cfg.retry_backoff_ms},
                       wake_atom::value);
    return;
  }
  // Give up for the records that wait; the next records start over.
  st.pid = pid_phase::failed;
  auto code = errc_of(err) == errc::none ? errc::request_timed_out : errc_of(err);
  fail_open(self, make_error(code, "cannot get a producer id (" + describe(err) + ")"));
  check_flush(self);
}

// Asks a bootstrap broker for a producer id.
void request_pid(producer_self self) {
  self->state.link.with_bootstrap(self, [=](caf::expected<broker_actor> b) {
    if (!b) {
      pid_failed(self, b.error());
      return;
    }
    auto broker = *b;
    self
      ->request(broker, std::chrono::milliseconds{self->state.cfg.request_timeout_ms},
                init_pid_atom::value)
      .then(
        [=](producer_id id) {
          auto& st = self->state;
          spdlog::debug("producer: producer id {}", id);
          st.producer_id = id;
          st.pid = pid_phase::ready;
          pump(self);
        },
        [=](caf::error& err) {
          if (errc_of(err) == errc::none)
            self->state.link.forget(broker.address());
          pid_failed(self, err);
        });
  });
}

} // namespace

void start_pid(producer_self self) {
  auto& st = self->state;
  st.pid = pid_phase::requesting;
  st.pid_deadline = now_ms() + st.cfg.delivery_timeout_ms;
  request_pid(self);
}

void retry_pid_if_due(producer_self self, int64_t now) {
  auto& st = self->state;
  if (st.pid != pid_phase::backing_off)
    return;
  if (now >= st.pid_retry_at) {
    st.pid = pid_phase::requesting;
    request_pid(self);
  } else {
    self->delayed_send(self, std::chrono::milliseconds{st.pid_retry_at - now},
                       wake_atom::value);
  }
}

} // namespace cafka::producer_detail
