// The Kafka APIs cafka serves, with the version range it implements for each and the first
// flexible (compact, tagged-field) version. ApiVersions advertises exactly this table.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <vector>

namespace cafka::kafka {

enum class api_key : int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  offset_commit = 8,
  offset_fetch = 9,
  find_coordinator = 10,
  join_group = 11,
  heartbeat = 12,
  leave_group = 13,
  sync_group = 14,
  describe_groups = 15,
  list_groups = 16,
  sasl_handshake = 17,
  api_versions = 18,
  create_topics = 19,
  delete_topics = 20,
  init_producer_id = 22,
  describe_acls = 29,
  create_acls = 30,
  delete_acls = 31,
  describe_configs = 32,
  alter_configs = 33,
  sasl_authenticate = 36,
  create_partitions = 37,
  delete_groups = 42,
  incremental_alter_configs = 44,
  alter_partition_reassignments = 45,
  list_partition_reassignments = 46,
  offset_delete = 47,
};

struct api_range {
  api_key key;
  int16_t min_version;
  int16_t max_version;
  int16_t flexible_from;  // first version with compact fields and tagged fields
};

// Every API served, by key.
const std::vector<api_range>& supported_apis();

// The served range of `key`, or nullptr for a key cafka does not serve.
const api_range* find_api(int16_t key);

// Whether `version` of `key` uses flexible encoding. Requires: find_api(key) != nullptr.
bool is_flexible(int16_t key, int16_t version);

} // namespace cafka::kafka
