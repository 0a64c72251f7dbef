// The messages of cafka's client actors: the producer and consumer interfaces that user
// actors talk to (send records, subscribe, grant credit, commit). Any context.
#pragma once

#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "runtime/client/client_types.hpp"
#include "runtime/protocol/group_messages.hpp"
#include "runtime/protocol/messages.hpp"

namespace cafka {

// -- client side ------------------------------------------------------------------------------
// Producer: records from actors (one delivery report each, carrying the record's opaque; a
// vector of records gets one reply with their reports in the records' order once all have
// one) or from the C++ facade, which appends to the shared accumulator and wakes the actor.
using producer_actor = caf::typed_actor<
  caf::replies_to<send_atom, producer_record>::with<delivery_report>,
  caf::replies_to<send_atom, std::vector<producer_record>>::with<std::vector<delivery_report>>,
  caf::replies_to<partitions_atom, std::string>::with<int32_t>,
  caf::reacts_to<wake_atom>,
  caf::reacts_to<wake_atom, uint64_t>,  // its own retry-backoff timer (the steady due time)
  caf::replies_to<caf::flush_atom>::with<caf::ok_atom>,
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

// Consumer: fetches its assigned partitions and delivers consumer_records to a sink actor,
// at most as many messages as the sink granted credit for.
// In a group (subscribe_atom) the group's manager assigns the partitions; the sink also gets
// partitions_assigned / partitions_revoked and may commit.
using consumer_actor = caf::typed_actor<
  caf::reacts_to<assign_atom, std::vector<topic_partition>>,
  caf::reacts_to<subscribe_atom, std::vector<std::string>>,
  // Commits these offsets (empty: the position after every record the sink granted credit
  // back for) for the group; answers once the group's manager stored them.
  caf::replies_to<commit_atom, std::vector<partition_offset>>::with<caf::ok_atom>,
  caf::replies_to<offset_fetch_atom, std::vector<topic_partition>>::with<std::vector<partition_offset>>,
  caf::reacts_to<heartbeat_atom>,   // the group's manager: heartbeat now
  // Seeks a partition to an offset (>= 0; a negative one is an invalid_request error), to
  // its earliest offset, or to its end; answers the partition's new seek generation: records
  // of an older one (consumer_records::seek_generation) are stale.
  caf::replies_to<seek_atom, topic_partition, log_offset>::with<uint64_t>,
  caf::replies_to<seek_to_beginning_atom, topic_partition>::with<uint64_t>,
  caf::replies_to<seek_to_end_atom, topic_partition>::with<uint64_t>,
  caf::reacts_to<credit_atom, int32_t>,
  caf::replies_to<partitions_atom, std::string>::with<int32_t>,
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

} // namespace cafka
