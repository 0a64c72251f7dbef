// Codecs of Kafka's classic consumer-group APIs: FindCoordinator (v0-2), JoinGroup (v0-5),
// SyncGroup (v0-3), Heartbeat (v0-3), LeaveGroup (v0-3), ListGroups (v0-2) and
// DescribeGroups (v0-4), all non-flexible. Requests decoded, responses encoded, body only.
// Pure; any thread. The member metadata and assignment bytes are opaque here
// (consumer_protocol_codec.hpp reads them).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

// ---- FindCoordinator (key 10) ----

constexpr int8_t coordinator_key_group = 0;
constexpr int8_t coordinator_key_transaction = 1;

struct find_coordinator_request {
  std::string key;
  int8_t key_type = coordinator_key_group; // v1+
};

struct find_coordinator_response {
  int32_t throttle_time_ms = 0;            // v1+
  int16_t error_code = 0;
  std::optional<std::string> error_message; // v1+
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;
};

// ---- JoinGroup (key 11) ----

struct join_group_request {
  struct join_group_request_protocol {
    std::string name;
    std::string metadata;                  // the protocol's subscription bytes
  };
  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;       // v1+; Kafka uses session_timeout_ms for v0
  std::string member_id;
  std::optional<std::string> group_instance_id; // v5+
  std::string protocol_type;
  std::vector<join_group_request_protocol> protocols;
};

struct join_group_response {
  struct join_group_response_member {
    std::string member_id;
    std::optional<std::string> group_instance_id; // v5+
    std::string metadata;
  };
  int32_t throttle_time_ms = 0;            // v2+
  int16_t error_code = 0;
  int32_t generation_id = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<join_group_response_member> members; // the leader's answer only
};

// ---- SyncGroup (key 14) ----

struct sync_group_request {
  struct sync_group_request_assignment {
    std::string member_id;
    std::string assignment;
  };
  std::string group_id;
  int32_t generation_id = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id; // v3+
  std::vector<sync_group_request_assignment> assignments; // from the leader only
};

struct sync_group_response {
  int32_t throttle_time_ms = 0;            // v1+
  int16_t error_code = 0;
  std::string assignment;
};

// ---- Heartbeat (key 12) ----

struct heartbeat_request {
  std::string group_id;
  int32_t generation_id = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id; // v3+
};

struct heartbeat_response {
  int32_t throttle_time_ms = 0;            // v1+
  int16_t error_code = 0;
};

// ---- LeaveGroup (key 13) ----

struct leave_group_request {
  struct member_identity {
    std::string member_id;
    std::optional<std::string> group_instance_id;
  };
  std::string group_id;
  std::string member_id;                   // v0-2
  // v3+ as sent; for v0-2 the decoder puts the one member_id here too (as Kafka's
  // LeaveGroupRequest.members() does), so a handler reads members for every version.
  std::vector<member_identity> members;
};

struct leave_group_response {
  struct member_response {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    int16_t error_code = 0;
  };
  int32_t throttle_time_ms = 0;            // v1+
  int16_t error_code = 0;
  std::vector<member_response> members;    // v3+
};

// ---- ListGroups (key 16) ----

struct list_groups_request {};             // no fields before v4

struct list_groups_response {
  struct listed_group {
    std::string group_id;
    std::string protocol_type;
  };
  int32_t throttle_time_ms = 0;            // v1+
  int16_t error_code = 0;
  std::vector<listed_group> groups;
};

// ---- DescribeGroups (key 15) ----

struct describe_groups_request {
  std::vector<std::string> groups;
  bool include_authorized_operations = false; // v3+
};

struct describe_groups_response {
  struct described_group_member {
    std::string member_id;
    std::optional<std::string> group_instance_id; // v4+
    std::string client_id;
    std::string client_host;
    std::string member_metadata;
    std::string member_assignment;
  };
  struct described_group {
    int16_t error_code = 0;
    std::string group_id;
    std::string group_state;               // "Stable", "Dead", ... ("" when unknown)
    std::string protocol_type;
    std::string protocol_data;             // the chosen protocol's name
    std::vector<described_group_member> members;
    int32_t authorized_operations = std::numeric_limits<int32_t>::min(); // v3+; min: omitted
  };
  int32_t throttle_time_ms = 0;            // v1+
  std::vector<described_group> groups;
};

// Decoders read one request body of `version` (requires: a served version); on malformed
// input they leave r.ok() == false. Fields a version lacks keep their defaults.
void decode(reader& r, int16_t version, find_coordinator_request& out);
void decode(reader& r, int16_t version, join_group_request& out);
void decode(reader& r, int16_t version, sync_group_request& out);
void decode(reader& r, int16_t version, heartbeat_request& out);
void decode(reader& r, int16_t version, leave_group_request& out);
void decode(reader& r, int16_t version, list_groups_request& out);
void decode(reader& r, int16_t version, describe_groups_request& out);

// Encoders write one response body of `version` (requires: a served version); fields the
// version lacks are left out.
void encode(writer& w, int16_t version, const find_coordinator_response& x);
void encode(writer& w, int16_t version, const join_group_response& x);
void encode(writer& w, int16_t version, const sync_group_response& x);
void encode(writer& w, int16_t version, const heartbeat_response& x);
void encode(writer& w, int16_t version, const leave_group_response& x);
void encode(writer& w, int16_t version, const list_groups_response& x);
void encode(writer& w, int16_t version, const describe_groups_response& x);

} // namespace cafka::kafka
