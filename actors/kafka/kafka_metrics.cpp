// The Kafka listeners' metrics (see kafka_metrics.hpp).
#include "actors/kafka/kafka_metrics.hpp"

#include "runtime/kafka/kafka_error.hpp"

namespace cafka {

const char* kafka_api_name(int16_t key) {
  switch (key) {
    case 0: return "Produce";
    case 1: return "Fetch";
    case 2: return "ListOffsets";
    case 3: return "Metadata";
    case 8: return "OffsetCommit";
    case 9: return "OffsetFetch";
    case 10: return "FindCoordinator";
    case 11: return "JoinGroup";
    case 12: return "Heartbeat";
    case 13: return "LeaveGroup";
    case 14: return "SyncGroup";
    case 15: return "DescribeGroups";
    case 16: return "ListGroups";
    case 17: return "SaslHandshake";
    case 18: return "ApiVersions";
    case 19: return "CreateTopics";
    case 20: return "DeleteTopics";
    case 22: return "InitProducerId";
    case 29: return "DescribeAcls";
    case 30: return "CreateAcls";
    case 31: return "DeleteAcls";
    case 32: return "DescribeConfigs";
    case 33: return "AlterConfigs";
    case 36: return "SaslAuthenticate";
    case 37: return "CreatePartitions";
    case 42: return "DeleteGroups";
    case 44: return "IncrementalAlterConfigs";
    case 45: return "AlterPartitionReassignments";
    case 46: return "ListPartitionReassignments";
    case 47: return "OffsetDelete";
  }
  return "Unknown";
}

const char* kafka_error_name(int16_t code) {
  using kafka::error_code;
  switch (static_cast<error_code>(code)) {
    case error_code::unknown_server_error: return "UNKNOWN_SERVER_ERROR";
    case error_code::none: return "NONE";
    case error_code::offset_out_of_range: return "OFFSET_OUT_OF_RANGE";
    case error_code::corrupt_message: return "CORRUPT_MESSAGE";
    case error_code::unknown_topic_or_partition: return "UNKNOWN_TOPIC_OR_PARTITION";
    case error_code::leader_not_available: return "LEADER_NOT_AVAILABLE";
    case error_code::not_leader_or_follower: return "NOT_LEADER_OR_FOLLOWER";
    case error_code::request_timed_out: return "REQUEST_TIMED_OUT";
    case error_code::broker_not_available: return "BROKER_NOT_AVAILABLE";
    case error_code::message_too_large: return "MESSAGE_TOO_LARGE";
    case error_code::offset_metadata_too_large: return "OFFSET_METADATA_TOO_LARGE";
    case error_code::coordinator_load_in_progress: return "COORDINATOR_LOAD_IN_PROGRESS";
    case error_code::coordinator_not_available: return "COORDINATOR_NOT_AVAILABLE";
    case error_code::not_coordinator: return "NOT_COORDINATOR";
    case error_code::invalid_topic_exception: return "INVALID_TOPIC_EXCEPTION";
    case error_code::record_list_too_large: return "RECORD_LIST_TOO_LARGE";
    case error_code::not_enough_replicas: return "NOT_ENOUGH_REPLICAS";
    case error_code::not_enough_replicas_after_append: return "NOT_ENOUGH_REPLICAS_AFTER_APPEND";
    case error_code::invalid_required_acks: return "INVALID_REQUIRED_ACKS";
    case error_code::illegal_generation: return "ILLEGAL_GENERATION";
    case error_code::inconsistent_group_protocol: return "INCONSISTENT_GROUP_PROTOCOL";
    case error_code::invalid_group_id: return "INVALID_GROUP_ID";
    case error_code::unknown_member_id: return "UNKNOWN_MEMBER_ID";
    case error_code::invalid_session_timeout: return "INVALID_SESSION_TIMEOUT";
    case error_code::rebalance_in_progress: return "REBALANCE_IN_PROGRESS";
    case error_code::invalid_commit_offset_size: return "INVALID_COMMIT_OFFSET_SIZE";
    case error_code::topic_authorization_failed: return "TOPIC_AUTHORIZATION_FAILED";
    case error_code::group_authorization_failed: return "GROUP_AUTHORIZATION_FAILED";
    case error_code::cluster_authorization_failed: return "CLUSTER_AUTHORIZATION_FAILED";
    case error_code::invalid_timestamp: return "INVALID_TIMESTAMP";
    case error_code::unsupported_sasl_mechanism: return "UNSUPPORTED_SASL_MECHANISM";
    case error_code::illegal_sasl_state: return "ILLEGAL_SASL_STATE";
    case error_code::unsupported_version: return "UNSUPPORTED_VERSION";
    case error_code::topic_already_exists: return "TOPIC_ALREADY_EXISTS";
    case error_code::invalid_partitions: return "INVALID_PARTITIONS";
    case error_code::invalid_replication_factor: return "INVALID_REPLICATION_FACTOR";
    case error_code::invalid_replica_assignment: return "INVALID_REPLICA_ASSIGNMENT";
    case error_code::invalid_config: return "INVALID_CONFIG";
    case error_code::not_controller: return "NOT_CONTROLLER";
    case error_code::invalid_request: return "INVALID_REQUEST";
    case error_code::unsupported_for_message_format: return "UNSUPPORTED_FOR_MESSAGE_FORMAT";
    case error_code::policy_violation: return "POLICY_VIOLATION";
    case error_code::out_of_order_sequence_number: return "OUT_OF_ORDER_SEQUENCE_NUMBER";
    case error_code::duplicate_sequence_number: return "DUPLICATE_SEQUENCE_NUMBER";
    case error_code::invalid_producer_epoch: return "INVALID_PRODUCER_EPOCH";
    case error_code::security_disabled: return "SECURITY_DISABLED";
    case error_code::kafka_storage_error: return "KAFKA_STORAGE_ERROR";
    case error_code::sasl_authentication_failed: return "SASL_AUTHENTICATION_FAILED";
    case error_code::unknown_producer_id: return "UNKNOWN_PRODUCER_ID";
    case error_code::non_empty_group: return "NON_EMPTY_GROUP";
    case error_code::group_id_not_found: return "GROUP_ID_NOT_FOUND";
    case error_code::fenced_leader_epoch: return "FENCED_LEADER_EPOCH";
    case error_code::unknown_leader_epoch: return "UNKNOWN_LEADER_EPOCH";
    case error_code::member_id_required: return "MEMBER_ID_REQUIRED";
    case error_code::group_max_size_reached: return "GROUP_MAX_SIZE_REACHED";
    case error_code::fenced_instance_id: return "FENCED_INSTANCE_ID";
    case error_code::no_reassignment_in_progress: return "NO_REASSIGNMENT_IN_PROGRESS";
    case error_code::group_subscribed_to_topic: return "GROUP_SUBSCRIBED_TO_TOPIC";
    case error_code::invalid_record: return "INVALID_RECORD";
    case error_code::unstable_offset_commit: return "UNSTABLE_OFFSET_COMMIT";
    case error_code::resource_not_found: return "RESOURCE_NOT_FOUND";
    case error_code::unacceptable_credential: return "UNACCEPTABLE_CREDENTIAL";
    case error_code::fenced_member_epoch: return "FENCED_MEMBER_EPOCH";
    case error_code::unsupported_assignor: return "UNSUPPORTED_ASSIGNOR";
  }
  return "UNKNOWN";
}

kafka_request_metrics::kafka_request_metrics(std::shared_ptr<metrics::node_metrics> m)
  : metrics_(std::move(m)) {
  // nop
}

void kafka_request_metrics::answered(int16_t api_key, clock::time_point arrived) {
  if (!metrics_ || api_key < 0 || api_key > kafka_max_api_key)
    return;
  auto& s = series_[static_cast<size_t>(api_key)];
  if (!s)
    s = metrics_->request(metrics::request_protocol::kafka, kafka_api_name(api_key));
  s->requests.inc();
  s->latency.observe(std::chrono::duration<double>(clock::now() - arrived).count());
}

void kafka_request_metrics::count_error(int16_t api_key, int16_t code) {
  if (metrics_ && code != 0)
    metrics_->count_error(metrics::request_protocol::kafka, kafka_api_name(api_key),
                          kafka_error_name(code));
}

kafka_connection_count::kafka_connection_count(const std::shared_ptr<metrics::node_metrics>& m,
                                               const std::string& listener) {
  if (m == nullptr)
    return;
  if (auto g = m->kafka_connections.with({listener}))
    open_ = *g;
  open_.add(1);
}

kafka_connection_count::~kafka_connection_count() {
  open_.add(-1);
}

} // namespace cafka
