#include "runtime/kafka/budget_grant.hpp"

namespace cafka {

budget_grant::budget_grant(std::shared_ptr<connection_budget> budget, std::string address)
  : budget_(std::move(budget)), address_(std::move(address)) {
}

budget_grant::~budget_grant() {
  release();
}

size_t budget_grant::take_up_to(size_t n) {
  release();
  bytes_ = budget_ == nullptr ? n : budget_->take_up_to(address_, n);
  return bytes_;
}

void budget_grant::release() {
  if (budget_ != nullptr && bytes_ > 0)
    budget_->release(address_, bytes_);
  bytes_ = 0;
}

} // namespace cafka
