#include "runtime/kafka/config_admin_codec.hpp"

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

namespace {

using alter_req = alter_configs_request;
using partitions_req = create_partitions_request;

// Smallest encodings of one array element (every string empty, every array empty).
constexpr size_t min_alter_resource = 1 + 2 + 4;
constexpr size_t min_alterable_config = 2 + 2;
constexpr size_t min_incremental_config = 2 + 1 + 2;
constexpr size_t min_partitions_topic = 2 + 4 + 4;
constexpr size_t min_assignment = 4;

void read_alter_configs(reader& r, bool incremental, alter_configs_request& out) {
  auto read_config = [incremental](reader& in, alter_req::alterable_config& c) {
    c.name = in.string();
    if (incremental)
      c.operation = in.i8();
    c.value = in.nullable_string();
  };
  read_array(r, min_alter_resource, out.resources,
             [&](reader& in, alter_req::alter_configs_resource& x) {
               x.resource_type = in.i8();
               x.resource_name = in.string();
               read_array(in, incremental ? min_incremental_config : min_alterable_config,
                          x.configs, read_config);
             });
  out.validate_only = r.boolean();
}

} // namespace

void decode(reader& r, int16_t, alter_configs_request& out) {
  read_alter_configs(r, false, out);
}

void decode(reader& r, int16_t, incremental_alter_configs_request& out) {
  read_alter_configs(r, true, out);
}

void decode(reader& r, int16_t, create_partitions_request& out) {
  read_array(r, min_partitions_topic, out.topics,
             [](reader& in, partitions_req::create_partitions_topic& t) {
               t.name = in.string();
               t.count = in.i32();
               read_nullable_array(in, min_assignment, t.assignments, read_int32_array);
             });
  out.timeout_ms = r.i32();
  out.validate_only = r.boolean();
}

void encode(writer& w, int16_t, const alter_configs_response& x) {
  w.i32(x.throttle_time_ms);
  write_array(w, x.responses, [](writer& out, const auto& res) {
    out.i16(res.error_code);
    out.nullable_string(res.error_message);
    out.i8(res.resource_type);
    out.string(res.resource_name);
  });
}

void encode(writer& w, int16_t, const create_partitions_response& x) {
  w.i32(x.throttle_time_ms);
  write_array(w, x.results, [](writer& out, const auto& res) {
    out.string(res.name);
    out.i16(res.error_code);
    out.nullable_string(res.error_message);
  });
}

} // namespace cafka::kafka
