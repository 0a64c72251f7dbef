// Helpers of the replication tests on real `cafka node` processes: the split-role cluster
// layout and a partition's ISR as `topics describe` shows it. Test code; the test's main
// thread.
#pragma once

#include <string>
#include <vector>

#include "tests/integration/cluster_process.hpp"

namespace cafka::testing {

// Controllers on nodes 1-3 and brokers on nodes 4-6: losing brokers never costs the
// metadata quorum its majority.
inline std::vector<node_spec> split_roles() {
  return {{1, true, false}, {2, true, false}, {3, true, false},
          {4, false, true}, {5, false, true}, {6, false, true}};
}

// "Isr: 1,2,3" of partition 0 from `topics describe` through node `via`, or "".
inline std::string isr(const cluster_process& c, const std::string& topic, int32_t via) {
  auto r = c.cli({"topics", "describe", "--topic", topic}, {}, via);
  auto pos = r.out.find("Isr: ");
  if (pos == std::string::npos)
    return {};
  auto end = r.out.find_first_of("\t\n", pos);
  return r.out.substr(pos + 5, end == std::string::npos ? std::string::npos : end - pos - 5);
}

} // namespace cafka::testing
