#include "runtime/kafka/offset_codec.hpp"

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

namespace {

using commit_req = offset_commit_request;
using fetch_req = offset_fetch_request;
using fetch_resp = offset_fetch_response;

// Smallest encodings of one array element (empty strings and arrays).
constexpr size_t min_topic = 2 + 4;
constexpr size_t min_commit_partition = 4 + 8 + 2;

void read_commit_partition(reader& r, int16_t version,
                           commit_req::offset_commit_request_partition& p) {
  p.partition_index = r.i32();
  p.committed_offset = r.i64();
  if (version >= 6)
    p.committed_leader_epoch = r.i32();
  if (version == 1)
    p.commit_timestamp = r.i64();
  p.committed_metadata = r.nullable_string();
}

void read_commit_topic(reader& r, int16_t version, commit_req::offset_commit_request_topic& t) {
  t.name = r.string();
  read_array(r, min_commit_partition, t.partitions,
             [version](reader& in, auto& p) { read_commit_partition(in, version, p); });
}

void read_fetch_topic(reader& r, fetch_req::offset_fetch_request_topic& t) {
  t.name = r.string();
  read_int32_array(r, t.partition_indexes);
}

void write_fetch_partition(writer& w, int16_t version,
                           const fetch_resp::offset_fetch_response_partition& p) {
  w.i32(p.partition_index);
  w.i64(p.committed_offset);
  if (version >= 5)
    w.i32(p.committed_leader_epoch);
  w.nullable_string(p.metadata);
  w.i16(p.error_code);
}

} // namespace

void decode(reader& r, int16_t version, offset_commit_request& out) {
  out.group_id = r.string();
  out.generation_id = r.i32();
  out.member_id = r.string();
  if (version >= 7)
    out.group_instance_id = r.nullable_string();
  if (version >= 2 && version <= 4)
    out.retention_time_ms = r.i64();
  read_array(r, min_topic, out.topics,
             [version](reader& in, auto& t) { read_commit_topic(in, version, t); });
}

void decode(reader& r, int16_t version, offset_fetch_request& out) {
  out.group_id = r.string();
  read_nullable_array(r, min_topic, out.topics, read_fetch_topic);
  if (version < 2 && r.ok() && !out.topics)
    r.fail("null array");
}

void encode(writer& w, int16_t version, const offset_commit_response& x) {
  if (version >= 3)
    w.i32(x.throttle_time_ms);
  write_array(w, x.topics, [](writer& out, const auto& t) {
    out.string(t.name);
    write_array(out, t.partitions, [](writer& o, const auto& p) {
      o.i32(p.partition_index);
      o.i16(p.error_code);
    });
  });
}

void encode(writer& w, int16_t version, const offset_fetch_response& x) {
  if (version >= 3)
    w.i32(x.throttle_time_ms);
  write_array(w, x.topics, [version](writer& out, const auto& t) {
    out.string(t.name);
    write_array(out, t.partitions,
                [version](writer& o, const auto& p) { write_fetch_partition(o, version, p); });
  });
  if (version >= 2)
    w.i16(x.error_code);
}

} // namespace cafka::kafka
