// Kafka's rules for CreateTopics and DeleteTopics that need no cluster state: what cafka
// refuses before asking the controller, how a topic's -1 defaults resolve, and the Kafka
// error of the controller's answer. Pure; any thread.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "runtime/config/cluster_config.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/topic_admin_codec.hpp"
#include "runtime/protocol/messages.hpp"

namespace cafka::kafka {

// A per-topic answer of CreateTopics or DeleteTopics.
struct admin_error {
  error_code code = error_code::none;
  std::optional<std::string> message;  // CreateTopics v1+ sends it

  bool ok() const { return code == error_code::none; }
};

// The names that appear more than once. Kafka answers each of them once with
// INVALID_REQUEST ("Duplicate topic name.") and creates or deletes none of them.
std::set<std::string> duplicate_names(const std::vector<std::string>& names);

// The error CreateTopics gives `t` before the controller sees it, or none, in Kafka's
// order: a null config value (INVALID_REQUEST); assignments together with a partition count
// or replication factor (INVALID_REQUEST); manual replica assignments (cafka places
// replicas itself: INVALID_REPLICA_ASSIGNMENT); a partition count or replication factor
// below 1 other than -1 (INVALID_PARTITIONS / INVALID_REPLICATION_FACTOR); an invalid
// config (INVALID_CONFIG: an unknown name, a bad value or a name given twice, with
// validate_topic_configs' message). Names, existence and upper bounds are the controller's
// to check.
admin_error check_new_topic(const create_topics_request::creatable_topic& t,
                            const broker_defaults& d);

// The configs of `t` as topic overrides (a null value as empty).
std::vector<topic_config_entry> config_entries(const create_topics_request::creatable_topic& t);

// The create request for `t` with -1 (partitions, replication factor) resolved to the
// cluster defaults, as the controller resolves them, and its configs sorted by name.
create_topic_request resolve_new_topic(const create_topics_request::creatable_topic& t,
                                       const broker_defaults& d);

// The Kafka error of a failed create, delete or check: cafka's errors by to_kafka_error;
// an unreachable, starting or stopping quorum or broker as NOT_CONTROLLER (clients look for
// the controller again and retry); a CAF request timeout as REQUEST_TIMED_OUT. The message
// is cafka's context of the error.
admin_error admin_error_of(const caf::error& err);

} // namespace cafka::kafka
