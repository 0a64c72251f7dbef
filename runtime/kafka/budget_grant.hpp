// Bytes a Kafka session took from the node's connection budget for a fetch's reads, so that
// what the reads bring into memory is counted before it exists. Owned by one fetch of one
// session (actor context); given back when the fetch answers or ends.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "runtime/kafka/connection_budget.hpp"

namespace cafka {

class budget_grant {
public:
  budget_grant() = default;
  // A null budget grants every request in full and counts nothing.
  budget_grant(std::shared_ptr<connection_budget> budget, std::string address);
  budget_grant(const budget_grant&) = delete;
  budget_grant& operator=(const budget_grant&) = delete;
  ~budget_grant();

  // Gives back what it holds, then takes up to `n` bytes; returns how many it holds now.
  size_t take_up_to(size_t n);
  // Gives back everything it holds.
  void release();

  size_t bytes() const {
    return bytes_;
  }

private:
  std::shared_ptr<connection_budget> budget_;
  std::string address_;
  size_t bytes_ = 0;
};

} // namespace cafka
