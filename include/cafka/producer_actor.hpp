// The producer actor (Kafka's sender thread): drains the record accumulator, sends each batch
// to its partition leader through a per-partition send_queue, retries retriable errors, and
// runs each record's delivery callback. With enable_idempotence it first gets a producer id
// (init_pid_atom), stamps sequence numbers and resends failed batches in order until
// delivery.timeout.ms. Actors send it (send_atom, producer_record) and get a delivery_report
// back; the C++ facade (producer.hpp) appends to the accumulator directly.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "cafka/client_messages.hpp"
#include "runtime/client/client_config.hpp"
#include "runtime/client/record_accumulator.hpp"

namespace cafka {

// Requires: acc outlives every use by the actor (the facade shares ownership).
// An invalid cfg (validate()) is logged and every record fails with its invalid_config.
producer_actor spawn_producer(caf::actor_system& sys, producer_config cfg,
                              std::shared_ptr<record_accumulator> acc);

// Same with a private accumulator (actor users).
producer_actor spawn_producer(caf::actor_system& sys, producer_config cfg);

std::shared_ptr<record_accumulator> make_accumulator(const producer_config& cfg);

} // namespace cafka
