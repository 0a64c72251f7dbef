#include "runtime/kafka/fetch_codec.hpp"

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

namespace {

constexpr size_t min_topic_size = 2 + 4;         // name length, partition count
constexpr size_t min_partition_size = 4 + 8 + 4; // partition, fetch offset, max bytes
constexpr size_t string_size(std::string_view s) {
  return 2 + s.size();
}

void read_partition(reader& r, int16_t version, fetch_request::fetch_partition& p) {
  p.partition = r.i32();
  if (version >= 9)
    p.current_leader_epoch = r.i32();
  p.fetch_offset = r.i64();
  if (version >= 5)
    p.log_start_offset = r.i64();
  p.partition_max_bytes = r.i32();
}

void read_topic(reader& r, int16_t version, fetch_request::fetch_topic& t) {
  t.topic = r.string();
  read_array(r, min_partition_size, t.partitions,
             [version](reader& in, auto& p) { read_partition(in, version, p); });
}

void read_forgotten_topic(reader& r, fetch_request::forgotten_topic& t) {
  t.topic = r.string();
  read_int32_array(r, t.partitions);
}

void write_partition(writer& w, int16_t version, const fetch_response::partition_data& p) {
  w.i32(p.partition_index);
  w.i16(p.error_code);
  w.i64(p.high_watermark);
  w.i64(p.last_stable_offset);
  if (version >= 5)
    w.i64(p.log_start_offset);
  write_nullable_array(w, p.aborted_transactions, [](writer& out, const auto& a) {
    out.i64(a.producer_id.value);
    out.i64(a.first_offset);
  });
  if (version >= 11)
    w.i32(p.preferred_read_replica);
  w.nullable_bytes(p.records);
}

size_t partition_size(int16_t version, const fetch_response::partition_data& p) {
  size_t n = 4 + 2 + 8 + 8 + 4 + 4; // index, error, hw, lso, aborted count, records length
  if (version >= 5)
    n += 8;
  if (p.aborted_transactions)
    n += p.aborted_transactions->size() * 16;
  if (version >= 11)
    n += 4;
  if (p.records)
    n += p.records->size();
  return n;
}

} // namespace

void decode(reader& r, int16_t version, fetch_request& out) {
  out.replica_id = r.i32();
  out.max_wait_ms = r.i32();
  out.min_bytes = r.i32();
  out.max_bytes = r.i32();
  out.isolation_level = r.i8();
  if (version >= 7) {
    out.session_id = r.i32();
    out.session_epoch = r.i32();
  }
  read_array(r, min_topic_size, out.topics,
             [version](reader& in, auto& t) { read_topic(in, version, t); });
  if (version >= 7)
    read_array(r, min_topic_size, out.forgotten_topics_data, read_forgotten_topic);
  if (version >= 11)
    out.rack_id = r.string();
}

void encode(writer& w, int16_t version, const fetch_response& x) {
  w.i32(x.throttle_time_ms);
  if (version >= 7) {
    w.i16(x.error_code);
    w.i32(x.session_id);
  }
  write_array(w, x.responses, [version](writer& out, const auto& t) {
    out.string(t.topic);
    write_array(out, t.partitions,
                [version](writer& o, const auto& p) { write_partition(o, version, p); });
  });
}

size_t encoded_size(int16_t version, const fetch_response& x) {
  size_t n = 4 + 4; // throttle time, topic count
  if (version >= 7)
    n += 2 + 4;
  for (auto& t : x.responses) {
    n += string_size(t.topic) + 4;
    for (auto& p : t.partitions)
      n += partition_size(version, p);
  }
  return n;
}

} // namespace cafka::kafka
