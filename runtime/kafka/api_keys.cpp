#include "runtime/kafka/api_keys.hpp"

namespace cafka::kafka {

const std::vector<api_range>& supported_apis() {
  // Ranges from the clients' needs (docs/kafka-protocol.md): librdkafka 2.0.2 probes single
  // versions inside them, kafka-python 2.0.2 infers a broker version from which keys exist.
  static const std::vector<api_range> apis{
    // Produce from v0: librdkafka before 2.11.1 compresses with gzip, snappy or lz4 only if
    // the broker advertises Produce v0 (its check asks for the range [0, 0]; librdkafka
    // #5130). v0-v2 carry message sets of magic 0/1, which the session refuses.
    {api_key::produce, 0, 7, 9},
    {api_key::fetch, 4, 11, 12},
    {api_key::list_offsets, 1, 3, 6},
    {api_key::metadata, 0, 6, 9},
    {api_key::offset_commit, 1, 7, 8},
    {api_key::offset_fetch, 1, 5, 6},
    {api_key::find_coordinator, 0, 2, 3},
    {api_key::join_group, 0, 5, 6},
    {api_key::heartbeat, 0, 3, 4},
    {api_key::leave_group, 0, 3, 4},
    {api_key::sync_group, 0, 3, 4},
    {api_key::describe_groups, 0, 4, 5},
    {api_key::list_groups, 0, 2, 3},
    {api_key::sasl_handshake, 0, 1, INT16_MAX},  // no flexible version
    {api_key::api_versions, 0, 3, 3},
    {api_key::create_topics, 0, 4, 5},
    {api_key::delete_topics, 0, 3, 4},
    {api_key::init_producer_id, 0, 1, 2},
    {api_key::describe_acls, 0, 1, 2},
    {api_key::create_acls, 0, 1, 2},
    {api_key::delete_acls, 0, 1, 2},
    {api_key::describe_configs, 0, 2, 4},
    {api_key::alter_configs, 0, 1, 2},
    {api_key::sasl_authenticate, 0, 1, 2},
    {api_key::create_partitions, 0, 1, 2},
    {api_key::delete_groups, 0, 2, 2},
    {api_key::incremental_alter_configs, 0, 0, 1},
    {api_key::alter_partition_reassignments, 0, 0, 0},
    {api_key::list_partition_reassignments, 0, 0, 0},
    {api_key::offset_delete, 0, 0, INT16_MAX},  // no flexible version
  };
  return apis;
}

const api_range* find_api(int16_t key) {
  for (auto& a : supported_apis())
    if (static_cast<int16_t>(a.key) == key)
      return &a;
  return nullptr;
}

bool is_flexible(int16_t key, int16_t version) {
  auto a = find_api(key);
  return a != nullptr && version >= a->flexible_from;
}

} // namespace cafka::kafka
