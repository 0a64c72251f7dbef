#include "runtime/kafka/topic_admin_codec.hpp"

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

namespace {

using create_req = create_topics_request;
using describe_req = describe_configs_request;
using describe_resp = describe_configs_response;

// Smallest encodings of one array element (every string empty, every array empty).
constexpr size_t min_creatable_topic = 2 + 4 + 2 + 4 + 4;
constexpr size_t min_assignment = 4 + 4;
constexpr size_t min_topic_config = 2 + 2;
constexpr size_t min_config_resource = 1 + 2 + 4;

void read_assignment(reader& r, create_req::creatable_replica_assignment& a) {
  a.partition_index = r.i32();
  read_int32_array(r, a.broker_ids);
}

void read_topic_config(reader& r, create_req::creatable_topic_config& c) {
  c.name = r.string();
  c.value = r.nullable_string();
}

void read_creatable_topic(reader& r, create_req::creatable_topic& t) {
  t.name = r.string();
  t.num_partitions = r.i32();
  t.replication_factor = r.i16();
  read_array(r, min_assignment, t.assignments, read_assignment);
  read_array(r, min_topic_config, t.configs, read_topic_config);
}

void read_config_resource(reader& r, describe_req::describe_configs_resource& x) {
  x.resource_type = r.i8();
  x.resource_name = r.string();
  read_nullable_string_array(r, x.configuration_keys);
}

void write_synonym(writer& w, const describe_resp::describe_configs_synonym& s) {
  w.string(s.name);
  w.nullable_string(s.value);
  w.i8(s.source);
}

void write_config(writer& w, int16_t version,
                  const describe_resp::describe_configs_resource_result& c) {
  w.string(c.name);
  w.nullable_string(c.value);
  w.boolean(c.read_only);
  if (version == 0)
    w.boolean(c.is_default);
  else
    w.i8(c.config_source);
  w.boolean(c.is_sensitive);
  if (version >= 1)
    write_array(w, c.synonyms, write_synonym);
}

void write_describe_result(writer& w, int16_t version,
                           const describe_resp::describe_configs_result& x) {
  w.i16(x.error_code);
  w.nullable_string(x.error_message);
  w.i8(x.resource_type);
  w.string(x.resource_name);
  write_array(w, x.configs,
              [version](writer& out, const auto& c) { write_config(out, version, c); });
}

} // namespace

void decode(reader& r, int16_t version, create_topics_request& out) {
  read_array(r, min_creatable_topic, out.topics, read_creatable_topic);
  out.timeout_ms = r.i32();
  if (version >= 1)
    out.validate_only = r.boolean();
}

void decode(reader& r, int16_t, delete_topics_request& out) {
  read_string_array(r, out.topic_names);
  out.timeout_ms = r.i32();
}

void decode(reader& r, int16_t version, describe_configs_request& out) {
  read_array(r, min_config_resource, out.resources, read_config_resource);
  if (version >= 1)
    out.include_synonyms = r.boolean();
}

void encode(writer& w, int16_t version, const create_topics_response& x) {
  if (version >= 2)
    w.i32(x.throttle_time_ms);
  write_array(w, x.topics, [version](writer& out, const auto& t) {
    out.string(t.name);
    out.i16(t.error_code);
    if (version >= 1)
      out.nullable_string(t.error_message);
  });
}

void encode(writer& w, int16_t version, const delete_topics_response& x) {
  if (version >= 1)
    w.i32(x.throttle_time_ms);
  write_array(w, x.responses, [](writer& out, const auto& t) {
    out.string(t.name);
    out.i16(t.error_code);
  });
}

void encode(writer& w, int16_t version, const describe_configs_response& x) {
  w.i32(x.throttle_time_ms);
  write_array(w, x.results, [version](writer& out, const auto& res) {
    write_describe_result(out, version, res);
  });
}

} // namespace cafka::kafka
