// The consumer actor: fetches its assigned partitions from their leaders (long poll) and
// delivers consumer_records messages to a sink actor, never more messages than the sink has
// granted credit for (credit_atom, n): a slow sink is never flooded. A partition is fetched
// again only once its last result was delivered, so at most one batch per partition waits
// for credit. Actor context.
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "cafka/client_messages.hpp"
#include "runtime/client/client_config.hpp"

namespace cafka {

// sink receives consumer_records and grants credit with (credit_atom, int32_t) to the
// consumer (the sender of the records). Initial credit: `initial_credit`.
consumer_actor spawn_consumer(caf::actor_system& sys, consumer_config cfg, caf::actor sink,
                              int32_t initial_credit = 0);

} // namespace cafka
