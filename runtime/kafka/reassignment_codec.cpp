#include "runtime/kafka/reassignment_codec.hpp"

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

namespace {

// Smallest encodings, for the reader's check of array counts against the bytes left.
constexpr size_t min_topic = 1 + 1 + 1;            // an empty name, an empty array, no tags
constexpr size_t min_alter_partition = 4 + 1 + 1;  // index, a null replica array, no tags

void read_int32(reader& r, int32_t& x) {
  x = r.i32();
}

void write_compact_int32_array(writer& w, const std::vector<int32_t>& xs) {
  write_compact_array(w, xs, [](writer& out, int32_t x) { out.i32(x); });
}

// Both responses: throttle, error code and message, then per topic its name and partitions,
// each partition's fields written by `write_partition`; every struct closes with no tags.
template <class Response, class Topic, class F>
void write_response(writer& w, const Response& x, const std::vector<Topic>& topics,
                    F write_partition) {
  w.i32(x.throttle_time_ms);
  w.i16(x.error_code);
  w.compact_nullable_string(x.error_message);
  write_compact_array(w, topics, [&](writer& out, const Topic& t) {
    out.compact_string(t.name);
    write_compact_array(out, t.partitions, [&](writer& o, const auto& p) {
      write_partition(o, p);
      o.empty_tagged_fields();
    });
    out.empty_tagged_fields();
  });
  w.empty_tagged_fields();
}

} // namespace

void decode(reader& r, int16_t, alter_partition_reassignments_request& out) {
  out.timeout_ms = r.i32();
  read_compact_array(r, min_topic, out.topics, [](reader& in, auto& t) {
    t.name = in.compact_string();
    read_compact_array(in, min_alter_partition, t.partitions, [](reader& i, auto& p) {
      p.partition_index = i.i32();
      read_compact_nullable_array(i, 4, p.replicas, read_int32);
      i.skip_tagged_fields();
    });
    in.skip_tagged_fields();
  });
  r.skip_tagged_fields();
}

void decode(reader& r, int16_t, list_partition_reassignments_request& out) {
  out.timeout_ms = r.i32();
  read_compact_nullable_array(r, min_topic, out.topics, [](reader& in, auto& t) {
    t.name = in.compact_string();
    read_compact_array(in, 4, t.partition_indexes, read_int32);
    in.skip_tagged_fields();
  });
  r.skip_tagged_fields();
}

void encode(writer& w, int16_t, const alter_partition_reassignments_response& x) {
  write_response(w, x, x.responses, [](writer& o, const auto& p) {
    o.i32(p.partition_index);
    o.i16(p.error_code);
    o.compact_nullable_string(p.error_message);
  });
}

void encode(writer& w, int16_t, const list_partition_reassignments_response& x) {
  write_response(w, x, x.topics, [](writer& o, const auto& p) {
    o.i32(p.partition_index);
    write_compact_int32_array(o, p.replicas);
    write_compact_int32_array(o, p.adding_replicas);
    write_compact_int32_array(o, p.removing_replicas);
  });
}

} // namespace cafka::kafka
