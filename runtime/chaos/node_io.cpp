#include "runtime/chaos/node_io.hpp"

#include <utility>

#include "runtime/chaos/faulty_env.hpp"
#include "runtime/storage/posix_env.hpp"

namespace cafka {

node_io make_node_io(std::shared_ptr<fault_table> faults,
                     std::shared_ptr<metrics::node_metrics> metrics) {
  node_io io;
  io.metrics = metrics ? std::move(metrics) : std::make_shared<metrics::node_metrics>();
  io.faults = faults ? std::move(faults) : std::make_shared<fault_table>();
  io.raw_disk = std::make_shared<storage::posix_env>();
  io.disk = std::make_shared<faulty_env>(io.raw_disk, io.faults);
  return io;
}

} // namespace cafka
