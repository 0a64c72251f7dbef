// Error codes of cafka, carried as caf::error values (category "cafka") in replies and results.
// Plain values: created anywhere, registered with CAF by actors/register_types
// (add_error_category).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace cafka {

enum class errc : uint8_t {
  none = 0,
  unknown_topic_or_partition,
  topic_already_exists,
  invalid_topic,
  invalid_partitions,
  invalid_replication_factor,
  message_too_large,
  corrupt_message,
  offset_out_of_range,
  not_leader_for_partition,
  request_timed_out,
  invalid_request,
  storage_error,
  invalid_config,
  not_enough_replicas,
  broker_not_available,
  shutting_down,
  not_controller,     // this quorum member does not lead; the error names the leader if known
  broker_fenced,      // the controller fenced this broker (its lease lapsed)
  stale_epoch,        // a message from an older epoch / incarnation
  not_enough_replicas_after_append,  // acks=all: appended, but the ISR shrank below the min
  fenced_leader_epoch,   // the request's leader epoch is older than the replica's
  unknown_leader_epoch,  // the request's leader epoch is newer than the replica's
  out_of_order_sequence, // idempotent producer: a gap in a producer's sequence numbers
  invalid_producer_epoch, // idempotent producer: an older producer epoch
  unsupported_assignor,   // consumer group: no assignor of that name
  unknown_member_id,      // consumer group: the member is not (or no longer) in the group
  fenced_member_epoch,    // consumer group: a member epoch the group did not give out
  fenced_instance_id,     // consumer group: another live member has this group.instance.id
  partition_not_owned,    // consumer group: a commit for a partition the member does not own
  coordinator_not_available,    // consumer group: no group coordinator yet (retry)
  not_coordinator,              // consumer group: this broker does not manage the group (retry)
  coordinator_load_in_progress, // consumer group: the coordinator is loading its partition
  group_id_not_found,           // consumer group: no such group
  invalid_group_id,             // consumer group: an empty or malformed group id
  client_closed,      // a producer or consumer facade used after close()
  concurrent_use,     // a consumer facade called from a second thread while one is inside
  blocking_in_actor,  // a blocking facade call from an actor's thread (it would stall it)
  unknown_producer_id,  // idempotent producer: the leader has no state for it and seq != 0
  offset_metadata_too_large,  // consumer group: a commit's metadata is over the size limit
  chaos_disabled,     // a chaos request to a node without chaos-enable=true
  invalid_record,     // a record batch's count or record framing is wrong (Kafka's INVALID_RECORD)
  invalid_timestamp,  // a record timestamp outside the broker's window (Kafka's INVALID_TIMESTAMP)
  cluster_authorization_failed,  // the sender's identity may not send this (Kafka's code 31)
  topic_authorization_failed,    // the ACLs do not allow this on the topic (Kafka's code 29)
  group_authorization_failed,    // the ACLs do not allow this on the group (Kafka's code 30)
  sasl_authentication_failed,    // wrong password, unknown user or a malformed SASL token
  unsupported_sasl_mechanism,    // the listener does not serve that SASL mechanism
  illegal_sasl_state,            // a SASL request out of order (Kafka's code 34)
  resource_not_found,            // no such user (credentials) or other named resource
  unacceptable_credential,       // a SCRAM credential with bad iterations or an empty password
  limit_exceeded,          // a [limits] cap of cluster.conf refuses it (Kafka's POLICY_VIOLATION)
  group_max_size_reached,  // consumer group: it has group-max-size members already (code 81)
  non_empty_group,            // consumer group: refused while it has members (code 68)
  group_subscribed_to_topic,  // consumer group: offsets of a topic it reads (code 86)
  invalid_replica_assignment,   // a reassignment's replicas are not acceptable (code 39)
  no_reassignment_in_progress,  // cancel of a partition that is not moving (code 85)
};

const char* to_string(errc x);

constexpr caf::atom_value errc_category = caf::atom("cafka");

inline caf::error make_error(errc x) {
  return caf::error{static_cast<uint8_t>(x), errc_category};
}

// An error with a human-readable context, e.g. make_error(errc::invalid_topic, "topic 'x' ...").
inline caf::error make_error(errc x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), errc_category,
                    caf::make_message(std::move(context))};
}

// The errc of a cafka error, or errc::none for other categories / no error.
errc errc_of(const caf::error& e);

// One line for a user: "unknown_topic_or_partition: topic 'x' does not exist".
std::string describe(const caf::error& e);

// The human-readable context of an error made by make_error(x, context); else describe(e).
std::string context_of(const caf::error& e);

} // namespace cafka
