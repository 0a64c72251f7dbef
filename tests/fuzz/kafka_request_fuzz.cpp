// libFuzzer target: a Kafka request frame as the listener reads it (the header, then the
// decoder of its API and version), plus the ConsumerProtocol and __consumer_offsets codecs for
// API keys -1..-4; see docs/architecture-chaos-and-testing.md#fuzzing. One fuzzing thread.
// Input: one frame without its int32 size prefix.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/kafka/acl_codec.hpp"
#include "runtime/kafka/api_keys.hpp"
#include "runtime/kafka/api_versions_codec.hpp"
#include "runtime/kafka/consumer_protocol_codec.hpp"
#include "runtime/kafka/fetch_codec.hpp"
#include "runtime/kafka/group_admin_codec.hpp"
#include "runtime/kafka/group_codec.hpp"
#include "runtime/kafka/init_producer_id_codec.hpp"
#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/list_offsets_codec.hpp"
#include "runtime/kafka/metadata_codec.hpp"
#include "runtime/kafka/offset_codec.hpp"
#include "runtime/kafka/offsets_topic_codec.hpp"
#include "runtime/kafka/produce_codec.hpp"
#include "runtime/kafka/reassignment_codec.hpp"
#include "runtime/kafka/request_header.hpp"
#include "runtime/kafka/sasl_codec.hpp"
#include "runtime/kafka/topic_admin_codec.hpp"

using namespace cafka::kafka;

namespace {

template <class T>
void body(reader& r, int16_t version) {
  T x;
  decode(r, version, x);
}

void decode_body(reader& r, api_key key, int16_t v) {
  switch (key) {
    case api_key::produce: return body<produce_request>(r, v);
    case api_key::fetch: return body<fetch_request>(r, v);
    case api_key::list_offsets: return body<list_offsets_request>(r, v);
    case api_key::metadata: return body<metadata_request>(r, v);
    case api_key::offset_commit: return body<offset_commit_request>(r, v);
    case api_key::offset_fetch: return body<offset_fetch_request>(r, v);
    case api_key::find_coordinator: return body<find_coordinator_request>(r, v);
    case api_key::join_group: return body<join_group_request>(r, v);
    case api_key::heartbeat: return body<heartbeat_request>(r, v);
    case api_key::leave_group: return body<leave_group_request>(r, v);
    case api_key::sync_group: return body<sync_group_request>(r, v);
    case api_key::describe_groups: return body<describe_groups_request>(r, v);
    case api_key::list_groups: return body<list_groups_request>(r, v);
    case api_key::api_versions: return body<api_versions_request>(r, v);
    case api_key::create_topics: return body<create_topics_request>(r, v);
    case api_key::delete_topics: return body<delete_topics_request>(r, v);
    case api_key::init_producer_id: return body<init_producer_id_request>(r, v);
    case api_key::describe_configs: return body<describe_configs_request>(r, v);
    case api_key::sasl_handshake: return body<sasl_handshake_request>(r, v);
    case api_key::sasl_authenticate: return body<sasl_authenticate_request>(r, v);
    case api_key::describe_acls: return body<describe_acls_request>(r, v);
    case api_key::create_acls: return body<create_acls_request>(r, v);
    case api_key::delete_acls: return body<delete_acls_request>(r, v);
    case api_key::delete_groups: return body<delete_groups_request>(r, v);
    case api_key::offset_delete: return body<offset_delete_request>(r, v);
    case api_key::alter_partition_reassignments:
      return body<alter_partition_reassignments_request>(r, v);
    case api_key::list_partition_reassignments:
      return body<list_partition_reassignments_request>(r, v);
  }
}

// Key -1..-4 (never served): the codecs of bytes nested in requests and in the offsets topic.
void decode_embedded(int16_t key, std::string_view rest) {
  reader r{rest};
  switch (key) {
    case -1: {
      consumer_protocol_subscription x;
      decode(r, x);
      break;
    }
    case -2: {
      consumer_protocol_assignment x;
      decode(r, x);
      break;
    }
    case -3: {
      offset_commit_key x;
      decode_offsets_key(r, x);
      break;
    }
    case -4: {
      offset_commit_value x;
      decode(r, x);
      break;
    }
    default:
      break;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view frame{reinterpret_cast<const char*>(data), size};
  request_header peek;
  if (!peek_request_header(frame, peek))
    return 0;
  auto api = find_api(peek.api_key);
  if (api == nullptr) {
    decode_embedded(peek.api_key, frame.substr(8));
    return 0;
  }
  // The listener answers an unsupported version from the fixed part alone.
  if (peek.api_version < api->min_version || peek.api_version > api->max_version)
    return 0;
  reader r{frame};
  request_header h;
  decode_request_header(r, is_flexible(peek.api_key, peek.api_version), h);
  if (!r.ok())
    return 0;
  decode_body(r, api->key, h.api_version);
  return 0;
}
