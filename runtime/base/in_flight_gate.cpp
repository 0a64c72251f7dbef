#include "runtime/base/in_flight_gate.hpp"

namespace cafka {

in_flight_gate::in_flight_gate(int64_t limit) : limit_(limit) {
}

void in_flight_gate::acquire() {
  if (limit_ < 0)
    return;
  std::unique_lock<std::mutex> lock{mtx_};
  cv_.wait(lock, [this] { return in_flight_ < limit_; });
  ++in_flight_;
}

void in_flight_gate::release() {
  if (limit_ < 0)
    return;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    --in_flight_;
  }
  cv_.notify_one();
}

int64_t in_flight_gate::in_flight() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return in_flight_;
}

} // namespace cafka
