#include "runtime/kafka/group_admin_codec.hpp"

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

namespace {

constexpr size_t min_topic = 2 + 4;  // an empty name, an empty partition array

} // namespace

void decode(reader& r, int16_t version, delete_groups_request& out) {
  if (version < delete_groups_flexible_from) {
    read_string_array(r, out.groups_names);
    return;
  }
  auto n = r.compact_array_length(1);
  if (n < 0) {
    r.fail("null array");
    return;
  }
  out.groups_names.clear();
  for (int32_t i = 0; i < n && r.ok(); ++i)
    out.groups_names.push_back(r.compact_string());
  r.skip_tagged_fields();
}

void decode(reader& r, int16_t, offset_delete_request& out) {
  out.group_id = r.string();
  read_array(r, min_topic, out.topics, [](reader& in, auto& t) {
    t.name = in.string();
    read_int32_array(in, t.partitions);
  });
}

void encode(writer& w, int16_t version, const delete_groups_response& x) {
  w.i32(x.throttle_time_ms);
  if (version < delete_groups_flexible_from) {
    write_array(w, x.results, [](writer& out, const auto& g) {
      out.string(g.group_id);
      out.i16(g.error_code);
    });
    return;
  }
  w.compact_array_length(static_cast<int32_t>(x.results.size()));
  for (auto& g : x.results) {
    w.compact_string(g.group_id);
    w.i16(g.error_code);
    w.empty_tagged_fields();
  }
  w.empty_tagged_fields();
}

void encode(writer& w, int16_t, const offset_delete_response& x) {
  w.i16(x.error_code);
  w.i32(x.throttle_time_ms);
  write_array(w, x.topics, [](writer& out, const auto& t) {
    out.string(t.name);
    write_array(out, t.partitions, [](writer& o, const auto& p) {
      o.i32(p.partition_index);
      o.i16(p.error_code);
    });
  });
}

} // namespace cafka::kafka
