// The delivery reports of one batch send (send_atom with a vector of records): filled in as
// the records complete, in any order; hands all of them over once, in the records' order.
// Plain value; used from the producer actor's context only.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "runtime/client/client_types.hpp"

namespace cafka {

class report_collector {
public:
  using done_fn = std::function<void(std::vector<delivery_report>&)>;

  // Calls done at once if `records` is 0.
  report_collector(size_t records, done_fn done);

  // Record i's report. Requires: i < records, once per i.
  void set(size_t i, delivery_report rep);

private:
  std::vector<delivery_report> reports_;
  size_t missing_;
  done_fn done_;
};

} // namespace cafka
