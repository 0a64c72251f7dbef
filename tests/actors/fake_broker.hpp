// A broker double for the controller tests: an actor with the broker interface that
// answers every request with invalid_request and ignores every notification, so a quorum can
// register and watch it. Test code only.
#pragma once

#include <caf/fwd.hpp>

#include "actors/broker/broker_interface.hpp"

namespace cafka::test {

broker_actor fake_broker(caf::actor_system& sys);

} // namespace cafka::test
