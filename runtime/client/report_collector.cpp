#include "runtime/client/report_collector.hpp"

#include <utility>

namespace cafka {

report_collector::report_collector(size_t records, done_fn done)
  : reports_(records), missing_(records), done_(std::move(done)) {
  if (missing_ == 0)
    done_(reports_);
}

void report_collector::set(size_t i, delivery_report rep) {
  reports_[i] = std::move(rep);
  if (--missing_ == 0)
    done_(reports_);
}

} // namespace cafka
