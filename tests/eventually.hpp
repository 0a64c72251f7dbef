// Polling with a deadline, the tests' only way to wait for a state (never sleep-then-hope).
// Test code only; call from the test thread.
#pragma once

#include <chrono>
#include <thread>

namespace cafka::test {

// Polls `pred` until it holds or `timeout` passes; returns whether it held.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{2}); // poll interval
  }
  return true;
}

// True if `pred` stays false for the whole `window` (for "still blocked" checks).
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
