// Polling with a deadline: how a test against a cafka cluster waits for a state (a fault has
// run its course, a record arrived) instead of sleeping and hoping. For test code, cafka's own
// and yours (examples/chaos_test.cpp); call from the test thread or a thread of its own.
#pragma once

#include <chrono>
#include <thread>

namespace cafka::test {

// Polls `pred` until it holds or `timeout` passes; returns whether it held. `pred` runs at
// least once, and `interval` apart: 2 ms suits a look at memory, tens of milliseconds or more
// a predicate that runs a command, reads files or asks a cluster. An interval of 0 suits a
// predicate that blocks by itself for a while (a consumer's poll).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds{10},
                std::chrono::milliseconds interval = std::chrono::milliseconds{2}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    if (interval.count() > 0)
      std::this_thread::sleep_for(interval);
  }
  return true;
}

// True if `pred` stays false for the whole `window` (for "still blocked" checks).
// Requires: the test has shown that pred can become true here, and that the state it waits
// in has been reached (a positive control, e.g. the blocked thread is seen waiting); without
// one, a window in which nothing happened yet passes for the wrong reason.
template <class Pred>
bool stays_false(Pred pred, std::chrono::milliseconds window = std::chrono::milliseconds{200}) {
  auto end = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < end) {
    if (pred())
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{2}); // poll interval
  }
  return !pred();
}

} // namespace cafka::test
