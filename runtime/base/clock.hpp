// Wall-clock helpers in Kafka's unit (milliseconds since the Unix epoch). Any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace cafka {

inline int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace cafka
