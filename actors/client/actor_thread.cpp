#include "actors/client/actor_thread.hpp"

namespace cafka {

namespace {

thread_local bool actor_thread = false;

} // namespace

void actor_thread_marker::init(caf::actor_system&) {
  // Nothing to prepare: the mark is per thread.
}

void actor_thread_marker::thread_started() {
  actor_thread = true;
}

void actor_thread_marker::thread_terminates() {
  actor_thread = false;
}

bool on_actor_thread() {
  return actor_thread;
}

} // namespace cafka
