// Whether the calling thread belongs to an actor system (a scheduler worker, a detached
// actor's thread, the middleman), where the blocking client facades must not wait: a
// facade call there would stall the actors it waits for. register_types() installs the hook
// that marks these threads. Any thread.
#pragma once

#include <caf/thread_hook.hpp>

namespace cafka {

// Marks each thread an actor system starts (caf::actor_system_config::add_thread_hook).
class actor_thread_marker : public caf::thread_hook {
public:
  void init(caf::actor_system&) override;
  void thread_started() override;
  void thread_terminates() override;
};

// True on a thread an actor system started (with the marker installed).
bool on_actor_thread();

} // namespace cafka
