#include "runtime/kafka/connection_budget.hpp"

#include <algorithm>

namespace cafka {

connection_budget::connection_budget(int32_t max_connections, int32_t max_connections_per_ip,
                                     int64_t max_request_bytes, int32_t max_frame_bytes)
  : max_connections_(static_cast<size_t>(max_connections)),
    max_per_address_(static_cast<size_t>(max_connections_per_ip)),
    max_bytes_(static_cast<size_t>(max_request_bytes)),
    max_bytes_per_address_(std::max(static_cast<size_t>(max_request_bytes) / 2,
                                    static_cast<size_t>(max_frame_bytes))) {
}

connection_budget::refusal connection_budget::open(const std::string& address) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (connections_ >= max_connections_)
    return refusal::node_full;
  auto i = per_address_.find(address);
  if (i != per_address_.end() && i->second.connections >= max_per_address_)
    return refusal::address_full;
  ++per_address_[address].connections;
  ++connections_;
  return refusal::none;
}

void connection_budget::close(const std::string& address) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = per_address_.find(address);
  if (i == per_address_.end() || i->second.connections == 0)
    return;
  --i->second.connections;
  --connections_;
  if (i->second.connections == 0 && i->second.bytes == 0)
    per_address_.erase(i);
}

size_t connection_budget::room(const std::string& address) const {
  auto i = per_address_.find(address);
  size_t mine = i == per_address_.end() ? 0 : i->second.bytes;
  size_t node = bytes_ < max_bytes_ ? max_bytes_ - bytes_ : 0;
  return std::min(node, mine < max_bytes_per_address_ ? max_bytes_per_address_ - mine : 0);
}

bool connection_budget::reserve(const std::string& address, size_t n, const waker_ptr& wake) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (n > room(address)) {
    waiting_.push_back(waiter{address, n, wake});
    return false;
  }
  bytes_ += n;
  per_address_[address].bytes += n;
  return true;
}

size_t connection_budget::take_up_to(const std::string& address, size_t n) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto k = std::min(n, room(address));
  if (k > 0) {
    bytes_ += k;
    per_address_[address].bytes += k;
  }
  return k;
}

void connection_budget::hold(const std::string& address, size_t n) {
  std::lock_guard<std::mutex> guard{mtx_};
  bytes_ += n;
  per_address_[address].bytes += n;
}

void connection_budget::release(const std::string& address, size_t n) {
  std::vector<waker_ptr> wake;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = per_address_.find(address);
    if (i != per_address_.end()) {
      auto k = std::min(n, i->second.bytes);
      i->second.bytes -= k;
      bytes_ -= k;
      if (i->second.connections == 0 && i->second.bytes == 0)
        per_address_.erase(i);
    }
    // Each waiter that fits now asks again; one that does not fit waits on; one whose owner
    // is gone is dropped.
    auto rest = std::stable_partition(waiting_.begin(), waiting_.end(), [&](const waiter& w) {
      return !w.wake.expired() && w.bytes > room(w.address);
    });
    for (auto j = rest; j != waiting_.end(); ++j)
      if (auto w = j->wake.lock())
        wake.push_back(std::move(w));
    waiting_.erase(rest, waiting_.end());
  }
  for (auto& w : wake)
    (*w)();
}

size_t connection_budget::open_connections() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return connections_;
}

size_t connection_budget::reserved_bytes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return bytes_;
}

} // namespace cafka
