// The actor clock of every cafka process (timeouts, delayed messages): CAF 0.17's schedule,
// kept under a mutex, with a dispatch thread that wakes for batches of due events. Owned by
// the scheduler (batching_clock_coordinator); its functions are called from any thread.
//
// CAF's own clock wakes its thread for every event it is given, and again for every event
// that comes due. CAF 0.17 never cancels a request's timeout when the answer comes: each
// request() with a timeout (a follower's fetch, a producer's produce) costs, beside its two
// wake-ups of the clock thread, a timeout message to its actor once the time has passed.
// Here an event is shipped up to `slack` after its time, so every event due within that
// window goes out in one wake-up, and a new event wakes the thread only if the thread
// would otherwise ship it later than that.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/detail/thread_safe_actor_clock.hpp>

namespace cafka {

// Derives from CAF's thread-safe clock only so that the coordinator may return it from
// clock(); none of that clock's state is used.
class batching_actor_clock : public caf::detail::thread_safe_actor_clock {
public:
  using super = caf::detail::simple_actor_clock;

  // How late an event may be shipped. Timers in cafka are timeouts, retries and periodic
  // ticks of 50 ms or more; a few milliseconds late changes nothing they do.
  static constexpr auto slack = std::chrono::milliseconds{5};

  void set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                            uint64_t id) override;
  void set_request_timeout(time_point t, caf::abstract_actor* self,
                           caf::message_id id) override;
  void set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                         uint64_t id) override;
  void cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) override;
  void cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) override;
  void cancel_timeouts(caf::abstract_actor* self) override;
  void schedule_message(time_point t, caf::strong_actor_ptr receiver,
                        caf::mailbox_element_ptr content) override;
  void schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                        caf::message content) override;
  void cancel_all() override;

  // The dispatch thread's loop: ships every event whose time has come, until stop().
  void run();
  // Ends run() (the events still scheduled are dropped with the clock).
  void stop();

  // Events in the schedule (tests).
  size_t scheduled() const;

private:
  // After a change that scheduled an event at `t`: wakes the dispatch thread if t is
  // earlier than the time it sleeps until. Requires: `guard` holds mtx_ (released here).
  void scheduled_at(time_point t, std::unique_lock<std::mutex>& guard);
  // Moves the events due by now out of the schedule. Requires: mtx_ held.
  std::vector<std::unique_ptr<delayed_event>> take_due();

  mutable std::mutex mtx_;
  std::condition_variable cv_;
  // Invariant: the dispatch thread wakes no later than this, the first event's time plus
  // slack (time_point::max(): none scheduled, it wakes when kicked).
  time_point wake_at_ = time_point::max();
  bool kicked_ = false;
  bool stopped_ = false;
};

} // namespace cafka
