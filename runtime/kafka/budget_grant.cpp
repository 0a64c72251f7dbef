#include "runtime/kafka/budget_grant.hpp"

namespace cafka {

budget_grant::budget_grant(std::shared_ptr<connection_budget> budget, std::string address)
  : budget_(std::move(budget)), address_(std::move(address)) {
}

budget_grant::~budget_grant() {
  release();
}

bool budget_grant::reserve(size_t n, const connection_budget::waker_ptr& wake) {
  if (budget_ != nullptr && !budget_->reserve(address_, n, wake))
    return false;
  bytes_ += n;
  return true;
}

void budget_grant::hold(size_t n) {
  if (budget_ != nullptr)
    budget_->hold(address_, n);
  bytes_ += n;
}

size_t budget_grant::take_up_to(size_t n) {
  release();
  bytes_ = budget_ == nullptr ? n : budget_->take_up_to(address_, n);
  return bytes_;
}

void budget_grant::release(size_t n) {
  bytes_ -= n;
  if (budget_ != nullptr)
    budget_->release(address_, n);
}

void budget_grant::release() {
  release(bytes_);
}

} // namespace cafka
