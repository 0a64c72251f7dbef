// A broker double for the controller and group tests: an actor with the broker interface
// that answers every request with invalid_request and ignores every notification, so a
// quorum can register and watch it; with accept_produce, produce requests succeed (at offset
// 0), so a group manager's writes go through. Test code only.
#pragma once

#include <caf/fwd.hpp>

#include "actors/broker/broker_interface.hpp"

namespace cafka::test {

broker_actor fake_broker(caf::actor_system& sys, bool accept_produce = false);

} // namespace cafka::test
