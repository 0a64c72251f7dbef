// Registers the batching clock's scheduler (see batching_clock_coordinator.hpp).
#include "actors/system/batching_clock_coordinator.hpp"

#include <caf/actor_system.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/policy/work_stealing.hpp>

namespace cafka {

void install_batching_clock(caf::actor_system_config& cfg) {
  cfg.module_factories.push_back([](caf::actor_system& sys) -> caf::actor_system::module* {
    auto policy = caf::get_or(sys.config(), "scheduler.policy", caf::atom("stealing"));
    if (policy == caf::atom("sharing"))
      return new batching_clock_coordinator<caf::policy::work_sharing>(sys);
    return new batching_clock_coordinator<caf::policy::work_stealing>(sys);
  });
}

} // namespace cafka
