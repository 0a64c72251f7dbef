// Bytes one owner took from the node's connection budget and has not given back: a
// connection's reserved requests and held answers, or a fetch's reads (counted before they
// exist). Owned by one actor (actor context); what it holds goes back when it ends.
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

  // connection_budget::reserve for this owner's address; true if it took the bytes.
  bool reserve(size_t n, const connection_budget::waker_ptr& wake);
  // connection_budget::hold for this owner's address.
  void hold(size_t n);
  // Gives back what it holds, then takes up to `n` bytes; returns how many it holds now.
  size_t take_up_to(size_t n);
  // Gives back `n` of the bytes it holds. Requires: n <= bytes().
  void release(size_t n);
  // Gives back everything it holds.
  void release();

  size_t bytes() const {
    return bytes_;
  }

protected:
  std::shared_ptr<connection_budget> budget_;
  std::string address_;

private:
  size_t bytes_ = 0;
};

} // namespace cafka
