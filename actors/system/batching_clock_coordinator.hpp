// CAF 0.17's scheduler (work sharing or work stealing, as scheduler.policy says) with the
// batching actor clock in place of CAF's own. Owned by the actor system, as a module that
// install_batching_clock() registers before the system is constructed; any thread.
#pragma once

#include <thread>

#include <caf/actor_system_config.hpp>
#include <caf/detail/set_thread_name.hpp>
#include <caf/scheduler/coordinator.hpp>

#include "actors/system/batching_actor_clock.hpp"

namespace cafka {

template <class Policy>
class batching_clock_coordinator : public caf::scheduler::coordinator<Policy> {
public:
  using super = caf::scheduler::coordinator<Policy>;

  explicit batching_clock_coordinator(caf::actor_system& sys) : super(sys) {
    // nop
  }

  batching_actor_clock& clock() noexcept override {
    return clock_;
  }

protected:
  void start() override {
    // CAF's clock thread still starts with the workers; nothing ever reaches it.
    super::start();
    thread_ = std::thread{[this] {
      caf::detail::set_thread_name("cafka.clock");
      this->system().thread_started();
      clock_.run();
      this->system().thread_terminates();
    }};
  }

  void stop() override {
    // As CAF does with its clock: after the workers and every actor stopped.
    super::stop();
    clock_.stop();
    thread_.join();
    // Timers still pending hold their actors (CAF 0.17 never cancels a request's timeout):
    // an actor on a thread of its own (detached) keeps that thread until its last reference
    // goes, and the actor system waits for those threads right after this.
    clock_.cancel_all();
  }

private:
  batching_actor_clock clock_;
  std::thread thread_;
};

// Makes the actor system built from cfg use batching_clock_coordinator with the policy
// scheduler.policy names ('sharing'; anything else, as in CAF: work stealing).
void install_batching_clock(caf::actor_system_config& cfg);

} // namespace cafka
