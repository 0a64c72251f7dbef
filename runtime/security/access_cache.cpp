#include "runtime/security/access_cache.hpp"

#include <utility>

namespace cafka {

bool access_cache::publish(access_metadata a) {
  // Built outside the lock: readers wait only for the pointer swap.
  auto next = std::make_shared<const access_metadata>(std::move(a));
  std::lock_guard<std::mutex> guard{mtx_};
  if (loaded_ && next->version <= current_->version)
    return false;
  current_ = std::move(next);
  loaded_ = true;
  return true;
}

bool access_cache::loaded() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return loaded_;
}

std::shared_ptr<const access_metadata> access_cache::current() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return current_;
}

} // namespace cafka
