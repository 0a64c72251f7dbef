#include "runtime/kafka/metadata_codec.hpp"

#include "runtime/kafka/array_codec.hpp"

namespace cafka::kafka {

namespace {

constexpr size_t min_string_size = 2; // an int16 length

void encode_broker(writer& w, int16_t version,
                   const metadata_response::metadata_response_broker& b) {
  w.i32(b.node_id);
  w.string(b.host);
  w.i32(b.port);
  if (version >= 1)
    w.nullable_string(b.rack);
}

void encode_partition(writer& w, int16_t version,
                      const metadata_response::metadata_response_partition& p) {
  w.i16(p.error_code);
  w.i32(p.partition_index);
  w.i32(p.leader_id);
  encode_int32s(w, p.replica_nodes);
  encode_int32s(w, p.isr_nodes);
  if (version >= 5)
    encode_int32s(w, p.offline_replicas);
}

void encode_topic(writer& w, int16_t version,
                  const metadata_response::metadata_response_topic& t) {
  w.i16(t.error_code);
  w.string(t.name);
  if (version >= 1)
    w.boolean(t.is_internal);
  encode_array(w, t.partitions, [&](auto& p) { encode_partition(w, version, p); });
}

} // namespace

void decode(reader& r, int16_t version, metadata_request& out) {
  auto n = r.array_length(min_string_size);
  if (n < 0 && version < 1)
    r.fail("null topics in metadata v0");
  if (n < 0 || (n == 0 && version < 1)) {
    out.topics.reset();
  } else {
    out.topics.emplace();
    out.topics->reserve(static_cast<size_t>(n));
    for (int32_t i = 0; i < n && r.ok(); ++i)
      out.topics->push_back(r.string());
  }
  if (version >= 4)
    out.allow_auto_topic_creation = r.boolean();
}

void encode(writer& w, int16_t version, const metadata_response& x) {
  if (version >= 3)
    w.i32(x.throttle_time_ms);
  encode_array(w, x.brokers, [&](auto& b) { encode_broker(w, version, b); });
  if (version >= 2)
    w.nullable_string(x.cluster_id);
  if (version >= 1)
    w.i32(x.controller_id);
  encode_array(w, x.topics, [&](auto& t) { encode_topic(w, version, t); });
}

} // namespace cafka::kafka
