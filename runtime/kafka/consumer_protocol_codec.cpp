#include "runtime/kafka/consumer_protocol_codec.hpp"

#include <algorithm>

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

namespace {

// Smallest encoding of one topic's partitions: an empty name and an empty array.
constexpr size_t min_topic_partition = 2 + 4;

// Reads the version prefix into `version`; returns the version whose fields follow (the
// highest known for a newer one), or -1 if the prefix is missing or negative.
int16_t read_version(reader& r, int16_t& version) {
  version = r.i16();
  if (!r.ok())
    return -1;
  if (version < 0) {
    r.fail("negative consumer protocol version");
    return -1;
  }
  return std::min(version, consumer_protocol_max_version);
}

std::optional<std::string> read_nullable_owned_bytes(reader& r) {
  auto b = r.nullable_bytes();
  if (!b)
    return std::nullopt;
  return std::string{*b};
}

void read_topic_partitions(reader& r, std::vector<consumer_protocol_topic_partition>& out) {
  read_array(r, min_topic_partition, out, [](reader& in, auto& tp) {
    tp.topic = in.string();
    read_int32_array(in, tp.partitions);
  });
}

void write_topic_partitions(writer& w, const std::vector<consumer_protocol_topic_partition>& xs) {
  write_array(w, xs, [](writer& out, const auto& tp) {
    out.string(tp.topic);
    write_int32_array(out, tp.partitions);
  });
}

} // namespace

void decode(reader& r, consumer_protocol_subscription& out) {
  auto v = read_version(r, out.version);
  if (v < 0)
    return;
  read_string_array(r, out.topics);
  out.user_data = read_nullable_owned_bytes(r);
  if (v >= 1)
    read_topic_partitions(r, out.owned_partitions);
  if (v >= 2)
    out.generation_id = r.i32();
  if (v >= 3)
    out.rack_id = r.nullable_string();
}

void decode(reader& r, consumer_protocol_assignment& out) {
  if (read_version(r, out.version) < 0)
    return;
  read_topic_partitions(r, out.assigned_partitions);
  out.user_data = read_nullable_owned_bytes(r);
}

void encode(writer& w, int16_t version, const consumer_protocol_subscription& x) {
  w.i16(version);
  write_string_array(w, x.topics);
  w.nullable_bytes(x.user_data);
  if (version >= 1)
    write_topic_partitions(w, x.owned_partitions);
  if (version >= 2)
    w.i32(x.generation_id);
  if (version >= 3)
    w.nullable_string(x.rack_id);
}

void encode(writer& w, int16_t version, const consumer_protocol_assignment& x) {
  w.i16(version);
  write_topic_partitions(w, x.assigned_partitions);
  w.nullable_bytes(x.user_data);
}

} // namespace cafka::kafka
