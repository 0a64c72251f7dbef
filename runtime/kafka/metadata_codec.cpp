#include "runtime/kafka/metadata_codec.hpp"

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

namespace {

void write_broker(writer& w, int16_t version,
                  const metadata_response::metadata_response_broker& b) {
  w.i32(b.node_id);
  w.string(b.host);
  w.i32(b.port);
  if (version >= 1)
    w.nullable_string(b.rack);
}

void write_partition(writer& w, int16_t version,
                     const metadata_response::metadata_response_partition& p) {
  w.i16(p.error_code);
  w.i32(p.partition_index);
  w.i32(p.leader_id);
  write_int32_array(w, p.replica_nodes);
  write_int32_array(w, p.isr_nodes);
  if (version >= 5)
    write_int32_array(w, p.offline_replicas);
}

void write_topic(writer& w, int16_t version,
                 const metadata_response::metadata_response_topic& t) {
  w.i16(t.error_code);
  w.string(t.name);
  if (version >= 1)
    w.boolean(t.is_internal);
  write_array(w, t.partitions,
              [version](writer& out, const auto& p) { write_partition(out, version, p); });
}

} // namespace

void decode(reader& r, int16_t version, metadata_request& out) {
  read_nullable_string_array(r, out.topics);
  if (version < 1 && r.ok() && !out.topics)
    r.fail("null topics in metadata v0");
  if (version < 1 && out.topics && out.topics->empty())
    out.topics.reset(); // v0 asks for every topic with an empty list
  if (version >= 4)
    out.allow_auto_topic_creation = r.boolean();
}

void encode(writer& w, int16_t version, const metadata_response& x) {
  if (version >= 3)
    w.i32(x.throttle_time_ms);
  write_array(w, x.brokers,
              [version](writer& out, const auto& b) { write_broker(out, version, b); });
  if (version >= 2)
    w.nullable_string(x.cluster_id);
  if (version >= 1)
    w.i32(x.controller_id);
  write_array(w, x.topics,
              [version](writer& out, const auto& t) { write_topic(out, version, t); });
}

} // namespace cafka::kafka
