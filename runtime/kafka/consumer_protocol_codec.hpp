// The "consumer" protocol embedded in the group APIs: ConsumerProtocolSubscription (a
// member's JoinGroup protocol metadata) and ConsumerProtocolAssignment (the SyncGroup
// assignment bytes), versions 0-3, each prefixed by its int16 version. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

// The highest version whose fields cafka knows. Kafka answers a member with an assignment of
// its subscription's version, capped at this.
constexpr int16_t consumer_protocol_max_version = 3;

struct consumer_protocol_topic_partition {
  std::string topic;
  std::vector<int32_t> partitions;
};

struct consumer_protocol_subscription {
  int16_t version = 0;                     // as read (may exceed the highest known)
  std::vector<std::string> topics;
  std::optional<std::string> user_data;    // the assignor's own bytes (sticky: its state)
  std::vector<consumer_protocol_topic_partition> owned_partitions; // v1+
  int32_t generation_id = -1;              // v2+
  std::optional<std::string> rack_id;      // v3+
};

struct consumer_protocol_assignment {
  int16_t version = 0;                     // as read (may exceed the highest known)
  std::vector<consumer_protocol_topic_partition> assigned_partitions;
  std::optional<std::string> user_data;
};

// Decode a whole blob: the version, then the fields of min(version, 3). Like Kafka, a newer
// version is read as the highest known one and the bytes after the known fields are ignored.
// A negative version, a truncated field or a null non-nullable field leaves r.ok() == false.
void decode(reader& r, consumer_protocol_subscription& out);
void decode(reader& r, consumer_protocol_assignment& out);

// Encode the version prefix and the fields of `version` (requires: 0 <= version <= 3);
// x.version is not consulted.
void encode(writer& w, int16_t version, const consumer_protocol_subscription& x);
void encode(writer& w, int16_t version, const consumer_protocol_assignment& x);

} // namespace cafka::kafka
