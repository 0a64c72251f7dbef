#include "runtime/kafka/kafka_error.hpp"

#include <caf/sec.hpp>

#include "runtime/base/errc.hpp"

namespace cafka::kafka {

namespace {

error_code from_errc(errc x) {
  switch (x) {
    case errc::none:
      return error_code::none;
    case errc::unknown_topic_or_partition:
      return error_code::unknown_topic_or_partition;
    case errc::topic_already_exists:
      return error_code::topic_already_exists;
    case errc::invalid_topic:
      return error_code::invalid_topic_exception;
    case errc::invalid_partitions:
      return error_code::invalid_partitions;
    case errc::invalid_replication_factor:
      return error_code::invalid_replication_factor;
    case errc::message_too_large:
      return error_code::message_too_large;
    case errc::corrupt_message:
      return error_code::corrupt_message;
    case errc::offset_out_of_range:
      return error_code::offset_out_of_range;
    case errc::not_leader_for_partition:
      return error_code::not_leader_or_follower;
    case errc::request_timed_out:
      return error_code::request_timed_out;
    case errc::invalid_request:
      return error_code::invalid_request;
    case errc::storage_error:
      return error_code::kafka_storage_error;
    case errc::invalid_config:
      return error_code::invalid_config;
    case errc::not_enough_replicas:
      return error_code::not_enough_replicas;
    case errc::broker_not_available:
    case errc::shutting_down:
    case errc::broker_fenced:
      return error_code::not_leader_or_follower;
    case errc::not_controller:
      return error_code::not_controller;
    case errc::stale_epoch:
      return error_code::not_leader_or_follower;
    case errc::not_enough_replicas_after_append:
      return error_code::not_enough_replicas_after_append;
    case errc::fenced_leader_epoch:
      return error_code::fenced_leader_epoch;
    case errc::unknown_leader_epoch:
      return error_code::unknown_leader_epoch;
    case errc::out_of_order_sequence:
      return error_code::out_of_order_sequence_number;
    case errc::unknown_producer_id:
      return error_code::unknown_producer_id;
    case errc::invalid_producer_epoch:
      return error_code::invalid_producer_epoch;
    case errc::unsupported_assignor:
      return error_code::unsupported_assignor;
    case errc::unknown_member_id:
      return error_code::unknown_member_id;
    case errc::fenced_member_epoch:
      return error_code::fenced_member_epoch;
    case errc::fenced_instance_id:
      return error_code::fenced_instance_id;
    case errc::partition_not_owned:
      return error_code::unknown_member_id;
    case errc::coordinator_not_available:
      return error_code::coordinator_not_available;
    case errc::not_coordinator:
      return error_code::not_coordinator;
    case errc::coordinator_load_in_progress:
      return error_code::coordinator_load_in_progress;
    case errc::group_id_not_found:
      return error_code::group_id_not_found;
    case errc::invalid_group_id:
      return error_code::invalid_group_id;
    case errc::offset_metadata_too_large:
      return error_code::offset_metadata_too_large;
    case errc::invalid_record:
      return error_code::invalid_record;
    case errc::invalid_timestamp:
      return error_code::invalid_timestamp;
    case errc::cluster_authorization_failed:
      return error_code::cluster_authorization_failed;
    case errc::topic_authorization_failed:
      return error_code::topic_authorization_failed;
    case errc::group_authorization_failed:
      return error_code::group_authorization_failed;
    case errc::sasl_authentication_failed:
      return error_code::sasl_authentication_failed;
    case errc::unsupported_sasl_mechanism:
      return error_code::unsupported_sasl_mechanism;
    case errc::illegal_sasl_state:
      return error_code::illegal_sasl_state;
    case errc::resource_not_found:
      return error_code::resource_not_found;
    case errc::unacceptable_credential:
      return error_code::unacceptable_credential;
    case errc::limit_exceeded:
      return error_code::policy_violation;
    case errc::group_max_size_reached:
      return error_code::group_max_size_reached;
    case errc::non_empty_group:
      return error_code::non_empty_group;
    case errc::group_subscribed_to_topic:
      return error_code::group_subscribed_to_topic;
    case errc::invalid_replica_assignment:
      return error_code::invalid_replica_assignment;
    case errc::no_reassignment_in_progress:
      return error_code::no_reassignment_in_progress;
    default:
      return error_code::unknown_server_error;
  }
}

} // namespace

error_code to_kafka_error(const caf::error& e) {
  if (!e)
    return error_code::none;
  if (e.category() == errc_category)
    return from_errc(static_cast<errc>(e.code()));
  if (e.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(e.code())) {
      case caf::sec::request_timeout:
        return error_code::request_timed_out;
      case caf::sec::request_receiver_down:
        return error_code::not_leader_or_follower;
      default:
        break;
    }
  }
  return error_code::unknown_server_error;
}

} // namespace cafka::kafka
