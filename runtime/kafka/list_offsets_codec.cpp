#include "runtime/kafka/list_offsets_codec.hpp"

#include "runtime/kafka/array_codec.hpp"

namespace cafka::kafka {

namespace {

constexpr size_t min_topic_size = 2 + 4;     // name length, partition count
constexpr size_t min_partition_size = 4 + 8; // partition, timestamp

void decode_topic(reader& r, list_offsets_request::list_offsets_topic& t) {
  t.name = r.string();
  decode_array(r, min_partition_size, t.partitions, [&](auto& p) {
    p.partition_index = r.i32();
    p.timestamp = r.i64();
  });
}

void encode_topic(writer& w, const list_offsets_response::list_offsets_topic_response& t) {
  w.string(t.name);
  encode_array(w, t.partitions, [&](auto& p) {
    w.i32(p.partition_index);
    w.i16(p.error_code);
    w.i64(p.timestamp);
    w.i64(p.offset);
  });
}

} // namespace

void decode(reader& r, int16_t version, list_offsets_request& out) {
  out.replica_id = r.i32();
  if (version >= 2)
    out.isolation_level = r.i8();
  decode_array(r, min_topic_size, out.topics, [&](auto& t) { decode_topic(r, t); });
}

void encode(writer& w, int16_t version, const list_offsets_response& x) {
  if (version >= 2)
    w.i32(x.throttle_time_ms);
  encode_array(w, x.topics, [&](auto& t) { encode_topic(w, t); });
}

} // namespace cafka::kafka
