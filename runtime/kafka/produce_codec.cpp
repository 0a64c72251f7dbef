#include "runtime/kafka/produce_codec.hpp"

#include "runtime/kafka/api_keys.hpp"
#include "runtime/kafka/codec_arrays.hpp"
#include "runtime/kafka/request_header.hpp"

namespace cafka::kafka {

namespace {

constexpr size_t min_topic_size = 2 + 4;     // name length, partition count
constexpr size_t min_partition_size = 4 + 4; // index, records length

void read_partition(reader& r, produce_request::partition_produce_data& p) {
  p.index = r.i32();
  p.records = r.nullable_bytes();
}

void read_topic(reader& r, produce_request::topic_produce_data& t) {
  t.name = r.string();
  read_array(r, min_partition_size, t.partition_data, read_partition);
}

void write_partition(writer& w, int16_t version,
                     const produce_response::partition_produce_response& p) {
  w.i32(p.index);
  w.i16(p.error_code);
  w.i64(p.base_offset);
  if (version >= 2)
    w.i64(p.log_append_time_ms);
  if (version >= 5)
    w.i64(p.log_start_offset);
}

} // namespace

void decode(reader& r, int16_t version, produce_request& out) {
  if (version >= 3)
    out.transactional_id = r.nullable_string();
  out.acks = r.i16();
  out.timeout_ms = r.i32();
  read_array(r, min_topic_size, out.topic_data, read_topic);
}

void encode(writer& w, int16_t version, const produce_response& x) {
  write_array(w, x.responses, [version](writer& out, const auto& t) {
    out.string(t.name);
    write_array(out, t.partition_responses,
                [version](writer& o, const auto& p) { write_partition(o, version, p); });
  });
  if (version >= 1)
    w.i32(x.throttle_time_ms);
}

std::optional<int16_t> peek_produce_acks(std::string_view frame) {
  request_header h;
  if (!peek_request_header(frame, h) || h.api_key != static_cast<int16_t>(api_key::produce))
    return std::nullopt;
  bool flexible = is_flexible(h.api_key, h.api_version);
  reader r{frame};
  decode_request_header(r, flexible, h);
  // transactional_id (v3+) precedes acks
  if (flexible)
    r.compact_nullable_string();
  else if (h.api_version >= 3)
    r.nullable_string();
  auto acks = r.i16();
  if (!r.ok())
    return std::nullopt;
  return acks;
}

} // namespace cafka::kafka
