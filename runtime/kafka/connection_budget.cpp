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

bool connection_budget::reserve(const std::string& address, size_t n, const waker& wake) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& mine = per_address_[address];
  if (n <= max_bytes_ - bytes_ && n <= max_bytes_per_address_ - mine.bytes) {
    bytes_ += n;
    mine.bytes += n;
    return true;
  }
  if (mine.connections == 0 && mine.bytes == 0)
    per_address_.erase(address);
  waiting_.push_back(wake);
  return false;
}

void connection_budget::release(const std::string& address, size_t n) {
  std::vector<waker> wake;
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
    wake.swap(waiting_);
  }
  for (auto& w : wake)
    w();
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
