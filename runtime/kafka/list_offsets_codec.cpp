#include "runtime/kafka/list_offsets_codec.hpp"

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

namespace {

constexpr size_t min_topic_size = 2 + 4;     // name length, partition count
constexpr size_t min_partition_size = 4 + 8; // partition, timestamp

void read_topic(reader& r, list_offsets_request::list_offsets_topic& t) {
  t.name = r.string();
  read_array(r, min_partition_size, t.partitions, [](reader& in, auto& p) {
    p.partition_index = in.i32();
    p.timestamp = in.i64();
  });
}

void write_topic(writer& w, const list_offsets_response::list_offsets_topic_response& t) {
  w.string(t.name);
  write_array(w, t.partitions, [](writer& out, const auto& p) {
    out.i32(p.partition_index);
    out.i16(p.error_code);
    out.i64(p.timestamp);
    out.i64(p.offset);
  });
}

} // namespace

void decode(reader& r, int16_t version, list_offsets_request& out) {
  out.replica_id = r.i32();
  if (version >= 2)
    out.isolation_level = r.i8();
  read_array(r, min_topic_size, out.topics, read_topic);
}

void encode(writer& w, int16_t version, const list_offsets_response& x) {
  if (version >= 2)
    w.i32(x.throttle_time_ms);
  write_array(w, x.topics, write_topic);
}

} // namespace cafka::kafka
