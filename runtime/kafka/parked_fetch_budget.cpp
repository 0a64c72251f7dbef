#include "runtime/kafka/parked_fetch_budget.hpp"

#include <cassert>
#include <utility>

namespace cafka {

bool parked_fetch_budget::try_take(int64_t n) {
  auto cur = used_.load(std::memory_order_relaxed);
  do {
    if (n > cap_ - cur)
      return false;
  } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
  return true;
}

void parked_fetch_budget::give_back(int64_t n) {
  [[maybe_unused]] auto before = used_.fetch_sub(n, std::memory_order_relaxed);
  assert(before >= n);
}

bool parked_fetches::take(std::shared_ptr<parked_fetch_budget> node,
                          std::shared_ptr<parked_fetch_budget> connection, int64_t n) {
  assert(held_ == 0 && n >= 0);
  if (node && !node->try_take(n))
    return false;
  if (connection && !connection->try_take(n)) {
    if (node)
      node->give_back(n);
    return false;
  }
  node_ = std::move(node);
  connection_ = std::move(connection);
  held_ = n;
  return true;
}

void parked_fetches::release_one() {
  if (held_ > 0)
    give_back(1);
}

void parked_fetches::release_all() {
  if (held_ > 0)
    give_back(held_);
}

void parked_fetches::give_back(int64_t n) {
  if (node_)
    node_->give_back(n);
  if (connection_)
    connection_->give_back(n);
  held_ -= n;
}

} // namespace cafka
