#include "runtime/base/errc.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

namespace cafka {

const char* to_string(errc x) {
  switch (x) {
    case errc::none: return "none";
    case errc::unknown_topic_or_partition: return "unknown_topic_or_partition";
    case errc::topic_already_exists: return "topic_already_exists";
    case errc::invalid_topic: return "invalid_topic";
    case errc::invalid_partitions: return "invalid_partitions";
    case errc::invalid_replication_factor: return "invalid_replication_factor";
    case errc::message_too_large: return "message_too_large";
    case errc::corrupt_message: return "corrupt_message";
    case errc::offset_out_of_range: return "offset_out_of_range";
    case errc::not_leader_for_partition: return "not_leader_for_partition";
    case errc::request_timed_out: return "request_timed_out";
    case errc::invalid_request: return "invalid_request";
    case errc::storage_error: return "storage_error";
    case errc::invalid_config: return "invalid_config";
    case errc::not_enough_replicas: return "not_enough_replicas";
    case errc::broker_not_available: return "broker_not_available";
    case errc::shutting_down: return "shutting_down";
    case errc::not_controller: return "not_controller";
    case errc::broker_fenced: return "broker_fenced";
    case errc::stale_epoch: return "stale_epoch";
    case errc::not_enough_replicas_after_append: return "not_enough_replicas_after_append";
    case errc::fenced_leader_epoch: return "fenced_leader_epoch";
    case errc::unknown_leader_epoch: return "unknown_leader_epoch";
    case errc::out_of_order_sequence: return "out_of_order_sequence";
    case errc::invalid_producer_epoch: return "invalid_producer_epoch";
    case errc::unsupported_assignor: return "unsupported_assignor";
    case errc::unknown_member_id: return "unknown_member_id";
    case errc::fenced_member_epoch: return "fenced_member_epoch";
    case errc::fenced_instance_id: return "fenced_instance_id";
    case errc::partition_not_owned: return "partition_not_owned";
    case errc::coordinator_not_available: return "coordinator_not_available";
    case errc::not_coordinator: return "not_coordinator";
    case errc::coordinator_load_in_progress: return "coordinator_load_in_progress";
    case errc::group_id_not_found: return "group_id_not_found";
    case errc::invalid_group_id: return "invalid_group_id";
    case errc::client_closed: return "client_closed";
    case errc::concurrent_use: return "concurrent_use";
    case errc::blocking_in_actor: return "blocking_in_actor";
    case errc::unknown_producer_id: return "unknown_producer_id";
    case errc::offset_metadata_too_large: return "offset_metadata_too_large";
    case errc::chaos_disabled: return "chaos_disabled";
    case errc::invalid_record: return "invalid_record";
    case errc::invalid_timestamp: return "invalid_timestamp";
    case errc::cluster_authorization_failed: return "cluster_authorization_failed";
    case errc::topic_authorization_failed: return "topic_authorization_failed";
    case errc::group_authorization_failed: return "group_authorization_failed";
    case errc::sasl_authentication_failed: return "sasl_authentication_failed";
    case errc::unsupported_sasl_mechanism: return "unsupported_sasl_mechanism";
    case errc::illegal_sasl_state: return "illegal_sasl_state";
    case errc::resource_not_found: return "resource_not_found";
    case errc::unacceptable_credential: return "unacceptable_credential";
    case errc::limit_exceeded: return "limit_exceeded";
    case errc::group_max_size_reached: return "group_max_size_reached";
    case errc::non_empty_group: return "non_empty_group";
    case errc::group_subscribed_to_topic: return "group_subscribed_to_topic";
    case errc::invalid_replica_assignment: return "invalid_replica_assignment";
    case errc::no_reassignment_in_progress: return "no_reassignment_in_progress";
  }
  return "unknown_error";
}

errc errc_of(const caf::error& e) {
  if (!e || e.category() != errc_category)
    return errc::none;
  return static_cast<errc>(e.code());
}

std::string describe(const caf::error& e) {
  if (!e)
    return "no error";
  std::string out;
  if (e.category() == errc_category)
    out = to_string(static_cast<errc>(e.code()));
  else if (e.category() == caf::atom("system"))
    out = caf::to_string(static_cast<caf::sec>(e.code()));  // request_timeout, ...
  else if (e.category() == caf::atom("exit"))
    out = caf::to_string(static_cast<caf::exit_reason>(e.code()));
  else
    out = caf::to_string(e.category()) + " error " + std::to_string(e.code());
  const auto& ctx = e.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    out += ": " + ctx.get_as<std::string>(0);
  else if (!ctx.empty())
    out += ": " + caf::deep_to_string(ctx);
  return out;
}

std::string context_of(const caf::error& e) {
  const auto& ctx = e.context();
  if (e && ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return describe(e);
}

} // namespace cafka
