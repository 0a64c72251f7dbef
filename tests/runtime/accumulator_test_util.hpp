// Helpers for the record accumulator's tests: joining a thread that may be blocked in
// append(). Test code only; used from the test thread.
#pragma once

#include <limits>
#include <thread>

#include "runtime/client/record_accumulator.hpp"

namespace cafka::test {

// At scope exit frees all buffer memory (so that `t` cannot stay blocked) and joins `t`.
struct release_and_join {
  record_accumulator& acc;
  std::thread& t;
  ~release_and_join() {
    acc.release(std::numeric_limits<size_t>::max());
    t.join();
  }
};

} // namespace cafka::test
